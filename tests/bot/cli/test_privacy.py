"""`supportbot privacy export|delete|purge` on a seeded database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import cli
from tests.bot.cli.seeded import write_config


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_export_then_delete_then_nothing_left(
    seeded: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    where = ("--config", str(seeded))
    code, out, _ = _run(capsys, "privacy", "export", "slack:U-ANN", *where)
    exported = json.loads(out)
    assert code == 0
    assert [c["display_name"] for c in exported["conversations"]] == ["Ann"]
    assert [m["text"] for m in exported["messages"]] == ["where is my order", "refund please"]
    assert [t["rating"] for t in exported["tickets"]] == [5]

    code, out, _ = _run(capsys, "privacy", "delete", "slack:U-ANN", "--dry-run", *where)
    assert (code, out.split(":")[0]) == (0, "would erase slack")
    code, out, _ = _run(capsys, "privacy", "export", "slack:U-ANN", *where)
    assert len(json.loads(out)["messages"]) == 2  # a dry run changes nothing

    code, out, _ = _run(capsys, "privacy", "delete", "slack:U-ANN", *where)
    assert code == 0
    assert out.startswith("erased slack:U-ANN: 1 conversations, 1 tickets (kept anonymous)")
    code, out, _ = _run(capsys, "privacy", "export", "slack:U-ANN", *where)
    assert json.loads(out)["conversations"] == []
    code, out, _ = _run(capsys, "privacy", "delete", "slack:U-ANN", *where)
    assert out == "nothing stored about slack:U-ANN\n"

    code, out, _ = _run(capsys, "report", "--format", "json", *where)
    report = json.loads(out)
    assert (report["questions"]["total"], report["tickets"]["total"]) == (6, 4)
    assert report["satisfaction"]["rated"] == 3


def test_purge_takes_the_configured_or_given_days(
    seeded: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _run(capsys, "privacy", "purge", "--config", str(seeded))
    assert code == 2 and "privacy.retention_days" in err

    code, out, _ = _run(capsys, "privacy", "purge", "--days", "1", "--config", str(seeded))
    assert code == 0
    # Dan's ticket is still open: his line stays.
    assert out.startswith("purged what is older than 1 days: 5 transcript lines emptied")

    with_retention = seeded.with_name("retention.yaml")
    with_retention.write_text(
        seeded.read_text(encoding="utf-8") + "privacy: {retention_days: 1}\n", encoding="utf-8"
    )
    code, out, _ = _run(capsys, "privacy", "purge", "--config", str(with_retention))
    assert (code, out.split(": ")[1]) == (
        0,
        "0 transcript lines emptied, 0 event payloads emptied, 0 sent messages deleted,"
        " 0 learning loop questions and 0 expired blocks deleted\n",
    )


def test_a_user_without_platform_is_refused(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path / "c.yaml", sqlite_url)
    with pytest.raises(SystemExit) as exited:
        cli.main(["privacy", "export", "U-ANN", "--config", str(path)])

    assert exited.value.code == 2
    assert "PLATFORM:USER_ID" in capsys.readouterr().err
