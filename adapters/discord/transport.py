"""The connection to Discord: which servers discord.py talks to, and the client that
turns gateway traffic into calls on a `Listener` (adapters/discord/receive.py).

discord.py keeps both addresses in class attributes (`Route.BASE` for REST,
`DiscordWebSocket.DEFAULT_GATEWAY` for the gateway), so they are process-wide: one
Discord adapter per process. Both are set on every start, so an adapter without
`api_base_url` goes back to discord.com even after one that had it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from adapters.discord.buttons import SupportButton
from adapters.discord.commands import add_agent_commands
from bot.config import DiscordSection

log = logging.getLogger("adapters.discord")

DISCORD_API = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"
# discord.py sleeps through a 429 inline; a longer wait than this is raised instead
# (as discord.RateLimited) so the core's outbox schedules the retry.
MAX_INLINE_RATE_LIMIT_WAIT = 30.0


class Listener(Protocol):
    async def on_message(self, message: discord.Message) -> None: ...

    async def on_button(
        self, interaction: discord.Interaction[Any], action_id: str, value: str
    ) -> None: ...

    async def on_command(self, interaction: discord.Interaction[Any], text: str) -> None: ...

    async def on_ready(self) -> None: ...


def use_api(section: DiscordSection) -> None:
    """Point REST calls at `api_base_url` (e.g. "http://127.0.0.1:8080/api/v10")."""
    discord.http.Route.BASE = (section.api_base_url or DISCORD_API).rstrip("/")


async def use_gateway(section: DiscordSection, client: discord.Client) -> None:
    """Point the gateway at `gateway_url`; without it, at the gateway that a custom API
    names in `GET /gateway/bot` (how Discord tells clients where to connect); else at
    Discord's. Call after login (the lookup needs the token)."""
    if section.gateway_url:
        url = section.gateway_url
    elif section.api_base_url:
        _shards, url, _limits = await client.http.get_bot_gateway()
    else:
        url = DISCORD_GATEWAY
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


def intents() -> discord.Intents:
    """Guilds, DMs, guild messages and their content; no members (staff roles come with
    each event)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.dm_messages = True
    wanted.guild_messages = True
    wanted.message_content = True
    return wanted


def _drop_when_malformed(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
    def parse_or_drop(data: Any) -> None:
        try:
            parse(data)
        except Exception as exc:
            log.warning("dropped a malformed %s gateway event (%s)", event, type(exc).__name__)
            log.debug("malformed %s gateway event", event, exc_info=True)

    return parse_or_drop


class SupportClient(discord.Client):
    """Passes messages, button presses, slash commands and READY to its listener.

    discord.py parses gateway events inside its receive loop, where an exception (a
    malformed payload) would end the connection task; every parser is wrapped so such
    an event is logged and dropped instead.
    """

    def __init__(self, *, guild_ready_timeout: float) -> None:
        # The bot never joins voice: no "PyNaCl/davey is not installed" warnings at start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents(),
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=MAX_INLINE_RATE_LIMIT_WAIT,
            chunk_guilds_at_startup=False,
        )
        self._listener: Listener | None = None
        self.tree: app_commands.CommandTree[SupportClient] = app_commands.CommandTree(self)
        parsers: dict[str, Callable[[Any], None]] = self._connection.parsers
        for event, parse in list(parsers.items()):
            parsers[event] = _drop_when_malformed(event, parse)

    def listen(self, listener: Listener) -> None:
        """Send every event to `listener`; call once, before connecting."""
        self._listener = listener
        add_agent_commands(self.tree, listener.on_command)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(SupportButton)

    async def on_message(self, message: discord.Message) -> None:
        if self._listener is not None:
            await self._listener.on_message(message)

    async def on_support_button(
        self, interaction: discord.Interaction[Any], action_id: str, value: str
    ) -> None:
        if self._listener is not None:
            await self._listener.on_button(interaction, action_id, value)

    async def on_ready(self) -> None:
        if self._listener is not None:
            await self._listener.on_ready()
