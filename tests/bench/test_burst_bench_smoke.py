"""The burst bench in quick mode: every question answered, with and without 429s."""

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
    assert [(row["database"], row["429s"].split()[0]) for row in rows] == [
        ("SQLite (WAL)", "0%"),
        ("SQLite (WAL)", "20%"),
        ("PostgreSQL", "0%"),
        ("PostgreSQL", "20%"),
    ]
    for row in rows:
        assert (
            row["answered"]
            == row["questions"]
            == str(burst_bench.QUICK_CUSTOMERS * burst_bench.QUICK_QUESTIONS)
        )
        assert float(row["answers/s"]) > 0
        assert float(row["p50 ms"].replace(",", "")) <= float(row["p95 ms"].replace(",", ""))
    refused = [int(row["429s"].split("(")[1].rstrip(")")) for row in rows]
    assert refused[0] == refused[2] == 0 and refused[1] > 0 and refused[3] > 0
    assert "skipped" not in table.note
