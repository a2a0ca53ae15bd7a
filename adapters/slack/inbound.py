"""Which Slack payloads the bot reads, and what each one means (pure functions).

- A `message` in a DM with the app (channel_type "im") is a customer.
- An `app_mention` in the support channel is a customer; the conversation is the
  mention's thread (its `thread_ts`, or its own `ts` when it starts one). Plain channel
  messages there are not read: Slack sends a mention both as `message` and as
  `app_mention`, and the bot must not answer people talking to each other.
- A `message` in the staff channel may be an agent (in a ticket's thread, or a command
  such as /queue at the top level; Slack agents type them as "!queue", which the
  core reads like "/queue"); the adapter then checks that the sender is a member of that channel.
- Bots (including this one), edits, deletions and joins are ignored.
- A `block_actions` payload is a button press; its `trigger_id` names that one press.

Slack delivers text as mrkdwn: `&`, `<`, `>` escaped, and mentions, channels,
broadcasts and links wrapped in `<…>`. The core wants the words (`to_plain`): mentions
become "@name", links their label (and the address when the label hides it). The result
is plain text again, so wherever it is shown next it is escaped like any other customer
text.

A payload without the fields Slack always sends raises `MalformedEvent`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.buttons import decode_value

# Message subtypes that are still a person writing; the rest are edits, joins, bots...
_PERSON_SUBTYPES = frozenset({"file_share", "thread_broadcast"})

_ANGLE = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


class MalformedEvent(ValueError):
    """A Slack payload lacks a field it must have; it is logged and dropped."""


@dataclass(frozen=True)
class Rooms:
    """The channels the adapter treats specially, and the bot's own user id."""

    bot_user_id: str
    staff_channel: str | None = None
    support_channel: str | None = None


@dataclass(frozen=True)
class Said:
    chat_id: str
    thread_id: str | None
    user_id: str
    text: str
    message_id: str
    reply_to: str | None
    in_staff_room: bool
    # In the staff room, the text as Slack sent it (mrkdwn): agents' formatting, for the
    # core's bot/markup.py (`Inbound.formatted`).
    formatted: str | None = None


@dataclass(frozen=True)
class Pressed:
    chat_id: str
    thread_id: str | None
    user_id: str
    action_id: str
    value: str
    message_id: str
    in_staff_room: bool
    event_id: str


def said_in_message(event: Mapping[str, Any], rooms: Rooms) -> Said | None:
    """A `message` event -> what was said, or None when the bot should not read it."""
    subtype = _optional(event, "subtype")
    if event.get("bot_id") or (subtype is not None and subtype not in _PERSON_SUBTYPES):
        return None
    channel = _required(event, "channel")
    ts = _required(event, "ts")
    thread_ts = _optional(event, "thread_ts")
    reply_to = thread_ts if thread_ts != ts else None
    in_staff_room = channel == rooms.staff_channel
    if not in_staff_room and _optional(event, "channel_type") != "im":
        return None
    raw = _optional(event, "text") or ""
    text = to_plain(raw, drop_user=rooms.bot_user_id)
    return Said(
        chat_id=channel,
        thread_id=thread_ts,
        user_id=_required(event, "user"),
        text=text,
        message_id=ts,
        reply_to=reply_to,
        in_staff_room=in_staff_room,
        formatted=raw if in_staff_room else None,
    )


def said_in_mention(event: Mapping[str, Any], rooms: Rooms) -> Said | None:
    """An `app_mention` event -> what the customer said, answered in the mention's thread."""
    if event.get("bot_id"):
        return None
    channel = _required(event, "channel")
    if rooms.support_channel is None or channel != rooms.support_channel:
        return None
    ts = _required(event, "ts")
    thread_ts = _optional(event, "thread_ts")
    return Said(
        chat_id=channel,
        thread_id=thread_ts or ts,
        user_id=_required(event, "user"),
        text=to_plain(_optional(event, "text") or "", drop_user=rooms.bot_user_id),
        message_id=ts,
        reply_to=thread_ts if thread_ts not in (None, ts) else None,
        in_staff_room=False,
    )


def pressed(body: Mapping[str, Any], rooms: Rooms) -> Pressed | None:
    """A `block_actions` payload -> the button press, or None when it is not our button."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        raise MalformedEvent("block_actions without actions")
    decoded = decode_value(_required(actions[0], "value"))
    if decoded is None:
        return None
    container = _mapping(body, "container")
    message = body.get("message")
    message = message if isinstance(message, Mapping) else {}
    channel = _required(container, "channel_id")
    message_ts = _required(container, "message_ts")
    return Pressed(
        chat_id=channel,
        thread_id=_optional(message, "thread_ts") or _optional(container, "thread_ts"),
        user_id=_required(_mapping(body, "user"), "id"),
        action_id=decoded[0],
        value=decoded[1],
        message_id=message_ts,
        in_staff_room=channel == rooms.staff_channel,
        event_id=_press_id(body, actions[0], message_ts),
    )


def to_plain(text: str, *, drop_user: str | None = None) -> str:
    """Plain text of a Slack message; mentions of `drop_user` (the bot) are removed."""

    def replace(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            user = target[1:]
            return "" if user == drop_user else "@" + (label or user)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or "@" + target[1:].split("^", 1)[0]
        address = target.removeprefix("mailto:")
        if not label or label in target:
            return label or address
        return f"{label} ({address})"

    unwrapped = _ANGLE.sub(replace, text)
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], unwrapped).strip()


def _press_id(body: Mapping[str, Any], action: Mapping[str, Any], message_ts: str) -> str:
    """The id of one press: its `trigger_id`, else the message's ts + the action's ts."""
    trigger = _optional(body, "trigger_id")
    if trigger:
        return trigger
    action_ts = _optional(action, "action_ts")
    return f"{message_ts}/{action_ts}" if action_ts else ""


def _mapping(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"missing object {key!r}")
    return value


def _required(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"missing field {key!r}")
    return value


def _optional(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedEvent(f"field {key!r} is not text")
    return value
