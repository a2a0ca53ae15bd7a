"""The Slack adapter: lifecycle, and Web API calls out.

Inbound: Socket Mode or the HTTP Events API (`transport.py`) feed a Bolt `AsyncApp`
whose listeners (`receive.py`) hand each event to the core and acknowledge it to Slack
only once it is stored.

Outbound: one `chat.postMessage` per piece of text (`render.py` explains the Block Kit
layout), `chat.update` for edits (cut to one message by `fit_for_edit`), both paced
per channel. The SDK retries a 429 after its `Retry-After` (`slack.rate_limit_retries`
times); after that, and for any other failure, a `DeliveryError` goes back to the
outbox. A resend that may repeat an attempt which reached Slack posts only the pieces
Slack does not have yet (`resend.py`).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import aiohttp
from pydantic import SecretStr
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.errors import CALL_ERRORS, delivery_error
from adapters.slack.inbound import Rooms
from adapters.slack.pacing import ChannelPacer
from adapters.slack.receive import SlackReceiver
from adapters.slack.render import SlackMessage, render_message
from adapters.slack.resend import outbox_metadata, posted_pieces
from adapters.slack.retries import RepeatableConnectionErrorRetryHandler
from adapters.slack.staff import staff_agents
from adapters.slack.transport import HttpTransport, SocketTransport, Transport
from bot.config import ConfigError, SlackSection, StaffSection
from bot.contract import Address, Agent, Core, DeliveryError, Outbound, SentRef
from bot.text import fit_for_edit, split_rich

_log = logging.getLogger("adapters.slack")

_DEFAULT_API = "https://slack.com/api/"


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
            base_url=api_base(section.api_base_url),
            timeout=math.ceil(section.request_timeout),
            retry_handlers=[
                RepeatableConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=section.rate_limit_retries),
            ],
        )
        self._staff_channel = staff.chat_id if staff.platform == self.platform else None
        self._pacer = ChannelPacer()
        self._receiver: SlackReceiver | None = None
        self._transport: Transport | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def http_port(self) -> int | None:
        """The port the Events API listens on (HTTP mode, once started), else None."""
        transport = self._transport
        return transport.bound_port if isinstance(transport, HttpTransport) else None

    async def start(self, core: Core) -> None:
        if self._transport is not None:
            raise RuntimeError("the slack adapter is already started")
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._section.request_timeout)
        )
        self._client.session = self._session
        try:
            identity = await self._client.auth_test()
            rooms = Rooms(
                bot_user_id=str(identity.get("user_id") or ""),
                staff_channel=self._staff_channel,
                support_channel=self._section.support_channel,
            )
            receiver = SlackReceiver(self._client, rooms, core)
            transport = self._transport_for(receiver, identity)
            await transport.start()
        except BaseException:
            await self._close_session()
            raise
        self._receiver, self._transport = receiver, transport
        _log.info("slack adapter started (%s mode)", self._section.mode)

    async def stop(self) -> None:
        transport, self._transport = self._transport, None
        receiver, self._receiver = self._receiver, None
        if transport is not None:
            await transport.stop()
        if receiver is not None:
            await receiver.drain()
        await self._close_session()

    async def down_reason(self) -> str | None:
        """Set while the Socket Mode websocket is down, for /healthz."""
        transport = self._transport
        if isinstance(transport, SocketTransport) and not await transport.connected():
            return "the Socket Mode connection is down"
        return None

    async def list_agents(self) -> list[Agent]:
        """The staff channel's people (bots left out), named as Slack shows them."""
        if self._staff_channel is None:
            return []
        return await staff_agents(self._client, self._staff_channel)

    async def send(self, out: Outbound) -> SentRef:
        _check_address(out.to)
        if out.private_to is not None:
            return await self._post_private(out, out.private_to)
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
        message = render_message(fit_for_edit(out.text, self.max_text_length), out.buttons)
        await self._pacer.wait(ref.chat_id)
        try:
            await self._client.chat_update(
                channel=ref.chat_id, ts=ref.message_id, text=message.text, blocks=message.blocks
            )
        except CALL_ERRORS as exc:
            raise delivery_error(exc, "chat.update") from exc

    async def _post_private(self, out: Outbound, user_id: str) -> SentRef:
        """`chat.postEphemeral`: only `user_id` sees it, in the thread they wrote in."""
        message = render_message(fit_for_edit(out.text, self.max_text_length))
        await self._pacer.wait(out.to.chat_id)
        try:
            response = await self._client.chat_postEphemeral(
                channel=out.to.chat_id,
                user=user_id,
                thread_ts=out.to.thread_id,
                text=message.text,
                blocks=message.blocks,
            )
        except CALL_ERRORS as exc:
            raise delivery_error(exc, "chat.postEphemeral") from exc
        ts = str(response.get("message_ts") or "")
        return SentRef(self.platform, out.to.chat_id, ts, out.to.thread_id)

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

    def _transport_for(self, receiver: SlackReceiver, identity: AsyncSlackResponse) -> Transport:
        section = self._section
        secret = section.signing_secret
        app = receiver.bolt_app(
            signing_secret=secret.get_secret_value() if secret is not None else "",
            verify_requests=section.mode == "http",
            identity=identity,
        )
        if section.mode == "socket":
            return SocketTransport(
                app, _require(section.app_token, "slack.app_token"), receiver.note_arrival
            )
        return HttpTransport(app, section.http_listen, section.http_port)

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


def api_base(url: str | None) -> str:
    if not url:
        return _DEFAULT_API
    return url if url.endswith("/") else url + "/"


def _check_address(to: Address) -> None:
    if to.platform != SlackAdapter.platform:
        raise DeliveryError(f"slack adapter cannot send to {to.platform}", permanent=True)
