"""`supportbot snippets check`: the snippets next to the FAQ (or the configured or given
file) listed when they load; every problem as file:line and exit 1 when not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

GOOD = "snippets:\n  - name: hello\n    text: 'Hi {customer}'\n  - name: bye\n    text: Bye\n"


def test_the_file_next_to_the_faq_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "supportbot.yaml"
    config.write_text("faq:\n  path: faq\n", encoding="utf-8")
    (tmp_path / "snippets.yaml").write_text(GOOD, encoding="utf-8")

    assert main(["snippets", "check", "--config", str(config)]) == 0
    assert capsys.readouterr().out == "2 snippets OK: hello, bye\n"


def test_problems_are_listed_with_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "supportbot.yaml"
    config.write_text("snippets:\n  path: canned.yaml\n", encoding="utf-8")
    canned = tmp_path / "canned.yaml"
    canned.write_text(GOOD.replace("{customer}", "{name}"), encoding="utf-8")

    assert main(["snippets", "check", "--config", str(config)]) == 1
    captured = capsys.readouterr()
    assert captured.out == (
        f'{canned}:3: snippet "hello": text: unknown placeholder {{name}}'
        " (expected: {customer}, {agent}, {ticket})\n"
    )
    assert captured.err == f"1 problem(s) in {canned}\n"


def test_a_missing_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "supportbot.yaml"
    config.write_text("{}\n", encoding="utf-8")
    missing = tmp_path / "none.yaml"

    assert main(["snippets", "check", str(missing), "--config", str(config)]) == 1
    assert str(missing) in capsys.readouterr().err
