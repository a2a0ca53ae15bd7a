"""How long the event loop waits while a large FAQ is hot-reloaded or matched.

Two measures. A ticker task sleeps 1 ms at a time and records how late it wakes up: its
worst lateness is the longest stretch in which nothing else could run on the loop, the
machine's own delays included (what it is with the loop idle is measured too: on a
shared VM, milliseconds). And every callback the loop runs (a task's step, an I/O
handler) is timed: the longest is the longest our code held the loop at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.faq_check_bench import write_faq
from bot.runtime import GIL_SWITCH_SECONDS
from faq.matcher import MatchSettings
from faq.model import Faq
from faq.store import FaqStore

_TICK = 0.001


@dataclass(frozen=True)
class Stalls:
    """Seconds from noticing an edit until the new FAQ is served, and the longest loop stalls (ms)
    during that reload, while matching the queries through FaqStore.match, and with the
    loop idle for a second (what the machine itself adds: other processes, the OS)."""

    reload_seconds: float
    reload_stall_ms: float
    match_stall_ms: float
    idle_stall_ms: float
    reload_hold_ms: float  # the longest single callback during the reload


@contextlib.contextmanager
def longest_hold() -> Iterator[list[float]]:
    """Times every callback the event loop runs meanwhile; the list holds the longest
    (seconds) once the block is left."""
    run = asyncio.events.Handle._run
    longest = [0.0]

    def timed(handle: asyncio.events.Handle) -> None:
        started = time.perf_counter()
        try:
            run(handle)
        finally:
            longest[0] = max(longest[0], time.perf_counter() - started)

    asyncio.events.Handle._run = timed  # type: ignore[method-assign,assignment]
    try:
        yield longest
    finally:
        asyncio.events.Handle._run = run  # type: ignore[method-assign]


async def longest_stall(work: Awaitable[object]) -> float:
    """The ticker's worst lateness in milliseconds while `work` runs."""
    worst = 0.0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal worst
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(_TICK)
            worst = max(worst, time.perf_counter() - before - _TICK)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(_TICK)
    try:
        await work
    finally:
        done.set()
        await ticker
    return worst * 1000.0


def measure(faq: Faq, queries: Sequence[str]) -> Stalls:
    with tempfile.TemporaryDirectory(prefix="faq-stall-bench-") as folder:
        path = Path(folder) / "faq"
        write_faq(faq, path)
        store = FaqStore(path, MatchSettings())
        with _as_the_bot_runs():

            async def match_all() -> None:
                for query in queries:
                    await store.match(query)

            idle_stall = asyncio.run(longest_stall(asyncio.sleep(1.0)))
            match_stall = asyncio.run(longest_stall(match_all()))
            first = sorted(path.iterdir())[0]
            first.write_text(first.read_text(encoding="utf-8") + "\n", encoding="utf-8")
            started = time.perf_counter()
            with longest_hold() as hold:
                reload_stall = asyncio.run(longest_stall(_reload(store)))
        return Stalls(
            time.perf_counter() - started,
            reload_stall,
            match_stall,
            idle_stall,
            hold[0] * 1000.0,
        )


@contextlib.contextmanager
def _as_the_bot_runs() -> Iterator[None]:
    """What bot/runtime.py does once started: freeze what is alive out of the collector's
    walks, and hand the GIL over sooner (GIL_SWITCH_SECONDS). The switch interval is put
    back afterwards, for the sections that run next."""
    gc.freeze()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


async def _reload(store: FaqStore) -> None:
    """What one turn of FaqStore.watch does after an edit."""
    if not await store.reload_elsewhere():
        raise RuntimeError("the edited FAQ was not reloaded")
