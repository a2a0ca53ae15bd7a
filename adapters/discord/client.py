"""The discord.py client: intents, persistent buttons, slash commands, event routing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import add_agent_commands
from adapters.discord.components import SupportButton
from adapters.discord.events import EventReader
from adapters.discord.receive import CoreReceiver
from adapters.discord.rooms import Rooms
from bot.contract import Core

log = logging.getLogger("adapters.discord")

# discord.py sleeps through a 429 inline; a longer wait than this is raised instead
# (as discord.RateLimited) so the core's outbox schedules the retry.
MAX_INLINE_RATE_LIMIT_WAIT = 30.0


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
    """Hands messages, button presses and slash commands to the core.

    discord.py parses gateway events inside its receive loop, where an exception (a
    malformed payload) would end the connection task; every parser is wrapped so such
    an event is logged and dropped instead.
    """

    def __init__(self, core: Core, rooms: Rooms, *, guild_ready_timeout: float) -> None:
        # The bot never joins voice: no "PyNaCl/davey is not installed" warnings at start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents(),
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=MAX_INLINE_RATE_LIMIT_WAIT,
            chunk_guilds_at_startup=False,
        )
        self.receiver = CoreReceiver(core, EventReader(self, rooms))
        self.tree: app_commands.CommandTree[SupportClient] = app_commands.CommandTree(self)
        add_agent_commands(self.tree, self.receiver.on_command)
        parsers: dict[str, Callable[[Any], None]] = self._connection.parsers
        for event, parse in list(parsers.items()):
            parsers[event] = _drop_when_malformed(event, parse)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(SupportButton)

    async def on_message(self, message: discord.Message) -> None:
        await self.receiver.on_message(message)

    async def on_support_button(
        self, interaction: discord.Interaction[Any], action_id: str, value: str
    ) -> None:
        await self.receiver.on_button(interaction, action_id, value)
