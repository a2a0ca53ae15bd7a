"""The storage benches in quick mode: they run on both databases and claims stay exclusive."""

from __future__ import annotations

from pathlib import Path

from bench import engine_bench, handoff_bench
from bench.__main__ import SECTIONS
from bench.options import BenchOptions
from bench.table import Table

QUICK = BenchOptions(data=Path("unused-by-these-sections"), quick=True)


def columns(table: Table) -> list[dict[str, str]]:
    return [dict(zip(table.header, row, strict=True)) for row in table.rows]


def test_both_sections_are_registered() -> None:
    assert SECTIONS["handoff_claims"] is handoff_bench.run
    assert SECTIONS["engine_throughput"] is engine_bench.run


def test_claim_race_quick_run_has_one_winner_per_ticket() -> None:
    table = handoff_bench.run(QUICK)

    rows = columns(table)
    assert [row["database"] for row in rows] == ["SQLite (WAL)", "PostgreSQL"]
    for row in rows:
        assert row["double claims"] == "0"
        assert row["winners"] == row["tickets"]
        assert int(row["attempts"]) == int(row["processes"]) * int(row["tickets"])
        assert int(row["retries"].replace(",", "")) >= 0
        assert float(row["claims/s"].replace(",", "")) > 0
    assert "skipped" not in table.note


def test_engine_quick_run_answers_every_message() -> None:
    table = engine_bench.run(QUICK)

    rows = columns(table)
    assert [row["database"] for row in rows] == ["SQLite (WAL)", "PostgreSQL"]
    messages = str(engine_bench.QUICK_CUSTOMERS * engine_bench.QUICK_MESSAGES)
    for row in rows:
        assert row["messages"] == row["replies"] == messages  # not "12 (not drained)"
        engine_rate = float(row["msgs/s"].replace(",", ""))
        direct_rate = float(row["direct msgs/s"].replace(",", ""))
        assert engine_rate > 0 and direct_rate > 0
        ratio = float(row["engine/direct"].rstrip("%"))
        assert abs(ratio - 100.0 * engine_rate / direct_rate) <= 0.1 * ratio + 1.0
        assert float(row["CPU ms/msg"]) > 0 and float(row["direct CPU ms/msg"]) > 0
        assert float(row["p50 ms"].replace(",", "")) <= float(row["p99 ms"].replace(",", ""))
    assert "skipped" not in table.note
