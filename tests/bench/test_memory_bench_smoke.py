"""The memory bench in quick mode: the real `supportbot run` process answers every
conversation on both databases, and its RSS is read at each point."""

from __future__ import annotations

from pathlib import Path

from bench import memory_bench
from bench.__main__ import SECTIONS
from bench.options import BenchOptions

QUICK = BenchOptions(data=Path("unused-by-this-section"), quick=True)


def test_memory_section_is_registered() -> None:
    assert SECTIONS["memory"] is memory_bench.run


def test_memory_quick_run_samples_every_point_on_both_databases() -> None:
    table = memory_bench.run(QUICK)

    rows = [dict(zip(table.header, row, strict=True)) for row in table.rows]
    points = ["idle", *(f"after {n:,}" for n in memory_bench.QUICK_CHECKPOINTS), "rested"]
    assert [(row["database"], row["point"]) for row in rows] == [
        (database, point) for database in ("SQLite (WAL)", "PostgreSQL") for point in points
    ]
    for row in rows:
        assert float(row["RSS MiB"].replace(",", "")) > 10.0
    assert "failed" not in table.note and "skipped" not in table.note
