"""The Slack adapter: Bolt listeners in, Web API calls out.

Inbound: Socket Mode or the HTTP Events API feed a Bolt `AsyncApp`; a middleware drops
events whose `event_id` was already seen (Slack's retries), and the listeners turn DMs,
mentions in the support channel, staff-channel messages and button presses into core
events (see `events.py` for which is which). A failing `core.handle` is logged and
never stops the app.

Outbound: one `chat.postMessage` per piece of text (`render.py` explains the Block Kit
layout), `chat.update` for edits, both paced per channel. The SDK retries a 429 after
its `Retry-After` (`slack.rate_limit_retries` times); after that, and for any other
failure, a `DeliveryError` goes back to the outbox. A resend that may repeat an attempt
which reached Slack posts only the pieces Slack does not have yet (`resend.py`).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import aiohttp
from pydantic import SecretStr
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.buttons import ACTION_ID_PATTERN
from adapters.slack.dedup import RecentIds
from adapters.slack.errors import CALL_ERRORS, delivery_error
from adapters.slack.events import (
    MalformedEvent,
    Pressed,
    Rooms,
    Said,
    pressed,
    said_in_mention,
    said_in_message,
)
from adapters.slack.members import ChannelMembers
from adapters.slack.pacing import ChannelPacer
from adapters.slack.people import People
from adapters.slack.receivers import HttpReceiver, Receiver, SocketReceiver
from adapters.slack.render import SlackMessage, render_message
from adapters.slack.resend import outbox_metadata, posted_pieces
from adapters.slack.retries import RepeatableConnectionErrorRetryHandler
from bot.config import ConfigError, SlackSection, StaffSection
from bot.contract import (
    Action,
    Address,
    Core,
    DeliveryError,
    Event,
    Inbound,
    Outbound,
    Rich,
    SentRef,
    Span,
    plain_text,
)
from bot.text import split_rich

_log = logging.getLogger("adapters.slack")

_DEFAULT_API = "https://slack.com/api/"
_STOP_GRACE = 5.0  # seconds stop() waits for events being handled

_Parsed = TypeVar("_Parsed", Said, Pressed)


class SlackAdapter:
    platform = "slack"
    max_text_length = 3000

    def __init__(self, section: SlackSection, staff: StaffSection) -> None:
        self._section = section
        bot_token = _require(section.bot_token, "slack.bot_token")
        if section.mode == "socket":
            _require(section.app_token, "slack.app_token")
        else:
            _require(section.signing_secret, "slack.signing_secret")
        self._client = AsyncWebClient(
            token=bot_token,
            base_url=_api_base(section.api_base_url),
            timeout=math.ceil(section.request_timeout),
            retry_handlers=[
                RepeatableConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=section.rate_limit_retries),
            ],
        )
        self._staff_channel = staff.chat_id if staff.platform == self.platform else None
        self._members = (
            ChannelMembers(self._client, self._staff_channel) if self._staff_channel else None
        )
        self._people = People(self._client)
        self._pacer = ChannelPacer()
        self._recent = RecentIds()
        self._rooms = Rooms(bot_user_id="")
        self._core: Core | None = None
        self._receiver: Receiver | None = None
        self._session: aiohttp.ClientSession | None = None
        self._handling: set[asyncio.Task[Any]] = set()

    @property
    def http_port(self) -> int | None:
        """The port the Events API listens on (HTTP mode, once started), else None."""
        return self._receiver.bound_port if isinstance(self._receiver, HttpReceiver) else None

    async def start(self, core: Core) -> None:
        if self._receiver is not None:
            raise RuntimeError("the slack adapter is already started")
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._section.request_timeout)
        )
        self._client.session = self._session
        try:
            identity = await self._client.auth_test()
            self._rooms = Rooms(
                bot_user_id=str(identity.get("user_id") or ""),
                staff_channel=self._staff_channel,
                support_channel=self._section.support_channel,
            )
            self._core = core
            receiver = self._receiver_for(self._bolt_app())
            await receiver.start()
        except BaseException:
            await self._close_session()
            raise
        self._receiver = receiver
        _log.info("slack adapter started (%s mode)", self._section.mode)

    async def stop(self) -> None:
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            await receiver.stop()
        if self._handling:
            _, pending = await asyncio.wait(set(self._handling), timeout=_STOP_GRACE)
            for task in pending:
                task.cancel()
        await self._close_session()

    async def send(self, out: Outbound) -> SentRef:
        _check_address(out.to)
        pieces = split_rich(out.text, self.max_text_length)
        posted: dict[int, str] = {}
        if out.maybe_sent and out.key is not None:
            posted = await posted_pieces(self._client, out.to, out.key)
        ts = ""
        for index, piece in enumerate(pieces):
            buttons = out.buttons if index == len(pieces) - 1 else ()
            metadata = outbox_metadata(out.key, index) if out.key is not None else None
            ts = posted.get(index) or await self._post(
                out.to, render_message(piece, buttons), metadata
            )
        thread_id = ts if out.open_thread else out.to.thread_id
        return SentRef(self.platform, out.to.chat_id, ts, thread_id)

    async def edit(self, ref: SentRef, out: Outbound) -> None:
        message = render_message(self._fit(out.text), out.buttons)
        await self._pacer.wait(ref.chat_id)
        try:
            await self._client.chat_update(
                channel=ref.chat_id, ts=ref.message_id, text=message.text, blocks=message.blocks
            )
        except CALL_ERRORS as exc:
            raise delivery_error(exc, "chat.update") from exc

    async def _post(
        self, to: Address, message: SlackMessage, metadata: dict[str, Any] | None
    ) -> str:
        await self._pacer.wait(to.chat_id)
        try:
            response = await self._client.chat_postMessage(
                channel=to.chat_id,
                thread_ts=to.thread_id,
                text=message.text,
                blocks=message.blocks,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            )
        except CALL_ERRORS as exc:
            raise delivery_error(exc, "chat.postMessage") from exc
        ts = response.get("ts")
        if not isinstance(ts, str) or not ts:
            raise DeliveryError("slack chat.postMessage: answer without a message ts")
        return ts

    def _fit(self, rich: Rich) -> Rich:
        """An edit cannot be split into several messages: cut it short, marked with '…'."""
        if len(plain_text(rich)) <= self.max_text_length:
            return rich
        return (*split_rich(rich, self.max_text_length - 1)[0], Span("…"))

    def _receiver_for(self, app: AsyncApp) -> Receiver:
        section = self._section
        if section.mode == "socket":
            return SocketReceiver(app, _require(section.app_token, "slack.app_token"))
        return HttpReceiver(app, section.http_listen, section.http_port)

    def _bolt_app(self) -> AsyncApp:
        secret = self._section.signing_secret
        app = AsyncApp(
            name="supportbot",
            client=self._client,
            signing_secret=secret.get_secret_value() if secret is not None else "",
            request_verification_enabled=self._section.mode == "http",
        )
        app.middleware(self._drop_repeats)
        app.event("message")(self._on_message)
        app.event("app_mention")(self._on_mention)
        app.action(ACTION_ID_PATTERN)(self._on_button)
        return app

    async def _drop_repeats(
        self,
        body: dict[str, Any],
        req: AsyncBoltRequest,
        next_: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not self._recent.first_time(event_id):
            retry = req.headers.get("x-slack-retry-num", ["none"])[0]
            _log.info("dropped repeated slack event %s (retry %s)", event_id, retry)
            return BoltResponse(status=200, body="")
        return await next_()

    async def _on_message(self, event: dict[str, Any]) -> None:
        said = self._read(said_in_message, event, "message")
        if said is not None:
            await self._hand_over(await self._inbound(said))

    async def _on_mention(self, event: dict[str, Any]) -> None:
        said = self._read(said_in_mention, event, "app_mention")
        if said is not None:
            await self._hand_over(await self._inbound(said))

    async def _on_button(self, ack: Callable[[], Awaitable[None]], body: dict[str, Any]) -> None:
        await ack()
        press = self._read(pressed, body, "block_actions")
        if press is None:
            return
        sender = await self._people.sender(press.user_id)
        action = Action(
            platform=self.platform,
            chat_id=press.chat_id,
            thread_id=press.thread_id,
            sender=sender,
            action_id=press.action_id,
            value=press.value,
            message_id=press.message_id,
            from_staff_room=await self._is_staff(press.in_staff_room, press.user_id),
        )
        await self._hand_over(action)

    def _read(
        self,
        parse: Callable[[Mapping[str, Any], Rooms], _Parsed | None],
        payload: Mapping[str, Any],
        kind: str,
    ) -> _Parsed | None:
        try:
            return parse(payload, self._rooms)
        except MalformedEvent as exc:
            _log.warning("dropped a malformed slack %s: %s", kind, exc)
            return None

    async def _inbound(self, said: Said) -> Inbound:
        return Inbound(
            platform=self.platform,
            chat_id=said.chat_id,
            thread_id=said.thread_id,
            sender=await self._people.sender(said.user_id),
            text=said.text,
            message_id=said.message_id,
            from_staff_room=await self._is_staff(said.in_staff_room, said.user_id),
            reply_to=said.reply_to,
        )

    async def _is_staff(self, in_staff_room: bool, user_id: str) -> bool:
        return in_staff_room and self._members is not None and await self._members.contains(user_id)

    async def _hand_over(self, event: Event) -> None:
        core = self._core
        if core is None:
            return
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            await core.handle(event)
        except Exception:
            _log.exception(
                "core failed on a slack %s in %s", type(event).__name__.lower(), event.chat_id
            )
        finally:
            if task is not None:
                self._handling.discard(task)

    async def _close_session(self) -> None:
        session, self._session = self._session, None
        self._client.session = None
        if session is not None:
            await session.close()


def _require(secret: SecretStr | None, key: str) -> str:
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        raise ConfigError(f"{key}: required for the slack adapter")
    return value


def _api_base(url: str | None) -> str:
    if not url:
        return _DEFAULT_API
    return url if url.endswith("/") else url + "/"


def _check_address(to: Address) -> None:
    if to.platform != SlackAdapter.platform:
        raise DeliveryError(f"slack adapter cannot send to {to.platform}", permanent=True)
