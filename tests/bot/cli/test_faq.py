from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import FaqSection, Thresholds
from bot.faq_settings import match_settings
from faq.calibrate import Overrides, calibrate
from faq.loader import load_faq
from tests.conftest import REPO

GERMAN = REPO / "tests" / "faq" / "fixtures" / "de_shop.yaml"

FAQ = """
entries:
  - id: shipping
    questions: [How long does shipping take?, When will my parcel arrive?]
    answer: Two days.
  - id: payment
    questions: [Can I pay with PayPal?]
    answer: Yes.
  - id: password
    questions: [How do I reset my password?]
    answer: Use the reset link.
  - id: parcel-lost
    questions: [My parcel did not arrive]
    answer: We will look for it.
"""


def write_config(folder: Path, name: str, thresholds: str = "{}") -> Path:
    config = folder / name
    config.write_text(
        f"faq:\n  path: faq\n  thresholds: {thresholds}\n  max_suggestions: 2\n",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "shop.yaml").write_text(FAQ.lstrip(), encoding="utf-8")
    return write_config(tmp_path, "supportbot.yaml")


@pytest.fixture
def suggest(config: Path) -> float:
    """The suggest threshold calibrated for FAQ (its answer and margin keep the
    defaults: it has too few questions to hold out)."""
    return calibrate(load_faq(config.parent / "faq")).settings.suggest


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_check_uses_the_configured_faq_path(
    config: Path, suggest: float, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["faq", "check", "--config", str(config)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "4 entries OK",
        f"thresholds: answer 60.0 (calibrated), suggest {suggest:.1f} (calibrated),"
        " margin 4.0 (calibrated)",
        "own phrasings: 1 to hold out, too few to calibrate on; add questions to the"
        " entries (answer and margin keep their defaults)",
    ]


def test_check_prints_the_calibrated_thresholds_and_expected_shares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "de.yaml"
    config.write_text(f"bot: {{default_locale: de}}\nfaq: {{path: {GERMAN}}}\n", encoding="utf-8")
    calibration = calibrate(load_faq(GERMAN, "de"))
    settings = calibration.settings
    assert main(["faq", "check", "--config", str(config)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "9 entries OK",
        f"thresholds: answer {settings.answer:.1f} (calibrated), suggest"
        f" {settings.suggest:.1f} (calibrated), margin {settings.margin:.1f} (calibrated)",
        f"own phrasings, each held out ({calibration.samples}): answered"
        f" {calibration.answered:.0%} (right entry {calibration.right:.0%}), suggested"
        f" {calibration.suggested:.0%}, none {calibration.none:.0%}",
    ]
    assert calibration.samples >= 30


def test_check_names_the_thresholds_the_config_sets(
    tmp_path: Path, config: Path, suggest: float, capsys: pytest.CaptureFixture[str]
) -> None:
    partly = write_config(tmp_path, "partly.yaml", "{answer: 70, margin: 5}")
    assert main(["faq", "check", "--config", str(partly)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == (
        f"thresholds: answer 70.0 (configured), suggest {suggest:.1f} (calibrated),"
        " margin 5.0 (configured)"
    )


def test_check_lists_problems_as_file_line_message(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        textwrap.dedent(
            """
            entries:
              - id: a
                questons: [Hello?]
                answer: Hi.
              - id: b
                questions: [Where is my order?, My order is where?]
                answer: ""
            """
        ).lstrip(),
        encoding="utf-8",
    )
    assert main(["faq", "check", str(broken), "--config", str(config)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f'{broken}:3: entry "a": unknown key "questons" (did you mean "questions"?)',
        f'{broken}:2: entry "a": questions is missing',
        f'{broken}:7: entry "b": answer is empty',
    ]
    assert captured.err == f"3 problem(s) in {broken}\n"


def test_check_reports_entries_the_matcher_confuses(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    close = tmp_path / "close.yaml"
    close.write_text(
        "entries:\n"
        "  - {id: track, questions: [Where is my order?], answer: Link.}\n"
        "  - {id: status, questions: [Where is my orders?], answer: Status.}\n",
        encoding="utf-8",
    )
    assert main(["faq", "check", str(close), "--config", str(config)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f'{close}:2: entry "track": question "Where is my order?" gets no')
    assert out[1].startswith(f'{close}:3: entry "status": question "Where is my orders?" gets no')
    assert len(out) == 2


def test_the_example_faq_passes_check_with_the_example_config(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["faq", "check", "--config", str(REPO / "config.example.yaml")]) == 0
    first, thresholds, shares = capsys.readouterr().out.splitlines()
    assert int(first.removesuffix(" entries OK")) >= 30
    assert thresholds.startswith("thresholds: answer ")
    assert thresholds.count("(calibrated)") == 3
    assert shares.startswith("own phrasings, each held out (")


def test_check_loads_neither_the_platform_libraries_nor_the_other_commands() -> None:
    """`supportbot faq check` imports its own command alone (a second less to start)."""
    script = (
        "import sys; from bot.cli import main; "
        f"code = main(['faq', 'check', '--config', {str(REPO / 'config.example.yaml')!r}]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('slack_bolt', 'slack_sdk', 'discord', 'telegram', 'aiohttp', 'alembic') "
        "or m in ('bot.cli.run', 'bot.cli.db', 'bot.runtime'))); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_try_shows_decision_entry_score_and_runners_up(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["faq", "try", "--config", str(config), "When will my parcel arrive?", "xq"])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ['"When will my parcel arrive?"', "  answer: shipping (score 100.0)"]
    assert out[2].startswith("  runners-up: parcel-lost ")
    assert "shipping" not in out[2]
    assert out[3] == '"xq"'
    assert out[4].startswith("  none: (no entry) (score ")


def test_try_json_reads_stdin_one_question_per_line(
    config: Path,
    suggest: float,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Can I pay with PayPal?\n\n  \nzzzz qqqq\n"))
    assert main(["faq", "try", "--json", "--config", str(config)]) == 0
    first, second = json_lines(capsys.readouterr().out)
    assert set(first) == {"text", "decision", "entry", "score", "suggestions"}
    assert first["text"] == "Can I pay with PayPal?"
    assert (first["decision"], first["entry"], first["score"]) == ("answer", "payment", 100.0)
    for runner in first["suggestions"]:
        assert set(runner) == {"entry", "score"}
        assert runner["entry"] != "payment"
        assert suggest <= runner["score"] < 100
    assert second["text"] == "zzzz qqqq"
    assert second["decision"] == "none"
    assert second["entry"] is None
    assert second["suggestions"] == []


def test_try_json_suggestions_follow_the_configured_thresholds(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = write_config(tmp_path, "strict.yaml", "{answer: 100, suggest: 30, margin: 0}")
    question = "how long does shippinng take"
    assert main(["faq", "try", "--json", "--config", str(config), question]) == 0
    (relaxed,) = json_lines(capsys.readouterr().out)
    assert (relaxed["decision"], relaxed["entry"]) == ("answer", "shipping")

    assert main(["faq", "try", "--json", "--config", str(strict), question]) == 0
    (result,) = json_lines(capsys.readouterr().out)
    assert result["decision"] == "suggest"
    assert result["entry"] is None
    assert result["suggestions"][0]["entry"] == "shipping"
    assert result["suggestions"][0]["score"] == result["score"] < 100
    assert len(result["suggestions"]) <= 2


def test_try_with_a_faq_that_does_not_load(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("entries: {}\n", encoding="utf-8")
    assert main(["faq", "try", "--faq", str(broken), "--config", str(config), "hi"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"supportbot: the FAQ does not load:\n{broken}:1: `entries` must be a list\n"
    )


def test_a_missing_config_exits_with_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["faq", "check", "--config", str(tmp_path / "nope.yaml")])
    assert caught.value.code == 2
    assert "configuration error" in capsys.readouterr().err


@pytest.mark.parametrize("jobs", ["0", "-2", "two"])
def test_check_refuses_a_number_of_jobs_that_is_not_one_or_more(
    config: Path, jobs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["faq", "check", "--config", str(config), "--jobs", jobs])
    assert caught.value.code == 2
    assert f"expected a whole number of processes, 1 or more: {jobs!r}" in capsys.readouterr().err


def test_match_settings_come_from_the_faq_section() -> None:
    section = FaqSection(thresholds=Thresholds(answer=80, suggest=50, margin=7), max_suggestions=5)
    assert match_settings(section) == Overrides(answer=80, suggest=50, margin=7, max_suggestions=5)
    assert match_settings(FaqSection()) == Overrides()


def test_the_console_script_answers_json_from_stdin(config: Path) -> None:
    script = Path(sys.executable).parent / "supportbot"
    result = subprocess.run(
        [str(script), "faq", "try", "--json", "--config", str(config)],
        input="How do I reset my password?\nWhen will my parcel arrive?\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [(r["decision"], r["entry"]) for r in json_lines(result.stdout)] == [
        ("answer", "password"),
        ("answer", "shipping"),
    ]
