"""What a new user hit on the way to a first bot: each command says what is wrong in a
sentence, never a traceback or a developer's note."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from bot.cli import COMMANDS, build_parser, main
from tests.conftest import EXAMPLE_FAQ


def write(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_help_speaks_to_users(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "answers from an FAQ" in out
    assert "register()" not in out and "subcommand module" not in out
    assert build_parser().description is not None


def test_one_command_s_parser_has_that_command_alone_and_help_has_all() -> None:
    def commands(parser: argparse.ArgumentParser) -> list[str]:
        (chosen,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return list(chosen.choices)

    assert commands(build_parser("faq")) == ["faq"]
    assert commands(build_parser("--help")) == list(COMMANDS)
    assert commands(build_parser()) == list(COMMANDS)


def test_shell_on_a_broken_faq_prints_the_problem_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    faq = tmp_path / "faq.yaml"
    faq.write_text("entries:\n  - id: a\n    questions: [hi]\n", encoding="utf-8")
    config = write(tmp_path, "faq:\n  path: faq.yaml\ndatabase:\n  url: sqlite+aiosqlite:///b.db\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    assert main(["shell", "--config", str(config)]) == 1

    err = capsys.readouterr().err
    assert err.startswith("supportbot: cannot start:\n")
    assert f'{faq}:2: entry "a": answer is missing' in err
    assert "Traceback" not in err


def test_shell_accepts_a_config_whose_staff_room_is_on_a_platform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shell always puts the staff room on the console, so a production config
    (telegram enabled, staff.platform console or telegram) works in it as it is."""
    config = write(
        tmp_path,
        "telegram:\n  enabled: true\n  token: '1:a'\n"
        f"faq:\n  path: {EXAMPLE_FAQ}\n"
        "database:\n  url: sqlite+aiosqlite:///b.db\n",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("/quit\n"))

    assert main(["shell", "--config", str(config)]) == 0
    assert "FAQ entries" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["hours", "--config", str(config)])
    assert 'staff.platform: "console" is only for `supportbot shell`' in capsys.readouterr().err


@pytest.mark.parametrize("moment", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_hours_at_the_edge_of_the_calendar_is_a_message(
    moment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hours", "--at", moment]) == 2
    err = capsys.readouterr().err
    assert "too close to the edge of the calendar" in err
    assert "Traceback" not in err


def test_an_empty_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, "# all commented out\n")
    with pytest.raises(SystemExit) as exit_:
        main(["hours", "--config", str(config)])
    assert exit_.value.code == 2
    assert f"{config}: the file is empty" in capsys.readouterr().err
