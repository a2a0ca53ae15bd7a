"""The Discord adapter: customers in DMs (and a support channel), agents in a staff
channel where each ticket card opens a thread. This module starts and stops it and
sends and edits; listening is receive.py's job, the connection transport.py's.

Addresses: a DM is its DM channel; in the support channel `thread_id` is the
customer's message, answered as a reply in the channel; in the staff channel
`thread_id` is a ticket thread, itself a channel. A thread started from a message has
that message's id, which is how `edit` tells a card (in the channel) from a message
inside its thread.

Sent once: every piece of a message carries a nonce derived from the outbox key, which
discord.py sends with `enforce_nonce`, so Discord answers a repeat (a resend after a
timeout or a crash) with the message it already created instead of a second one. That
holds for a few minutes, which covers the outbox's resends of a message in doubt. A card
whose thread an earlier attempt already started keeps that thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any, Literal

import aiohttp
import discord

from adapters.discord import transport
from adapters.discord.buttons import view_of
from adapters.discord.cursors import Cursors
from adapters.discord.errors import delivery_error
from adapters.discord.inbound import PLATFORM, EventReader
from adapters.discord.receive import Receiver
from adapters.discord.render import render_edit, render_messages
from adapters.discord.spool import Spool
from adapters.discord.staff import Rooms, pressed_cache
from adapters.discord.transport import SupportClient
from bot.config import DiscordSection, StaffSection
from bot.contract import Address, Agent, Core, DeliveryError, Outbound, SentRef
from bot.ids import parse_id

log = logging.getLogger("adapters.discord")

READY_TIMEOUT = 30.0  # after this, start() returns and the connection keeps trying
THREAD_NAME_LIMIT = 100
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080  # a week: the longest Discord offers
THREAD_ALREADY_CREATED = 160004  # Discord's error code: this message already has a thread
NONCE_LIMIT = 25  # characters
_SEND_FAILURES = (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError, ValueError)


class DiscordAdapter:
    platform = PLATFORM
    max_text_length = 2000

    def __init__(self, section: DiscordSection, staff: StaffSection) -> None:
        self._section = section
        self._rooms = Rooms.from_config(section, staff)
        self._client: SupportClient | None = None
        self._connection: asyncio.Task[None] | None = None
        self._receiver: Receiver | None = None
        self._pressed = pressed_cache()

    async def start(self, core: Core) -> None:
        if self._client is not None:
            raise RuntimeError("the Discord adapter is already started")
        if self._section.token is None:
            raise ValueError("discord.token is not set")
        if self._rooms.staff_channel_id is not None and self._rooms.staff_role_id is None:
            log.warning("discord.staff_role_id is not set: nobody in the staff channel is staff")
        transport.use_api(self._section)
        client = SupportClient(guild_ready_timeout=self._section.guild_ready_timeout)
        folder = self._section.spool_dir
        receiver = Receiver(
            core,
            client,
            EventReader(client, self._rooms),
            Spool(folder, self._section.spool_max_events),
            Cursors(folder),
            self._pressed,
        )
        receiver.start()
        client.listen(receiver)
        self._client, self._receiver = client, receiver
        try:
            await client.login(self._section.token.get_secret_value())
            await transport.use_gateway(self._section, client)
            if self._section.sync_commands:
                await client.tree.sync()
            self._connection = asyncio.create_task(client.connect(), name="discord-gateway")
            self._connection.add_done_callback(_report_end)
            await self._wait_ready(client, self._connection)
        except BaseException:
            await self.stop()
            raise

    @staticmethod
    async def _wait_ready(client: SupportClient, connection: asyncio.Task[None]) -> None:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, connection}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        ready.cancel()
        if connection in done:
            connection.result()
            raise ConnectionError("the Discord gateway connection ended during start-up")
        if not done:
            log.warning("not ready after %.0f s; still connecting in the background", READY_TIMEOUT)

    async def stop(self) -> None:
        client, connection, receiver = self._client, self._connection, self._receiver
        self._client = self._connection = self._receiver = None
        if client is not None and not client.is_closed():
            await client.close()
        if connection is not None:
            connection.cancel()
            await asyncio.gather(connection, return_exceptions=True)
        if receiver is not None:
            await receiver.stop()

    async def down_reason(self) -> str | None:
        """Set once the gateway connection has ended for good (discord.py reconnects
        by itself after anything else), for /healthz."""
        connection = self._connection
        if connection is None or not connection.done():
            return None
        failure = None if connection.cancelled() else connection.exception()
        return f"the gateway connection ended ({type(failure).__name__ if failure else 'closed'})"

    def _require_client(self) -> SupportClient:
        if self._client is None:
            raise DeliveryError("discord: the adapter is not started")
        return self._client

    def _channel_of(self, address: Address) -> tuple[int, int | None]:
        """(channel to post in, message to reply to) for `address`."""
        if address.thread_id is None:
            return int(address.chat_id), None
        if self._rooms.is_support_channel(address.chat_id):
            return int(address.chat_id), int(address.thread_id)
        return int(address.thread_id), None

    @staticmethod
    def _messageable(client: SupportClient, channel_id: int) -> discord.abc.Messageable:
        """The cached channel (a card needs its guild to open a thread), else a partial one."""
        channel = client.get_channel(channel_id)
        if isinstance(channel, discord.abc.Messageable):
            return channel
        return client.get_partial_messageable(channel_id)

    async def list_agents(self) -> list[Agent]:
        return await self._rooms.agents(self._require_client())

    async def send(self, out: Outbound) -> SentRef:
        client = self._require_client()
        if out.private_to is not None and out.answers is not None:
            pressed = self._pressed.get(out.answers.event_id)
            if pressed is not None:
                return await self._follow_up(pressed, out)
        try:
            channel_id, answered = self._channel_of(out.to)
            channel = self._messageable(client, channel_id)
            reply: dict[str, Any] = {}
            if answered is None and out.answers is not None:
                answered = parse_id(out.answers.message_id)
            if answered is not None:
                reply["reference"] = discord.MessageReference(
                    message_id=answered, channel_id=channel_id, fail_if_not_exists=False
                )
            view = view_of(out.buttons)
            texts = render_messages(out.text, self.max_text_length)
            for index, text in enumerate(texts):
                last = index == len(texts) - 1
                components: dict[str, Any] = {"view": view} if last and view is not None else {}
                once: dict[str, Any] = {} if out.key is None else {"nonce": _nonce(out.key, index)}
                async with asyncio.timeout(self._section.request_timeout):
                    message = await channel.send(
                        content=text or None,
                        allowed_mentions=discord.AllowedMentions.none(),
                        **reply,
                        **components,
                        **once,
                    )
            thread_id = out.to.thread_id
            if out.open_thread is not None:
                thread_id = await self._open_thread(message, out.open_thread)
        except _SEND_FAILURES as exc:
            raise delivery_error(exc) from exc
        return SentRef(self.platform, out.to.chat_id, str(message.id), thread_id)

    async def _follow_up(self, pressed: discord.Interaction[Any], out: Outbound) -> SentRef:
        """An answer to a button press that only its presser sees (an ephemeral follow-up)."""
        try:
            async with asyncio.timeout(self._section.request_timeout):
                message = await pressed.followup.send(
                    content=render_edit(out.text, self.max_text_length),
                    ephemeral=True,
                    allowed_mentions=discord.AllowedMentions.none(),
                    wait=True,
                )
        except _SEND_FAILURES as exc:
            raise delivery_error(exc) from exc
        return SentRef(self.platform, out.to.chat_id, str(message.id), out.to.thread_id)

    async def _open_thread(self, card: discord.Message, title: str) -> str:
        """The thread started from `card`: a new one, or the one an earlier attempt started
        (a thread started from a message has the message's id)."""
        try:
            async with asyncio.timeout(self._section.request_timeout):
                thread = await card.create_thread(
                    name=title[:THREAD_NAME_LIMIT] or "ticket",
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                )
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_CREATED:
                raise
            return str(card.id)
        return str(thread.id)

    async def edit(self, ref: SentRef, out: Outbound) -> None:
        client = self._require_client()
        starts_its_thread = ref.thread_id == ref.message_id
        thread_id = None if starts_its_thread else ref.thread_id
        try:
            channel_id, _ = self._channel_of(Address(ref.platform, ref.chat_id, thread_id))
            message = client.get_partial_messageable(channel_id).get_partial_message(
                int(ref.message_id)
            )
            async with asyncio.timeout(self._section.request_timeout):
                await message.edit(
                    content=render_edit(out.text, self.max_text_length),
                    view=view_of(out.buttons),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
        except _SEND_FAILURES as exc:
            raise delivery_error(exc) from exc


def _nonce(key: str, piece: int) -> str:
    """The nonce of piece `piece` of the message `key`: the same on every attempt, and
    within Discord's 25 characters."""
    nonce = f"{key}.{piece}"
    if len(nonce) > NONCE_LIMIT:
        nonce = hashlib.sha256(nonce.encode()).hexdigest()[:NONCE_LIMIT]
    return nonce


def _report_end(connection: asyncio.Task[None]) -> None:
    if not connection.cancelled() and connection.exception() is not None:
        log.error("the Discord gateway connection ended: %r", connection.exception())
