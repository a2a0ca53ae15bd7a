"""Where a staff-group message goes: a forum topic, or a reply chain.

In a forum supergroup each ticket card opens its own topic. When Telegram refuses to
create one (400: the bot lacks the Manage Topics right, topics were turned off), the
card goes out as a plain group message whose id names the thread, agents work in a
reply chain under it, and the staff group is told once how to get topics back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from adapters.common import TtlCache

log = logging.getLogger("adapters.telegram")

MAX_TOPIC_NAME = 128
CHAIN_SECONDS = 7 * 24 * 3600.0
TOPICS_UNAVAILABLE = (
    "Telegram does not let the bot create forum topics in this group, so new tickets "
    "arrive as reply chains: reply to a ticket card to answer it. To get a topic per "
    "ticket again, make the bot an administrator with the Manage Topics right."
)


@dataclass(frozen=True)
class Placement:
    """`topic`: the forum topic to post in; `reply_to`: the message to reply to."""

    topic: int | None = None
    reply_to: int | None = None


class Topics:
    def __init__(self) -> None:
        # Topics created for a card whose sending then failed, reused when it is retried.
        self._unsent: dict[tuple[str, str], int] = {}
        # Threads in a forum that are reply chains (cards sent without a topic).
        self._chains: TtlCache[tuple[str, str], bool] = TtlCache(ttl=CHAIN_SECONDS)
        self._told = False

    async def open(self, bot: Bot, chat_id: str, title: str) -> int | None:
        """The topic for a new card titled `title`, or None: send it as a reply-chain root."""
        topic = self._unsent.get((chat_id, title))
        if topic is not None:
            return topic
        try:
            created = await bot.create_forum_topic(chat_id=chat_id, name=title[:MAX_TOPIC_NAME])
        except BadRequest as exc:
            log.warning("no forum topic in %s (%s); a reply chain instead", chat_id, exc.message)
            await self._tell(bot, chat_id)
            return None
        self._told = False
        self._unsent[(chat_id, title)] = created.message_thread_id
        return created.message_thread_id

    def opened(self, chat_id: str, title: str, root: str, topic: int | None) -> None:
        """The card titled `title` is out; `root` is its message id."""
        self._unsent.pop((chat_id, title), None)
        if topic is None:
            self._chains.put((chat_id, root), True)

    def place(self, thread_id: str | None, *, chat_id: str, forum: bool) -> Placement:
        if thread_id is None:
            return Placement()
        if forum and (chat_id, thread_id) not in self._chains:
            return Placement(topic=int(thread_id))
        return Placement(reply_to=int(thread_id))

    def is_chain(self, chat_id: str, thread_id: str, exc: TelegramError) -> bool:
        """Sending into topic `thread_id` failed with `exc`: is it a reply chain after all
        (a card sent without a topic before a restart)? Then it is remembered as one."""
        if not isinstance(exc, BadRequest) or "thread not found" not in exc.message.lower():
            return False
        self._chains.put((chat_id, thread_id), True)
        return True

    async def _tell(self, bot: Bot, chat_id: str) -> None:
        if self._told:
            return
        try:
            await bot.send_message(chat_id=chat_id, text=TOPICS_UNAVAILABLE)
        except TelegramError as exc:
            log.warning("could not tell %s that topics are unavailable: %s", chat_id, exc.message)
            return
        self._told = True
