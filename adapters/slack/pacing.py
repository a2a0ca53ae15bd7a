"""About one message per second per channel, short bursts allowed (Slack's posting limit).

A per-channel "generic cell rate" limiter: each call reserves the next free slot for
its channel before it sleeps, so concurrent senders to one channel keep their order and
never burst past `burst`. Channels that have been idle are forgotten.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

_PRUNE_ABOVE = 1024


class ChannelPacer:
    def __init__(
        self,
        *,
        per_second: float = 1.0,
        burst: int = 4,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be positive and burst at least 1")
        self._interval = 1.0 / per_second
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._next_free: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        """Return when one more message may go to `channel`."""
        now = self._clock()
        if len(self._next_free) > _PRUNE_ABOVE:
            self._next_free = {c: t for c, t in self._next_free.items() if t > now}
        slot = max(self._next_free.get(channel, now), now)
        self._next_free[channel] = slot + self._interval
        delay = slot - now - self._tolerance
        if delay > 0:
            await self._sleep(delay)
