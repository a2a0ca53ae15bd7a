"""How a core `Button` travels through Slack and comes back as an `Action`.

The Block Kit `action_id` must be unique within a message, so it is
"sb:<action_id>:<index>"; the core's action id and value travel in the button's `value`
as "<action_id>:<value>" (the same encoding every adapter uses, at most 64 bytes).
"""

from __future__ import annotations

import re

from bot.contract import Button

ACTION_ID_PATTERN = re.compile(r"^sb:")


def block_action_id(button: Button, index: int) -> str:
    return f"sb:{button.action_id}:{index}"


def encode_value(button: Button) -> str:
    return f"{button.action_id}:{button.value}"


def decode_value(raw: str) -> tuple[str, str] | None:
    """(action_id, value) from a button's value, or None when it is not one of ours."""
    action_id, sep, value = raw.partition(":")
    if not sep or not action_id:
        return None
    return action_id, value
