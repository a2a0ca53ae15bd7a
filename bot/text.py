"""Platform-neutral text helpers: cleaning customer input, splitting long messages."""

from __future__ import annotations

import unicodedata

from bot.contract import Rich, Span

# Joiners (emoji sequences, Persian) and tags (subdivision flags) are format characters
# that carry meaning; the adapters already dropped the stray ones (adapters.common.clean).
_KEEP = {"\n", "\t", "\u200c", "\u200d", *map(chr, range(0xE0020, 0xE0080))}


def strip_controls(text: str) -> str:
    """Drop control and format characters (terminal escapes, bidi overrides), keep \n and \t."""
    return "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )


def clean_text(text: str) -> str:
    """Customer input as the core keeps it: no control characters, NFC, trimmed."""
    return unicodedata.normalize("NFC", strip_controls(text)).strip()


def split_rich(rich: Rich, limit: int) -> list[Rich]:
    """Cut `rich` into pieces whose text is at most `limit` characters each.

    Cuts prefer a newline, then a space, inside the last fifth of a piece, so a long
    customer message arrives whole, in order, in as few messages as the platform allows.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[Rich] = []
    current: list[Span] = []
    room = limit
    for span in rich:
        text = span.text
        while text:
            if len(text) <= room:
                current.append(Span(text, span.style, span.url))
                room -= len(text)
                break
            cut = _cut_point(text, room)
            if cut == 0:
                pieces.append(tuple(current))
                current, room = [], limit
                continue
            current.append(Span(text[:cut], span.style, span.url))
            pieces.append(tuple(current))
            current, room = [], limit
            text = text[cut:]
    if current or not pieces:
        pieces.append(tuple(current))
    return pieces


def _cut_point(text: str, room: int) -> int:
    """Where to cut `text` so the head fits in `room`; 0 means start a new piece first."""
    window_start = room - max(1, room // 5)
    for sep in ("\n", " "):
        at = text.rfind(sep, window_start, room)
        if at > 0:
            return at + 1
    return room


def fit_for_edit(rich: Rich, limit: int) -> Rich:
    """`rich` cut to one message of at most `limit` characters, marked with '…' when cut.

    An edit replaces one message and cannot be split into several, so this is the one
    rule every adapter applies to an edit whose text has grown past the platform limit.
    """
    if sum(len(span.text) for span in rich) <= limit:
        return rich
    return (*split_rich(rich, limit - 1)[0], Span("…"))
