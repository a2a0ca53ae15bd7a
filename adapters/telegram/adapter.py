"""The Telegram adapter: python-telegram-bot in, Bot API calls out.

Customers write to the bot in private chats. Agents work in one staff group: in a
forum supergroup each ticket gets its own topic; in a plain group the ticket card is
the root of a reply chain and everything about that ticket replies to it. The bot
must see every message in the staff group: make it an admin there or turn its
privacy mode off.

Delivery is at least once. The Bot API has no idempotency key and a bot cannot read a
chat's history, so a send that timed out (`DeliveryError.maybe_sent`) cannot be checked:
the outbox's resend may show the customer that message twice, which beats losing it.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from telegram import Bot, CallbackQuery, Message, ReplyParameters, Update
from telegram.constants import ParseMode, UpdateType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes, TypeHandler

from adapters.telegram.application import TelegramApp, build_application
from adapters.telegram.errors import delivery_error, is_not_modified
from adapters.telegram.keyboard import inline_keyboard
from adapters.telegram.render import neutralize_mentions, to_html
from adapters.telegram.staff import StaffMembership
from adapters.telegram.updates import (
    PLATFORM,
    Origin,
    StaffRoom,
    action_from,
    inbound_from,
    is_staff_chat,
)
from bot.config import ConfigError, StaffSection, TelegramSection
from bot.contract import Core, DeliveryError, Event, Outbound, SentRef
from bot.text import split_rich

log = logging.getLogger("adapters.telegram")

ALLOWED_UPDATES = (UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY)
MAX_TOPIC_NAME = 128


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
        self._app: TelegramApp | None = None
        self._core: Core | None = None
        self._origin = Origin(bot_username="", staff=None)
        self._membership: StaffMembership | None = None
        # Topics created for a card whose sending then failed, reused when it is retried.
        self._unsent_topics: dict[tuple[str, str], int] = {}

    async def start(self, core: Core) -> None:
        if self._app is not None:
            raise RuntimeError("the Telegram adapter is already running")
        app = build_application(self._section, self._token)
        self._core = core
        try:
            await app.initialize()
            staff = await self._find_staff_room(app.bot)
            self._origin = Origin(bot_username=app.bot.username, staff=staff)
            self._membership = (
                StaffMembership(lambda user_id: _member_status(app.bot, staff.chat_id, user_id))
                if staff is not None
                else None
            )
            app.add_handler(TypeHandler(Update, self._on_update))
            await app.start()
            await self._start_receiving(app)
        except BaseException:
            await _shut_down(app)
            self._core = None
            raise
        self._app = app
        log.info("telegram adapter started (%s)", self._section.mode)

    async def stop(self) -> None:
        app, self._app = self._app, None
        if app is None:
            return
        try:
            await _shut_down(app)
        finally:
            self._core = None
        log.info("telegram adapter stopped")

    async def send(self, out: Outbound) -> SentRef:
        bot = self._running_bot()
        chat_id = out.to.chat_id
        forum = self._is_forum(chat_id)
        topic: int | None = None
        reply_to: int | None = None
        try:
            keyboard = inline_keyboard(out.buttons)
            if out.open_thread is not None and forum:
                topic = await self._open_topic(bot, chat_id, out.open_thread)
            elif out.to.thread_id is not None and forum:
                topic = int(out.to.thread_id)
            elif out.to.thread_id is not None:
                reply_to = int(out.to.thread_id)
            pieces = split_rich(neutralize_mentions(out.text), self.max_text_length)
            for number, piece in enumerate(pieces, start=1):
                sent: Message = await bot.send_message(
                    chat_id=chat_id,
                    text=to_html(piece),
                    parse_mode=ParseMode.HTML,
                    message_thread_id=topic,
                    reply_parameters=_reply_to(reply_to),
                    reply_markup=keyboard if number == len(pieces) else None,
                )
        except ValueError as exc:
            raise DeliveryError(f"cannot render for Telegram: {exc}", permanent=True) from exc
        except TelegramError as exc:
            raise delivery_error(exc) from exc
        thread_id = out.to.thread_id
        if out.open_thread is not None:
            self._unsent_topics.pop((chat_id, out.open_thread), None)
            thread_id = str(topic) if topic is not None else str(sent.message_id)
        return SentRef(PLATFORM, chat_id, str(sent.message_id), thread_id)

    async def edit(self, ref: SentRef, out: Outbound) -> None:
        """Replace the text and buttons; an edit cannot split, so over-long text is cut."""
        bot = self._running_bot()
        piece = split_rich(neutralize_mentions(out.text), self.max_text_length)[0]
        try:
            await bot.edit_message_text(
                chat_id=ref.chat_id,
                message_id=int(ref.message_id),
                text=to_html(piece),
                parse_mode=ParseMode.HTML,
                reply_markup=inline_keyboard(out.buttons),
            )
        except ValueError as exc:
            raise DeliveryError(f"cannot render for Telegram: {exc}", permanent=True) from exc
        except TelegramError as exc:
            if not is_not_modified(exc):
                raise delivery_error(exc) from exc

    async def _find_staff_room(self, bot: Bot) -> StaffRoom | None:
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

    async def _start_receiving(self, app: TelegramApp) -> None:
        updater = app.updater
        if updater is None:
            raise RuntimeError("the Telegram application was built without an updater")
        section = self._section
        if section.mode == "polling":
            await updater.start_polling(
                timeout=section.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
            return
        webhook_url = section.webhook_url or ""
        secret = section.webhook_secret.get_secret_value() if section.webhook_secret else None
        await updater.start_webhook(
            listen=section.webhook_listen,
            port=section.webhook_port,
            url_path=urlsplit(webhook_url).path,
            webhook_url=webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update comes through here; nothing in it may stop the receive loop."""
        try:
            if update.callback_query is not None:
                await self._on_press(update.update_id, update.callback_query)
                return
            event = inbound_from(update, self._origin)
            if event is None:
                log.debug("ignored update %d", update.update_id)
                return
            await self._deliver(update.update_id, event)
        except Exception:
            log.exception("dropped update %d", update.update_id)

    async def _on_press(self, update_id: int, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as exc:
            log.warning("could not answer button press %d: %s", update_id, exc.message)
        is_staff = False
        message = query.message
        if message is not None and is_staff_chat(message.chat, self._origin):
            is_staff = await self._is_staff_member(query.from_user.id)
        action = action_from(query, self._origin, is_staff=is_staff)
        if action is None:
            log.info("ignored button press %d (not ours or not understood)", update_id)
            return
        await self._deliver(update_id, action)

    async def _deliver(self, update_id: int, event: Event) -> None:
        core = self._core
        if core is None:
            log.warning("update %d arrived while stopping; dropped", update_id)
            return
        try:
            await core.handle(event)
        except Exception:
            log.exception("the core failed to handle update %d", update_id)

    async def _is_staff_member(self, user_id: int) -> bool:
        if self._membership is None:
            return False
        try:
            return await self._membership.is_staff(user_id)
        except TelegramError as exc:
            log.warning("staff check failed, treating the press as not staff: %s", exc.message)
            return False

    async def _open_topic(self, bot: Bot, chat_id: str, title: str) -> int:
        topic = self._unsent_topics.get((chat_id, title))
        if topic is None:
            created = await bot.create_forum_topic(chat_id=chat_id, name=title[:MAX_TOPIC_NAME])
            topic = created.message_thread_id
            self._unsent_topics[(chat_id, title)] = topic
        return topic

    def _is_forum(self, chat_id: str) -> bool:
        staff = self._origin.staff
        return (
            staff is not None and staff.is_forum and chat_id in (staff.address, str(staff.chat_id))
        )

    def _running_bot(self) -> Bot:
        if self._app is None:
            raise DeliveryError("the Telegram adapter is not running")
        bot: Bot = self._app.bot
        return bot


async def _member_status(bot: Bot, chat_id: int, user_id: int) -> str:
    member = await bot.get_chat_member(chat_id=chat_id, user_id=user_id)
    return str(member.status)


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


async def _shut_down(app: TelegramApp) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
