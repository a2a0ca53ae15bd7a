"""The Telegram adapter: its lifecycle, and Bot API calls out (send, edit).

Customers write to the bot in private chats. Agents work in one staff group: in a
forum supergroup each ticket gets its own topic; in a plain group (or a forum where
the bot may not create topics) the ticket card is the root of a reply chain and
everything about that ticket replies to it. The bot must see every message in the
staff group: make it an admin there or turn its privacy mode off. Listening is
receive.py's job, over the transport (polling or webhook) of transport.py. A private
answer to a button press is an alert only the presser sees (presses.py); Telegram has
no other private message in a group, so any other goes out as a reply.

Delivery is at least once. The Bot API has no idempotency key and a bot cannot read a
chat's history, so a send that timed out (`DeliveryError.maybe_sent`) cannot be checked:
the outbox's resend may show the customer that message twice, which beats losing it.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from adapters.telegram.buttons import inline_keyboard
from adapters.telegram.errors import delivery_error, is_not_modified
from adapters.telegram.inbound import PLATFORM, Origin, StaffRoom
from adapters.telegram.presses import Presses
from adapters.telegram.receive import Receiver
from adapters.telegram.render import neutralize_mentions, to_html
from adapters.telegram.staff import StaffMembership, member_lookup
from adapters.telegram.topics import Placement, Topics
from adapters.telegram.transport import (
    Polling,
    TelegramBot,
    Transport,
    build_bot,
    open_transport,
)
from bot.config import ConfigError, StaffSection, TelegramSection
from bot.contract import Agent, Core, DeliveryError, Outbound, Rich, SentRef
from bot.ids import parse_id
from bot.text import fit_for_edit, split_rich

log = logging.getLogger("adapters.telegram")


class TelegramAdapter:
    platform = PLATFORM
    max_text_length = 4096

    def __init__(self, section: TelegramSection, staff: StaffSection) -> None:
        if section.token is None:
            raise ConfigError("telegram.token: required to run the Telegram adapter")
        if section.mode == "webhook" and (not section.webhook_url or not section.webhook_secret):
            raise ConfigError("telegram.webhook_url, telegram.webhook_secret: required for webhook")
        self._section = section
        self._staff_section = staff
        self._token = section.token.get_secret_value()
        self._bot: TelegramBot | None = None
        self._transport: Transport | None = None
        self._staff: StaffRoom | None = None
        self._presses: Presses | None = None
        self._topics = Topics()

    async def start(self, core: Core) -> None:
        if self._bot is not None:
            raise RuntimeError("the Telegram adapter is already running")
        bot = build_bot(self._section, self._token)
        presses = Presses(bot)
        try:
            await bot.initialize()
            staff = await self._find_staff_room(bot)
            membership = (
                StaffMembership(member_lookup(bot, staff.chat_id)) if staff is not None else None
            )
            origin = Origin(bot_username=bot.username, staff=staff)
            receiver = Receiver(core, origin, self._staff_section, membership, presses)
            transport = open_transport(self._section, bot, receiver.take)
            await transport.start()
        except BaseException:
            await presses.close()
            await bot.shutdown()
            raise
        self._bot, self._transport, self._staff = bot, transport, staff
        self._presses = presses
        log.info("telegram adapter started (%s)", self._section.mode)

    async def stop(self) -> None:
        bot, transport, presses = self._bot, self._transport, self._presses
        self._bot = self._transport = self._presses = None
        if bot is None:
            return
        try:
            if transport is not None:
                await transport.stop()
            if presses is not None:
                await presses.close()
        finally:
            await bot.shutdown()
        log.info("telegram adapter stopped")

    async def down_reason(self) -> str | None:
        """Set while polling fails (a revoked token, no network), for /healthz."""
        transport = self._transport
        return transport.failing if isinstance(transport, Polling) else None

    async def send(self, out: Outbound) -> SentRef:
        bot = self._running_bot()
        chat_id = out.to.chat_id
        if await self._answered_privately(out):
            return SentRef(PLATFORM, chat_id, "", out.to.thread_id)
        try:
            keyboard = inline_keyboard(out.buttons)
            pieces = split_rich(neutralize_mentions(out.text), self.max_text_length)
            if out.open_thread is not None and self._is_forum(chat_id):
                return await self._send_card(bot, out, pieces, keyboard)
            sent = await self._send_placed(bot, out, pieces, keyboard)
        except ValueError as exc:
            raise DeliveryError(f"cannot render for Telegram: {exc}", permanent=True) from exc
        except TelegramError as exc:
            raise delivery_error(exc) from exc
        thread_id = str(sent.message_id) if out.open_thread is not None else out.to.thread_id
        return SentRef(PLATFORM, chat_id, str(sent.message_id), thread_id)

    async def edit(self, ref: SentRef, out: Outbound) -> None:
        """Replace the text and buttons; an edit cannot split, so over-long text is cut."""
        bot = self._running_bot()
        text = fit_for_edit(neutralize_mentions(out.text), self.max_text_length)
        try:
            await bot.edit_message_text(
                chat_id=ref.chat_id,
                message_id=int(ref.message_id),
                text=to_html(text),
                parse_mode=ParseMode.HTML,
                reply_markup=inline_keyboard(out.buttons),
            )
        except ValueError as exc:
            raise DeliveryError(f"cannot render for Telegram: {exc}", permanent=True) from exc
        except TelegramError as exc:
            if not is_not_modified(exc):
                raise delivery_error(exc) from exc

    async def list_agents(self) -> list[Agent]:
        """The staff group's administrators (bots left out): `getChatAdministrators`."""
        bot, staff = self._running_bot(), self._staff
        if staff is None:
            return []
        admins = await bot.get_chat_administrators(chat_id=staff.chat_id)
        return [
            Agent(str(a.user.id), a.user.full_name, (a.user.username,) if a.user.username else ())
            for a in admins
            if not a.user.is_bot
        ]

    async def _answered_privately(self, out: Outbound) -> bool:
        """A private answer to a press still held (adapters/telegram/presses.py), shown as
        an alert to the presser alone; False for anything else, which goes out as a
        message (a private answer as a reply to what it answers)."""
        presses = self._presses
        if presses is None or out.private_to is None or out.answers is None:
            return False
        press = out.answers.event_id
        return bool(press) and await presses.answer_privately(press, out.text)

    async def _send_card(
        self,
        bot: TelegramBot,
        out: Outbound,
        pieces: list[Rich],
        keyboard: InlineKeyboardMarkup | None,
    ) -> SentRef:
        """A ticket card in the forum: in a topic of its own, else as a reply-chain root."""
        chat_id, title = out.to.chat_id, out.open_thread or ""
        topic = await self._topics.open(bot, chat_id, title)
        sent = await self._send_pieces(bot, chat_id, pieces, keyboard, Placement(topic=topic))
        root = str(sent.message_id)
        self._topics.opened(chat_id, title, root, topic)
        return SentRef(PLATFORM, chat_id, root, root if topic is None else str(topic))

    async def _send_placed(
        self,
        bot: TelegramBot,
        out: Outbound,
        pieces: list[Rich],
        keyboard: InlineKeyboardMarkup | None,
    ) -> Message:
        """Into the thread `out.to` names: a topic, or a reply chain (also in a forum)."""
        chat_id, thread = out.to.chat_id, out.to.thread_id
        place = self._topics.place(thread, chat_id=chat_id, forum=self._is_forum(chat_id))
        answered = parse_id(out.answers.message_id) if out.answers is not None else None
        if answered is not None:
            # A private answer that could not be an alert (to a message, or to a press
            # answered already): Telegram has no other, so it replies to what it answers.
            place = Placement(topic=place.topic, reply_to=answered)
        try:
            return await self._send_pieces(bot, chat_id, pieces, keyboard, place)
        except TelegramError as exc:
            if (
                place.topic is None
                or thread is None
                or not self._topics.is_chain(chat_id, thread, exc)
            ):
                raise
        return await self._send_pieces(
            bot, chat_id, pieces, keyboard, Placement(reply_to=int(thread))
        )

    async def _send_pieces(
        self,
        bot: TelegramBot,
        chat_id: str,
        pieces: list[Rich],
        keyboard: InlineKeyboardMarkup | None,
        place: Placement,
    ) -> Message:
        """Send every piece in order, the buttons under the last; returns the last."""
        reply = (
            ReplyParameters(message_id=place.reply_to, allow_sending_without_reply=True)
            if place.reply_to is not None
            else None
        )
        sent: Message | None = None
        for number, piece in enumerate(pieces, start=1):
            sent = await bot.send_message(
                chat_id=chat_id,
                text=to_html(piece),
                parse_mode=ParseMode.HTML,
                message_thread_id=place.topic,
                reply_parameters=reply,
                reply_markup=keyboard if number == len(pieces) else None,
            )
        assert sent is not None, "split_rich always returns at least one piece"
        return sent

    async def _find_staff_room(self, bot: TelegramBot) -> StaffRoom | None:
        if self._staff_section.platform != PLATFORM:
            return None
        try:
            chat = await bot.get_chat(self._staff_section.chat_id)
        except (BadRequest, Forbidden) as exc:
            raise ConfigError(
                f"staff.chat_id: Telegram cannot open chat {self._staff_section.chat_id} "
                f"({exc.message}); is the bot a member of the staff group?"
            ) from None
        return StaffRoom(
            chat_id=chat.id, address=self._staff_section.chat_id, is_forum=bool(chat.is_forum)
        )

    def _is_forum(self, chat_id: str) -> bool:
        staff = self._staff
        return (
            staff is not None and staff.is_forum and chat_id in (staff.address, str(staff.chat_id))
        )

    def _running_bot(self) -> TelegramBot:
        if self._bot is None:
            raise DeliveryError("the Telegram adapter is not running")
        return self._bot
