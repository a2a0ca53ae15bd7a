"""`supportbot report` on a seeded database (SQLite and PostgreSQL): the figures as
JSON, the text a person reads, and the HTML page as a real headless browser draws it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.report.html import CSAT_COLOR, QUESTIONS_COLOR, RESPONSE_COLOR, TICKETS_COLOR
from tests.bot.cli.seeded import write_config

MINUTE = 60.0
DAY = 86400.0


def _report(config: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert cli.main(["report", "--config", str(config), *argv]) == 0
    return capsys.readouterr().out


def test_json_has_every_figure(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(_report(seeded, capsys, "--format", "json"))

    assert report["questions"] == {
        "total": 6,
        "answered": 3,
        "suggested": 1,
        "none": 1,
        "handed_off": 1,
        "deflected": 2,
        "deflection_rate": pytest.approx(1 / 3),
    }
    assert report["tickets"] == {"total": 4, "open": 1, "claimed": 0, "resolved": 3}
    first = report["first_response"]
    assert first["all"] == {"count": 3, "median": 10 * MINUTE, "p90": pytest.approx(138360.0)}
    assert first["in_hours"] == {"count": 2, "median": 6 * MINUTE, "p90": pytest.approx(552.0)}
    assert first["out_of_hours"] == {"count": 1, "median": 2 * DAY, "p90": 2 * DAY}
    assert report["resolution"]["all"]["median"] == 60 * MINUTE
    assert report["satisfaction"] == {
        "rated": 3,
        "satisfied": 2,
        "csat": pytest.approx(2 / 3),
        "average": 4.0,
    }
    agents = {a["agent_name"]: a for a in report["by_agent"]}
    assert (agents["Alex"]["tickets"], agents["Alex"]["satisfaction"]["average"]) == (2, 4.5)
    assert (agents["Sam"]["tickets"], agents["Sam"]["satisfaction"]["csat"]) == (1, 0.0)
    platforms = {p["platform"]: p for p in report["by_platform"]}
    assert {name: (p["questions"], p["tickets"]) for name, p in platforms.items()} == {
        "discord": (1, 1),
        "slack": (3, 2),
        "telegram": (2, 1),
    }
    assert platforms["slack"]["deflection_rate"] == pytest.approx(2 / 3)
    assert [w["satisfaction"]["csat"] for w in report["weekly_satisfaction"]] == [0.5, 1.0]
    assert [b["tickets"] for b in report["first_response_buckets"]] == [0, 1, 1, 0, 0, 0, 1]
    assert len(report["daily"]) == 12  # 24 November to 5 December, quiet days included


def test_since_leaves_out_what_came_before(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads(_report(seeded, capsys, "--format", "json", "--since", "2026-11-25"))

    assert (report["questions"]["total"], report["tickets"]["total"]) == (0, 1)
    assert report["since"] == "2026-11-25T00:00:00+01:00"


def test_text_reads_as_a_summary(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _report(seeded, capsys)

    assert "Questions to the bot: 6" in out
    assert "Deflection rate (answered by the FAQ without a ticket): 33.3%" in out
    assert "Tickets: 4 (open 1, claimed 0, resolved 3)" in out
    lines = out.splitlines()
    assert [line.split() for line in lines if "in support hours" in line] == [
        ["in", "support", "hours", "6m", "00s", "9m", "12s", "2"],
        ["in", "support", "hours", "45m", "00s", "57m", "00s", "2"],
    ]
    assert "Satisfaction (CSAT): 66.7% rated 4-5 of 3 ratings, average 4.00" in out
    assert any(line.split()[:3] == ["Alex", "2", "2"] for line in lines)
    assert any(line.split()[:4] == ["telegram", "2", "0.0%", "1"] for line in lines)


def test_an_empty_database_reports_without_figures(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path / "empty.yaml", sqlite_url)

    out = _report(path, capsys)

    assert "Questions to the bot: 0" in out
    assert "Deflection rate (answered by the FAQ without a ticket): -" in out
    assert "no tickets claimed" in out


def _html_is_self_contained(page: str) -> None:
    lowered = page.lower()
    for outside in ("<script", "<link", "<img", "<iframe", "url(", "@import", "src=", "href="):
        assert outside not in lowered, outside
    assert lowered.count("<svg") == 3


def _near(counts: dict[tuple[int, int, int], int], colour: str) -> int:
    """Pixels within a small distance of `colour` (anti-aliasing, colour management)."""
    want = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(
        n
        for rgb, n in counts.items()
        if all(abs(a - b) <= 6 for a, b in zip(rgb, want, strict=True))
    )


def test_html_is_one_page_a_headless_browser_draws_with_charts(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.bot.cli.png_pixels import colours

    page = _report(seeded, capsys, "--format", "html")
    _html_is_self_contained(page)
    assert "<td>Alex</td>" in page
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "headless Chromium is needed (apt-get install chromium)"
    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=900,2600",
            f"--screenshot={shot}",
            html_file.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    width, height, counts = colours(shot)
    drawn: dict[str, Any] = {
        name: _near(counts, colour)
        for name, colour in (
            ("questions", QUESTIONS_COLOR),
            ("tickets", TICKETS_COLOR),
            ("first response", RESPONSE_COLOR),
            ("csat", CSAT_COLOR),
        )
    }

    assert (width, height) == (900, 2600)
    assert all(pixels > 200 for pixels in drawn.values()), drawn
