import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import faq_accuracy, faq_latency, faq_stall
from bench.__main__ import main
from bench.clinc import ENV_VAR
from bench.options import BenchOptions
from bench.table import Table, render

TOPICS = {
    "reset_password": ["reset my password", "forgot password", "new password please"],
    "opening_hours": ["when are you open", "opening hours today", "open on sunday"],
    "refund": ["get a refund", "money back for my order", "refund my purchase"],
    "shipping": ["where is my parcel", "when will my order ship", "track my package"],
}
UNRELATED = ["what is the capital of peru", "tell me a joke", "how tall is everest"]


def write_data(path: Path) -> Path:
    """A CLINC-shaped file: 25 train, 3 val, 3 test phrasings per topic, plus out-of-scope."""

    def phrasings(intent: str, start: int, count: int) -> list[list[str]]:
        base = TOPICS[intent]
        return [[f"{base[n % 3]} {n}", intent] for n in range(start, start + count)]

    data = {
        "train": [p for intent in TOPICS for p in phrasings(intent, 0, 25)],
        "val": [p for intent in TOPICS for p in phrasings(intent, 100, 3)],
        "test": [p for intent in TOPICS for p in phrasings(intent, 200, 3)],
        "oos_train": [[text, "oos"] for text in UNRELATED],
        "oos_val": [[text, "oos"] for text in UNRELATED],
        "oos_test": [[text, "oos"] for text in UNRELATED],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def options(tmp_path: Path) -> BenchOptions:
    return BenchOptions(data=write_data(tmp_path / "data_full.json"), quick=True)


def test_accuracy_section_has_every_row(options: BenchOptions) -> None:
    table = faq_accuracy.run(options)
    assert table.header == (
        "metric (test split): mean (min-max) over seeds",
        "k=5",
        "k=20",
        "k=5, 1 intents left out",
    )
    labels = [row[0] for row in table.rows]
    assert labels == [
        "FAQ phrasings",
        "in-scope top-1 accuracy",
        "self-calibrated thresholds answer/suggest/margin",
        "self-calibrated: answered correctly",
        "self-calibrated: answered wrong",
        "self-calibrated: suggested, right entry among them",
        "self-calibrated: in-scope none",
        "self-calibrated: out-of-scope answered",
        "self-calibrated: out-of-scope none",
        "self-calibrated: same-domain unrelated answered",
        "calibration time per FAQ load (s)",
        "calibration time in index builds of the FAQ",
        "thresholds chosen on val, oos_train",
        "chosen on val: answered correctly",
        "chosen on val: answered wrong",
        "chosen on val: out-of-scope none",
        "chosen on val: precision of none",
        "chosen on val: same-domain unrelated answered",
        "ceiling: most answered correctly within the targets (picked on test)",
        "defaults 60/40/4: answered correctly",
        "defaults 60/40/4: answered wrong",
        "defaults 60/40/4: out-of-scope none",
    ]
    assert table.rows[0][1:] == ("20", "80", "15")
    top1 = table.rows[1]
    assert all(cell.endswith("%") for cell in top1[1:])
    assert float(top1[1].rstrip("%")) > 50.0


def test_latency_section_has_a_row_per_size(options: BenchOptions) -> None:
    table = faq_latency.run(options)
    assert table.header == ("phrasings", "entries", "build s", "p50 ms", "p99 ms")
    assert len(table.rows) == len(faq_latency.QUICK_SIZES)
    for row in table.rows:
        p50, p99 = float(row[3]), float(row[4])
        assert 0.0 < p50 <= p99


@pytest.mark.parametrize("section", [faq_accuracy.run, faq_latency.run])
def test_missing_data_is_reported_not_raised(
    tmp_path: Path, section: Callable[[BenchOptions], Table]
) -> None:
    table = section(BenchOptions(data=tmp_path / "nowhere.json", quick=True))
    assert isinstance(table, Table)
    assert table.rows == ()
    assert "not found" in table.note


def test_main_prints_the_chosen_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_VAR, str(write_data(tmp_path / "data.json")))
    assert main(["--only", "faq_latency", "--quick"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(faq_latency.TITLE)
    assert faq_accuracy.TITLE not in out


def test_render_aligns_columns() -> None:
    table = Table("T", ("name", "value"), (("a", "1"), ("longer", "12.5")), "a note")
    assert render(table).splitlines() == [
        "T",
        "=",
        "name    value",
        "------  -----",
        "a           1",
        "longer   12.5",
        "a note",
    ]


def test_longest_hold_sees_one_callback_holding_the_loop() -> None:
    async def work() -> None:
        await asyncio.sleep(0)
        time.sleep(0.02)  # one task step holds the loop for 20 ms
        await asyncio.sleep(0.01)  # the loop is free meanwhile: not a hold

    original = asyncio.events.Handle._run
    with faq_stall.longest_hold() as hold:
        asyncio.run(work())

    assert 0.02 <= hold[0] < 0.1
    assert asyncio.events.Handle._run is original  # the timing is undone
