"""Core events as JSON objects, for the inbox row (and any spool) that keeps them."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from bot.contract import Action, Event, Inbound, Sender


class UnreadableEvent(ValueError):
    """A stored event that does not decode (written by a newer version, or damaged)."""


def encode_event(event: Event) -> dict[str, Any]:
    kind = "inbound" if isinstance(event, Inbound) else "action"
    return {"kind": kind, **asdict(event)}


def decode_event(data: dict[str, Any]) -> Event:
    fields = dict(data)
    kind = fields.pop("kind", None)
    try:
        sender = Sender(**fields.pop("sender"))
        if kind == "inbound":
            return Inbound(sender=sender, **fields)
        if kind == "action":
            return Action(sender=sender, **fields)
    except (KeyError, TypeError) as exc:
        raise UnreadableEvent(f"stored event does not decode: {exc}") from exc
    raise UnreadableEvent(f"stored event of unknown kind {kind!r}")


def event_key(event: Event) -> str:
    """What identifies one event within its chat: a redelivery has the same key.

    A press without a platform id cannot be recognised again, so it gets a key of its own.
    """
    if isinstance(event, Inbound):
        return f"m:{event.message_id}"
    return f"a:{event.event_id}" if event.event_id else f"a:{uuid.uuid4().hex}"


def lane_of(event: Event) -> str:
    """Events of one lane are handled one at a time, in the order received: one chat
    (a customer's conversation) or one thread (a ticket's thread in the staff room)."""
    return f"{event.platform}:{event.chat_id}:{event.thread_id or ''}"
