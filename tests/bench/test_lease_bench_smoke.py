"""The outbox lease bench in quick mode: every shape on both databases, backlog intact."""

from __future__ import annotations

from pathlib import Path

from bench import lease_bench
from bench.__main__ import SECTIONS
from bench.options import BenchOptions

QUICK = BenchOptions(data=Path("unused-by-this-section"), quick=True)
ROUNDING = 0.005  # half the table's last digit (ms)


def test_lease_section_measures_every_shape_on_both_databases() -> None:
    assert SECTIONS["outbox_lease"] is lease_bench.run

    table = lease_bench.run(QUICK)

    assert table.header == (
        "database",
        "backlog",
        "pass",
        "100 rows ms",
        "2,000 rows ms",
        "ratio",
    )
    assert [row[:3] for row in table.rows] == [
        (database, shape, kind)
        for database in ("SQLite (WAL)", "PostgreSQL")
        for shape, _, _ in lease_bench.SHAPES
        for kind in ("scan", "by id")
    ]
    for row in table.rows:
        small, large, ratio = (float(cell) for cell in row[3:])
        assert small > 0 and large > 0
        # The cells are rounded to 0.01: the ratio of the unrounded times lies between
        # the ratios the rounding allows (a cell of 0.11 ms may be 0.105-0.115).
        lowest = (large - ROUNDING) / (small + ROUNDING) - ROUNDING
        highest = (large + ROUNDING) / (small - ROUNDING) + ROUNDING
        assert lowest <= ratio <= highest, row
    assert "skipped" not in table.note
