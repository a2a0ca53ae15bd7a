"""Letting the events of one chat through in the order they arrived.

Work done between an event's arrival and its hand-over (a user look-up, a database
round trip) takes longer for some events than for others, so without this a chat's
second message could be stored before its first. `enter` is called at arrival, with
no await before it; `turn` waits until everything that entered earlier under the same
key has left.
"""

from __future__ import annotations

import asyncio


class Arrivals:
    def __init__(self) -> None:
        self._last: dict[str, asyncio.Future[None]] = {}

    def enter(self, key: str) -> Place:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        before = self._last.get(key)
        self._last[key] = done
        done.add_done_callback(lambda _: self._forget(key, done))
        return Place(before, done)

    def _forget(self, key: str, done: asyncio.Future[None]) -> None:
        if self._last.get(key) is done:
            del self._last[key]

    def __len__(self) -> int:
        return len(self._last)


class Place:
    """One event's place in its key's line; `leave` must follow (use try/finally)."""

    def __init__(self, before: asyncio.Future[None] | None, done: asyncio.Future[None]) -> None:
        self._before = before
        self._done = done

    async def turn(self) -> None:
        if self._before is not None:
            await asyncio.shield(self._before)

    def leave(self) -> None:
        """Let the next one go: at once, or (when leaving before its turn, after a
        failure) as soon as everything ahead of this place has left too."""
        if self._before is None or self._before.done():
            _finish(self._done)
        else:
            self._before.add_done_callback(lambda _: _finish(self._done))


def _finish(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)
