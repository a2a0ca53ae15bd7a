"""Pieces every adapter needs the same way: handing events to the core, a TTL cache,
the locale hint.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from bot.contract import Core, Event, NotStored

K = TypeVar("K")
V = TypeVar("V")


async def hand_over(
    core: Core | None, event: Event, log: logging.Logger, *, patience: float | None = None
) -> bool:
    """Give `event` to the core; True once it is durable, so the platform may be acked.

    False (logged with ids only, never the customer's text) when the adapter is
    stopping, the database could not take it within `patience` seconds, or the core
    failed: the caller must then not acknowledge the event, so the platform sends it
    again (Slack, Telegram) or the adapter spools it (Discord).
    """
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
