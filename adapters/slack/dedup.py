"""Recently seen event ids, to drop the repeats Slack sends when it retries a delivery.

Slack retries an event it thinks was not acknowledged (up to three times, over about
five minutes), with the same `event_id`. Memory is bounded: ids expire after `ttl`
seconds and at most `capacity` are kept.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class RecentIds:
    def __init__(
        self,
        *,
        capacity: int = 10_000,
        ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str) -> bool:
        """Remember `key`; True if it was not seen within the last `ttl` seconds."""
        now = self._clock()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._ttl and len(self._seen) < self._capacity:
                break
            del self._seen[oldest]
        if key in self._seen:
            return False
        self._seen[key] = now
        return True
