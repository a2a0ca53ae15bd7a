"""`supportbot shell` as a user runs it: the real console script, typed lines on stdin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO

SCRIPT = Path(sys.executable).parent / "supportbot"


def _config(tmp_path: Path) -> Path:
    data = yaml.safe_load((REPO / "config.example.yaml").read_text(encoding="utf-8"))
    data["faq"]["path"] = str(REPO / "examples" / "faq")
    data["database"]["url"] = f"sqlite+aiosqlite:///{tmp_path / 'shell.db'}"
    data["hours"] = {"always_open": True}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _shell(config: Path, typed: list[str], *args: str) -> str:
    result = subprocess.run(
        [str(SCRIPT), "shell", "--config", str(config), *args],
        input="\n".join(typed) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=config.parent,
    )
    return result.stdout


def test_both_sides_of_a_conversation(tmp_path: Path) -> None:
    out = _shell(
        _config(tmp_path),
        [
            "How do I return an item?",
            "1",
            "I want to talk to a human",
            "/agent",
            "1",
            "Hello, this is Alex.",
            "/customer",
            "Thanks \x1b[31m<b>x</b>",
            "/agent",
            "/resolve",
            "/customer",
            "5",
        ],
    )
    assert "[to customer] bot: Open My account > Orders" in out
    assert "[1] Yes, thanks  [2] Not really" in out
    assert "Ticket #1" in out and "[1] Claim" in out
    assert "Claimed by Alex." in out
    assert "[to customer] bot: Alex: Hello, this is Alex." in out
    assert "bot: Customer: Thanks [31m<b>x</b>" in out  # the escape byte is gone
    assert "\x1b" not in out
    assert "Thank you for your rating!" in out


def test_a_second_run_continues_the_same_ticket(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _shell(config, ["talk to a human please"], "--name", "Dana")
    out = _shell(config, ["/agent", "/queue"])
    assert "Open tickets: #1 (normal)" in out


def test_german_customer_gets_german_messages(tmp_path: Path) -> None:
    out = _shell(_config(tmp_path), ["Ich möchte einen Mitarbeiter sprechen"], "--locale", "de")
    assert "Ich habe Ihre Anfrage an unser Team weitergegeben (Ticket #1)" in out
