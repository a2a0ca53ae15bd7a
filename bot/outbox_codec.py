"""Outbound messages as JSON for the outbox table, and back."""

from __future__ import annotations

from typing import Any

from bot.contract import Answered, Button, Rich, Span, Style


def encode(
    text: Rich, buttons: tuple[Button, ...] = (), open_thread: str | None = None
) -> dict[str, Any]:
    return {
        "text": [_span(span) for span in text],
        "buttons": [[b.label, b.action_id, b.value] for b in buttons],
        "open_thread": open_thread,
    }


def encode_private(payload: dict[str, Any], user_id: str, answers: Answered) -> dict[str, Any]:
    """`payload` as a reply only `user_id` sees (`Outbound.private_to`)."""
    return {
        **payload,
        "private_to": user_id,
        "answers": [answers.message_id, answers.event_id],
    }


def decode_private(payload: dict[str, Any]) -> dict[str, Any]:
    """The `Outbound` fields of a private reply (none for any other message)."""
    user_id, answers = payload.get("private_to"), payload.get("answers")
    if user_id is None or not isinstance(answers, list) or len(answers) != 2:
        return {}
    return {"private_to": str(user_id), "answers": Answered(str(answers[0]), str(answers[1]))}


def decode(payload: dict[str, Any]) -> tuple[Rich, tuple[Button, ...], str | None]:
    text = tuple(
        Span(str(t), Style(style), str(rest[0]) if rest else None)
        for t, style, *rest in payload["text"]
    )
    buttons = tuple(Button(str(label), str(a), str(v)) for label, a, v in payload["buttons"])
    open_thread = payload.get("open_thread")
    return text, buttons, None if open_thread is None else str(open_thread)


def _span(span: Span) -> list[str]:
    """[text, style], and the url of a link."""
    if span.url is None:
        return [span.text, span.style.value]
    return [span.text, span.style.value, span.url]
