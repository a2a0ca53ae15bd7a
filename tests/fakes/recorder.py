"""The calls a fake platform server answered, and waiting for the bot to make one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

CallT = TypeVar("CallT")


class CallLog(Generic[CallT]):
    """Every call in the order answered; waiters wake on each call and on `changed()`."""

    def __init__(self) -> None:
        self.calls: list[CallT] = []
        self._taken: set[int] = set()
        self._changed = asyncio.Condition()

    async def record(self, call: CallT) -> None:
        self.calls.append(call)
        await self.changed()

    async def changed(self) -> None:
        """Wake the waiters: something they may wait for (not only a call) changed."""
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, condition: Callable[[], bool], timeout: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    async def take(self, accepts: Callable[[CallT], bool], timeout: float) -> CallT:
        """The first call `accepts` that no earlier `take` returned, once it is made."""

        def find() -> int | None:
            for index, call in enumerate(self.calls):
                if index not in self._taken and accepts(call):
                    return index
            return None

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: find() is not None), timeout)
            index = find()
            assert index is not None
            self._taken.add(index)
            return self.calls[index]
