"""Buttons <-> inline keyboards and their callback data ("action_id:value", <= 64 bytes)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.contract import Button

MAX_CALLBACK_BYTES = 64
# A row is full when its labels add up to this many characters (about a phone's width)
# or it holds this many buttons, so "1".."5" share a row and long suggestions do not.
ROW_CHARS = 24
ROW_BUTTONS = 5


def encode_callback(button: Button) -> str:
    data = f"{button.action_id}:{button.value}"
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {button.action_id!r}")
    return data


def decode_callback(data: str | None) -> tuple[str, str] | None:
    """(action_id, value), or None when the data is not ours."""
    if not data or ":" not in data:
        return None
    action_id, value = data.split(":", 1)
    return (action_id, value) if action_id else None


def inline_keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    width = 0
    for button in buttons:
        key = InlineKeyboardButton(button.label, callback_data=encode_callback(button))
        if rows and len(rows[-1]) < ROW_BUTTONS and width + len(button.label) <= ROW_CHARS:
            rows[-1].append(key)
            width += len(button.label)
        else:
            rows.append([key])
            width = len(button.label)
    return InlineKeyboardMarkup(rows)
