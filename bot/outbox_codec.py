"""Outbound messages as JSON for the outbox table, and back."""

from __future__ import annotations

from typing import Any

from bot.contract import Button, Rich, Span, Style


def encode(
    text: Rich, buttons: tuple[Button, ...] = (), open_thread: str | None = None
) -> dict[str, Any]:
    return {
        "text": [[span.text, span.style.value] for span in text],
        "buttons": [[b.label, b.action_id, b.value] for b in buttons],
        "open_thread": open_thread,
    }


def decode(payload: dict[str, Any]) -> tuple[Rich, tuple[Button, ...], str | None]:
    text = tuple(Span(str(t), Style(style)) for t, style in payload["text"])
    buttons = tuple(Button(str(label), str(a), str(v)) for label, a, v in payload["buttons"])
    open_thread = payload.get("open_thread")
    return text, buttons, None if open_thread is None else str(open_thread)
