"""The core's buttons as a persistent Discord view.

`SupportButton` is a `DynamicItem`: discord.py matches a pressed button's custom_id
against its template, whichever process sent the message, so a ticket card posted
before a restart still works after it. A press is handed to the client as the
`support_button` event (`on_support_button(interaction, action_id, value)`).
"""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord import custom_id
from bot.contract import Button

MAX_LABEL = 80  # Discord's limit for a button label


class SupportButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=custom_id.TEMPLATE,
):
    def __init__(self, label: str, action_id: str, value: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:MAX_LABEL] or "-",
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id.encode(action_id, value),
            )
        )
        self.action_id = action_id
        self.value = value

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SupportButton:
        label = getattr(item, "label", None) or "-"
        return cls(label, match["action"], match["value"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        interaction.client.dispatch("support_button", interaction, self.action_id, self.value)


def view_of(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    """A view holding `buttons`, or None (no components: removes them on edit)."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(SupportButton(button.label, button.action_id, button.value))
    return view
