"""The core's buttons on Discord: the `custom_id` codec and the persistent view.

Discord sends back only the `custom_id` of a pressed button, so everything the core
needs to rebuild the `Action` lives in it: `sb:<action_id>:<value>`.

`SupportButton` is a `DynamicItem`: discord.py matches a pressed button's custom_id
against `TEMPLATE`, whichever process sent the message, so a ticket card posted before
a restart still works after it. A press is handed to the client as the
`support_button` event (`on_support_button(interaction, action_id, value)`).
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.contract import Button

TEMPLATE = re.compile(r"sb:(?P<action>[a-z_]+):(?P<value>[^:]*)")
MAX_LENGTH = 100  # Discord's limit for a component custom_id
MAX_LABEL = 80  # Discord's limit for a button label


def encode(action_id: str, value: str) -> str:
    custom_id = f"sb:{action_id}:{value}"
    if len(custom_id) > MAX_LENGTH or TEMPLATE.fullmatch(custom_id) is None:
        raise ValueError(f"button {action_id!r} cannot be encoded as a Discord custom_id")
    return custom_id


def decode(custom_id: str) -> tuple[str, str] | None:
    """(action_id, value), or None when `custom_id` is not one of ours."""
    match = TEMPLATE.fullmatch(custom_id)
    if match is None:
        return None
    return match["action"], match["value"]


class SupportButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=TEMPLATE,
):
    def __init__(self, label: str, action_id: str, value: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:MAX_LABEL] or "-",
                style=discord.ButtonStyle.secondary,
                custom_id=encode(action_id, value),
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
