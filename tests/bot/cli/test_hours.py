"""`supportbot hours` through argparse, with real configuration files."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot import cli
from bot.cli import hours as cli_hours

CONFIG = """\
bot:
  default_locale: {locale}
hours:
  timezone: Europe/Berlin
  weekly:
    mon: ["09:00-12:00", "13:00-17:00"]
    tue: ["09:00-17:00"]
    wed: ["09:00-17:00"]
    thu: ["09:00-17:00"]
    fri: ["09:00-17:00"]
  holidays: {{country: DE, subdiv: BE}}
  closed: [2025-12-24]
"""


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, CONFIG.format(locale="en"))


def run_hours(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="supportbot")
    cli_hours.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["hours", *argv])
    code: int = args.run(args)
    return code


def test_open_shows_todays_hours_and_closing(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_hours("--config", str(config), "--at", "2025-11-24T10:00") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Monday, 24 November 2025, 10:00 (Europe/Berlin): open",
        "Hours today: 09:00–12:00, 13:00–17:00",
        "Closes: today at 12:00",
    ]


def test_closed_on_a_holiday_names_it_in_the_locale(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_hours("--config", str(config), "--at", "2025-12-25T10:00", "--locale", "de") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Donnerstag, 25. Dezember 2025, 10:00 (Europe/Berlin): geschlossen",
        "Zeiten heute: geschlossen (Erster Weihnachtstag)",
        "Öffnet: Montag, 29. Dezember um 09:00",
    ]


def test_moment_with_offset_is_converted_to_the_support_zone(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_hours("--config", str(config), "--at", "2025-11-24T11:30Z", "--locale", "id") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Senin, 24 November 2025, 12.30 (Europe/Berlin): tutup",
        "Jam hari ini: 09.00–12.00, 13.00–17.00",
        "Buka: hari ini pukul 13.00",
    ]


def test_through_the_supportbot_command(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["hours", "--config", str(config), "--at", "2025-11-24T16:00+01:00", "--locale", "en"]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Closes: today at 17:00"


def test_locale_defaults_to_the_configured_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, CONFIG.format(locale="de"))
    assert run_hours("--config", str(path), "--at", "2025-12-24T18:00") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Mittwoch, 24. Dezember 2025, 18:00 (Europe/Berlin): geschlossen",
        "Zeiten heute: geschlossen",
        "Öffnet: Montag, 29. Dezember um 09:00",
    ]


def test_without_at_it_reports_now(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path, "hours:\n  timezone: Asia/Jakarta\n  always_open: true\n")
    assert run_hours("--config", str(path)) == 0
    status, today, change = capsys.readouterr().out.splitlines()
    assert status.endswith(" (Asia/Jakarta): open")
    assert today == "Hours today: 00:00–24:00"
    assert change == "Closes: never"


def test_empty_schedule_never_opens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path, "hours:\n  timezone: UTC\n")
    assert run_hours("--config", str(path), "--at", "2025-11-24T10:00") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Opens: never"


def test_bad_moment_is_a_usage_error(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_hours("--config", str(config), "--at", "next tuesday")
    assert exit_info.value.code == 2
    assert '"next tuesday" is not an ISO 8601 date and time' in capsys.readouterr().err


def test_invalid_hours_are_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, 'hours:\n  weekly:\n    mon: ["9-17"]\n')
    with pytest.raises(SystemExit) as exit_info:
        run_hours("--config", str(path))
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f'{path}: hours.weekly.mon[0]: "9-17" is not HH:MM-HH:MM' in captured.err
