from __future__ import annotations

import platform
from pathlib import Path

import pytest

from bot.heap import trim_heap, trim_periodically


def resident_kib() -> int:
    status = Path("/proc/self/status").read_text(encoding="ascii")
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_trimming_gives_freed_memory_between_live_blocks_back() -> None:
    # Blocks too large for Python's own allocator, so they come from malloc; every
    # fifth is kept, so the freed ones lie between live ones and stay with malloc.
    blocks = [bytes(1024 + n % 2048) for n in range(60_000)]
    kept = blocks[::5]
    del blocks
    before = resident_kib()
    assert trim_heap() is True
    after = resident_kib()
    assert before - after > 20_000  # about 90 MB were freed; most of it comes back
    assert len(kept) == 12_000


async def test_trims_every_interval_and_stops_where_it_cannot() -> None:
    waits: list[float] = []
    answers = iter([True, True, False, True])

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    await trim_periodically(30.0, lambda: next(answers), sleep)
    assert waits == [30.0, 30.0, 30.0]
    assert next(answers) is True  # the fourth was never asked for
