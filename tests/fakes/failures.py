"""Failures a fake platform server gives the next calls of a method, instead of answering."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Generic, TypeVar

FailureT = TypeVar("FailureT")


@dataclass
class _Planned(Generic[FailureT]):
    failure: FailureT
    remaining: int


class FailurePlan(Generic[FailureT]):
    """Per method, failures in the order planned, each for its number of calls."""

    def __init__(self) -> None:
        self._planned: defaultdict[str, deque[_Planned[FailureT]]] = defaultdict(deque)

    def add(self, method: str, failure: FailureT, times: int = 1) -> None:
        self._planned[method].append(_Planned(failure, times))

    def take(self, method: str) -> FailureT | None:
        """The failure for this call of `method`, if one is planned."""
        queue = self._planned[method]
        if not queue:
            return None
        planned = queue[0]
        planned.remaining -= 1
        if planned.remaining <= 0:
            queue.popleft()
        return planned.failure
