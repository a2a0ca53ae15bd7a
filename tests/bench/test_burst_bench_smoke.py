"""The burst bench in quick mode: every question answered, with and without 429s, and
with one customer flooding meanwhile."""

from __future__ import annotations

from pathlib import Path

from bench import burst_bench
from bench.__main__ import SECTIONS
from bench.options import BenchOptions

QUICK = BenchOptions(data=Path("unused-by-this-section"), quick=True)


def test_burst_section_is_registered() -> None:
    assert SECTIONS["burst"] is burst_bench.run


def test_burst_quick_run_answers_every_question_on_both_databases() -> None:
    table = burst_bench.run(QUICK)

    rows = [dict(zip(table.header, row, strict=True)) for row in table.rows]
    flood = str(burst_bench.QUICK_FLOOD)
    assert [(row["database"], row["429s"].split()[0], row["flood"]) for row in rows] == [
        ("SQLite (WAL)", "0%", "0"),
        ("SQLite (WAL)", "20%", "0"),
        ("SQLite (WAL)", "0%", flood),
        ("PostgreSQL", "0%", "0"),
        ("PostgreSQL", "20%", "0"),
        ("PostgreSQL", "0%", flood),
    ]
    for row in rows:
        assert (
            row["answered"]
            == row["questions"]
            == str(burst_bench.QUICK_CUSTOMERS * burst_bench.QUICK_QUESTIONS)
        )
        assert float(row["answers/s"]) > 0
        assert float(row["p50 ms"].replace(",", "")) <= float(row["p95 ms"].replace(",", ""))
        # Two questions each: no answer waits for Slack's pacing.
        assert row["p95 unpaced ms"] == row["p95 ms"]
    refused = [int(row["429s"].split("(")[1].rstrip(")")) for row in rows]
    assert refused[0] == refused[2] == refused[3] == refused[5] == 0
    assert refused[1] > 0 and refused[4] > 0
    assert "skipped" not in table.note
    assert "target: p95 < 1,000 ms on PostgreSQL with no 429s and no flood, over the" in (
        table.note
    )
    assert "(p95 unpaced " in table.note
