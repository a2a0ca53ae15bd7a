"""Slack message text (mrkdwn as Slack delivers it) -> the plain text a person typed.

Slack escapes `&`, `<`, `>` and wraps mentions, channels, broadcasts and links in
`<…>`. The core wants the words: mentions become "@name", links their label (and the
address when the label hides it). The result is plain text again, so wherever it is
shown next it is escaped like any other customer text.
"""

from __future__ import annotations

import re

_ANGLE = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


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
