"""Giving the memory Python has freed back to the operating system, once a minute.

Python hands freed memory to the C allocator, and glibc's keeps what lies between
blocks still in use for later, so a long-running bot's resident set creeps up though
what it holds does not: in `make bench`'s memory section, 0.1-0.5 MiB per 1,000
conversations past 10,000, with the count of live objects flat. `malloc_trim(0)`
returns those pages (there, 0.4-1.6 MB after a few thousand conversations) in 0.2-0.5
ms, quick enough for the event loop's thread. Elsewhere than glibc there is no such
call, and nothing is done.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

TRIM_SECONDS = 60.0


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None
    return trim


_TRIM = _malloc_trim()


def trim_heap() -> bool:
    """Return the C allocator's free pages to the operating system; False where the C
    library cannot (not glibc)."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


async def trim_periodically(
    every: float = TRIM_SECONDS,
    trim: Callable[[], bool] = trim_heap,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """`trim()` every `every` seconds, for good; ends at once where it cannot trim."""
    while True:
        await sleep(every)
        if not trim():
            logger.debug("this C library cannot give freed memory back; not trimming")
            return
