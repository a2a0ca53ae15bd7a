"""Pieces every adapter needs the same way: handing events to the core (cleaned: the
one place every platform-provided string passes), a TTL cache, the locale hint.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Generic, TypeVar, overload

from bot.contract import Action, Core, Event, Inbound, NotStored, Sender

K = TypeVar("K")
V = TypeVar("V")


async def hand_over(
    core: Core | None, event: Event, log: logging.Logger, *, patience: float | None = None
) -> bool:
    """Give `event` to the core, cleaned (`clean_event`); True once it is durable, so
    the platform may be acked.

    False (logged with ids only, never the customer's text) when the adapter is
    stopping, the database could not take it within `patience` seconds, or the core
    failed: the caller must then not acknowledge the event, so the platform sends it
    again (Slack, Telegram) or the adapter spools it (Discord).
    """
    event = clean_event(event)
    kind = type(event).__name__.lower()
    if core is None:
        log.warning("%s %s in %s arrived while stopping", kind, _event_key(event), event.chat_id)
        return False
    try:
        await core.receive(event, patience=patience)
    except NotStored as exc:
        log.warning("%s %s in %s not stored yet: %s", kind, _event_key(event), event.chat_id, exc)
        return False
    except Exception:
        log.exception("core failed on %s %s in %s", kind, _event_key(event), event.chat_id)
        return False
    return True


def _event_key(event: Event) -> str:
    event_id = getattr(event, "event_id", "")
    return event_id if isinstance(event_id, str) and event_id else event.message_id


def locale_hint(code: str | None) -> str | None:
    """A platform's language code ('en-US', 'pt_BR', 'de') as the core's hint ('en')."""
    if not isinstance(code, str) or len(code) < 2 or not code[:2].isalpha():
        return None
    return code[:2].lower()


class TtlCache(Generic[K, V]):
    """At most `capacity` values, each forgotten `ttl` seconds after it was put."""

    def __init__(
        self,
        *,
        ttl: float,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        if self._clock() - item[0] >= self._ttl:
            del self._items[key]
            return None
        return item[1]

    def put(self, key: K, value: V) -> None:
        self._items[key] = (self._clock(), value)
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self._items)


# -- cleaning what platforms send ----------------------------------------------------

NAME_LIMIT = 100
TEXT_LIMIT = 40_000  # Slack's own maximum; Telegram and Discord allow far less
ID_LIMIT = 64  # what the database keeps of a chat, thread, user or message id
REPLACEMENT = "\ufffd"
_ZWNJ, _ZWJ = "\u200c", "\u200d"
_BLACK_FLAG = "\U0001f3f4"
_TAGS = range(0xE0020, 0xE0080)  # spell a subdivision flag after 🏴, E007F ends it
_JOINABLE = ("L", "M", "So", "Sk", "Cn")  # Cn: emoji newer than this Python's tables
_LINE_BREAKS = {"\n", "\t", "\u2028", "\u2029"}


# Every character `clean` may change: controls, format characters (bidi overrides,
# zero-width ones, tags), surrogates, line and paragraph separators (Unicode categories
# Cc, Cf, Cs, Zl and Zp; a test checks this list against Python's tables). Text
# without any of them, nearly all text, passes through untouched.
_SUSPECTS = (
    "\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_SUSPECT_IN_TEXT = re.compile(f"[\\x00-\\x08{_SUSPECTS}]")
_SUSPECT_IN_LINE = re.compile(f"[\\x00-\\x0a{_SUSPECTS}]")


def clean(value: str, limit: int, *, lines: bool = False) -> str:
    """A platform-provided string made safe to store, show and log.

    Removed: control characters (ESC, DEL, C1), bidi overrides, embeddings and
    isolates, zero-width spaces and other invisible format characters. Replaced by
    U+FFFD: NUL (PostgreSQL cannot store it) and lone surrogates (UTF-8 cannot encode
    them; a high and low pair becomes the character it stands for). Kept: a ZWJ or ZWNJ
    between two letters or symbols (emoji sequences like 👩‍💻, Persian می‌خواهم,
    Indic conjuncts) and the tags of a flag sequence. With `lines`, newlines and tabs
    stay (and U+2028/U+2029 become newlines); otherwise they become spaces. Past `limit`
    characters the string is cut (never inside a character sequence) and ends in "…".
    """
    suspect = _SUSPECT_IN_TEXT if lines else _SUSPECT_IN_LINE
    if suspect.search(value) is not None:
        value = _cleaned(value, lines=lines)
    if len(value) > limit:
        value = _cut(value, limit - 1) + "…"
    return value


def _cleaned(value: str, *, lines: bool) -> str:
    out: list[str] = []
    count = len(value)
    at = 0
    while at < count:
        ch = value[at]
        at += 1
        kind = unicodedata.category(ch)
        if ch == "\x00":
            out.append(REPLACEMENT)
        elif ch in _LINE_BREAKS:
            out.append(("\n" if ch in "\n\u2028\u2029" else ch) if lines else " ")
        elif kind == "Cs":
            low = value[at] if at < count else ""
            if "\ud800" <= ch <= "\udbff" and "\udc00" <= low <= "\udfff":
                out.append(chr(0x10000 + ((ord(ch) - 0xD800) << 10) + ord(low) - 0xDC00))
                at += 1
            else:
                out.append(REPLACEMENT)
        elif kind == "Cf":
            if ch in (_ZWJ, _ZWNJ):
                after = value[at] if at < count else ""
                if out and _joinable(out[-1]) and after and _joinable(after):
                    out.append(ch)
            elif _in_flag(ch, out[-1] if out else ""):
                out.append(ch)
        elif kind != "Cc":
            out.append(ch)
    return "".join(out)


def _in_flag(ch: str, before: str) -> bool:
    """Whether `ch` is a tag (or the cancel tag ending them) of a flag like 🏴󠁧󠁢󠁳󠁣󠁴󠁿."""
    return ord(ch) in _TAGS and bool(before) and (before == _BLACK_FLAG or ord(before) in _TAGS)


def _joinable(ch: str) -> bool:
    """Whether a joiner next to `ch` can mean something (not next to ASCII or a space)."""
    return ord(ch) > 0x7F and unicodedata.category(ch).startswith(_JOINABLE)


def _cut(value: str, limit: int) -> str:
    """The first `limit` characters or fewer: a cut never leaves a joiner, a combining
    mark, a variation selector or an emoji modifier without the character before it."""
    cut = limit
    while cut > 0 and (_extends(value[cut]) or value[cut - 1] in (_ZWJ, _ZWNJ)):
        cut -= 1
    return value[:cut]


def _extends(ch: str) -> bool:
    return (
        ch in (_ZWJ, _ZWNJ)
        or unicodedata.category(ch).startswith("M")
        or "\U0001f3fb" <= ch <= "\U0001f3ff"
        or ord(ch) in _TAGS
    )


@overload
def clean_event(event: Inbound) -> Inbound: ...


@overload
def clean_event(event: Action) -> Action: ...


def clean_event(event: Event) -> Event:
    """`event` with every string the platform provided cleaned (see `clean`)."""
    user_id = clean(event.sender.user_id, ID_LIMIT)
    locale = event.sender.locale
    sender = Sender(
        user_id=user_id,
        display_name=clean(event.sender.display_name, NAME_LIMIT).strip() or user_id,
        locale=None if locale is None else clean(locale, 8),
    )
    chat_id = clean(event.chat_id, ID_LIMIT)
    thread_id = _clean_id(event.thread_id)
    message_id = clean(event.message_id, ID_LIMIT)
    if isinstance(event, Inbound):
        return replace(
            event,
            chat_id=chat_id,
            thread_id=thread_id,
            sender=sender,
            message_id=message_id,
            text=clean(event.text, TEXT_LIMIT, lines=True),
            reply_to=_clean_id(event.reply_to),
        )
    return replace(
        event,
        chat_id=chat_id,
        thread_id=thread_id,
        sender=sender,
        message_id=message_id,
        action_id=clean(event.action_id, ID_LIMIT),
        value=clean(event.value, ID_LIMIT),
        event_id=clean(event.event_id, ID_LIMIT),
    )


def _clean_id(value: str | None) -> str | None:
    return None if value is None else clean(value, ID_LIMIT)
