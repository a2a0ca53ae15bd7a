"""Is this user a member of the staff group? getChatMember, cached for a minute.

Button presses reach the bot from anyone who can see the message, and a public
supergroup can be seen by non-members, so presses in the staff group are checked.
A look-up that fails for a passing reason (a 5xx, the network, a 429) is tried a few
times; if it still fails the error propagates, so the press is not acknowledged and
comes back later, instead of a listed agent being told they are not staff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from adapters.common import TtlCache
from adapters.telegram.errors import is_transient

log = logging.getLogger("adapters.telegram")

STAFF_STATUSES = frozenset(
    {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
)
CACHE_SECONDS = 60.0
LOOKUP_ATTEMPTS = 3
LOOKUP_BACKOFF = 0.2

Lookup = Callable[[int], Awaitable[str]]


class StaffMembership:
    """`lookup(user_id)` returns the member status; its errors propagate, uncached."""

    def __init__(
        self,
        lookup: Lookup,
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._known: TtlCache[int, bool] = TtlCache(ttl=ttl, capacity=1024, clock=clock)

    async def is_staff(self, user_id: int) -> bool:
        cached = self._known.get(user_id)
        if cached is not None:
            return cached
        member = await self._lookup(user_id) in STAFF_STATUSES
        self._known.put(user_id, member)
        return member


def member_lookup(
    bot: Bot,
    chat_id: int,
    *,
    attempts: int = LOOKUP_ATTEMPTS,
    backoff: float = LOOKUP_BACKOFF,
) -> Lookup:
    """getChatMember in `chat_id`, retried (`backoff`, doubling) while it fails transiently."""

    async def status(user_id: int) -> str:
        delay = backoff
        for _ in range(attempts - 1):
            try:
                return await _member_status(bot, chat_id, user_id)
            except TelegramError as exc:
                if not is_transient(exc):
                    raise
                log.warning("staff check for %d failed (%s); retrying", user_id, exc.message)
            await asyncio.sleep(delay)
            delay *= 2
        return await _member_status(bot, chat_id, user_id)

    return status


async def _member_status(bot: Bot, chat_id: int, user_id: int) -> str:
    member = await bot.get_chat_member(chat_id=chat_id, user_id=user_id)
    return str(member.status)
