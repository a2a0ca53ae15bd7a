"""Incoming Discord traffic -> `core.handle`, acknowledging every interaction.

Nothing raised here may reach discord.py's loop: an unreadable event or a failing
core is logged (ids only, never customer text or tokens) and the next event is served.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from adapters.discord.events import EventReader
from bot.contract import Core, Event

log = logging.getLogger("adapters.discord")

NOT_HERE = "Agent commands work only for staff, inside a ticket thread of the staff channel."
DONE = "done"
FAILED = "That did not work; the bot's log has the details."


class CoreReceiver:
    def __init__(self, core: Core, reader: EventReader) -> None:
        self._core = core
        self._reader = reader

    async def _deliver(self, event: Event) -> bool:
        try:
            await self._core.handle(event)
        except Exception:
            log.exception("the core failed on %s %s", type(event).__name__, event.message_id)
            return False
        return True

    async def on_message(self, message: discord.Message) -> None:
        try:
            inbound = await self._reader.inbound(message)
        except Exception as exc:
            log.warning("dropped message %s: %s", message.id, type(exc).__name__)
            return
        if inbound is not None:
            await self._deliver(inbound)

    async def on_button(
        self, interaction: discord.Interaction[Any], action_id: str, value: str
    ) -> None:
        try:
            await interaction.response.defer()
        except discord.HTTPException as exc:
            log.warning(
                "could not acknowledge button press %s: HTTP %s", interaction.id, exc.status
            )
        try:
            action = await self._reader.action(interaction, action_id, value)
        except Exception as exc:
            log.warning("dropped button press %s: %s", interaction.id, type(exc).__name__)
            return
        if action is not None:
            await self._deliver(action)

    async def on_command(self, interaction: discord.Interaction[Any], text: str) -> None:
        try:
            inbound = await self._reader.command(interaction, text)
        except Exception as exc:
            log.warning("dropped slash command %s: %s", interaction.id, type(exc).__name__)
            inbound = None
        if inbound is None:
            await interaction.response.send_message(NOT_HERE, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        delivered = await self._deliver(inbound)
        await interaction.followup.send(DONE if delivered else FAILED, ephemeral=True)
