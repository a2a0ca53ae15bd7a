"""`supportbot run` with a token its platform rejects: one clean line, no traceback, no
token, exit 1. The real platform libraries talk to the fake servers, which are served
from an event loop in a thread of their own: `run` needs the main thread (it installs
signal handlers)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from bot.cli import main
from tests.conftest import EXAMPLE_FAQ
from tests.fakes import slack_api
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.server import LocalServer
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.unreachable import free_port

Fake = TypeVar("Fake", bound=LocalServer)

WRONG_TELEGRAM = "555555:REVOKED-TOKEN-REVOKED-TOKEN-REVOKED"
WRONG_SLACK = "xoxb-1111-2222-revoked-slack-token"
WRONG_DISCORD = "revoked-discord-token-value"


@pytest.fixture(autouse=True)
def _keep_logging(no_proxy: None) -> Iterator[None]:
    """`run` installs its JSON log handler on the root logger; put pytest's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _write(folder: Path, sections: dict[str, Any]) -> str:
    base: dict[str, Any] = {
        "faq": {"path": str(EXAMPLE_FAQ)},
        "hours": {"always_open": True},
        "database": {"url": f"sqlite+aiosqlite:///{folder / 'bot.db'}"},
        "health": {"enabled": False},
        "logging": {"format": "json", "level": "INFO"},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(base | sections), encoding="utf-8")
    return str(path)


@contextmanager
def served(fake: Fake) -> Iterator[Fake]:
    """`fake`, serving from a loop in another thread for as long as the block runs."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(fake.__aenter__(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.__aexit__(None, None, None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _refused(config: str, capsys: pytest.CaptureFixture[str], token: str) -> str:
    """The one line `run` ends with (before it only log lines, none with a traceback)."""
    code = main(["run", "--config", config])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == 1
    assert token not in output
    assert "Traceback" not in output
    *logged, line = captured.err.splitlines()
    assert all("exception" not in json.loads(entry) for entry in logged)  # JSON log lines
    assert line.startswith("supportbot: cannot start: ")
    return line


def test_telegram_rejects_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUN_TELEGRAM_TOKEN", WRONG_TELEGRAM)
    with served(FakeTelegramApi()) as fake:
        telegram = {
            "enabled": True,
            "token": "${RUN_TELEGRAM_TOKEN}",
            "api_base_url": fake.base_url,
        }
        staff = {"platform": "telegram", "chat_id": "-100123"}
        config = _write(tmp_path, {"telegram": telegram, "staff": staff})

        line = _refused(config, capsys, WRONG_TELEGRAM)

    assert "Telegram rejected the token (telegram.token)" in line and "@BotFather" in line


def test_slack_rejects_the_bot_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with served(FakeSlack()) as fake:
        slack = {
            "enabled": True,
            "bot_token": WRONG_SLACK,
            "app_token": slack_api.APP_TOKEN,
            "api_base_url": fake.base_url,
        }
        config = _write(tmp_path, {"slack": slack, "staff": {"platform": "slack", "chat_id": "C1"}})

        line = _refused(config, capsys, WRONG_SLACK)

    assert "Slack rejected the bot token (slack.bot_token)" in line


def test_slack_rejects_the_app_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong_app = "xapp-1-revoked-app-token-value"
    with served(FakeSlack()) as fake:
        slack = {
            "enabled": True,
            "bot_token": slack_api.BOT_TOKEN,
            "app_token": wrong_app,
            "api_base_url": fake.base_url,
        }
        config = _write(tmp_path, {"slack": slack, "staff": {"platform": "slack", "chat_id": "C1"}})

        line = _refused(config, capsys, wrong_app)

    assert "Slack rejected the app token (slack.app_token)" in line


def test_discord_rejects_the_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with served(FakeDiscord()) as fake:
        discord = {
            "enabled": True,
            "token": WRONG_DISCORD,
            "api_base_url": fake.api_url,
            "spool_dir": str(tmp_path / "spool"),
        }
        staff = {"platform": "discord", "chat_id": str(fake.staff_channel_id)}
        config = _write(tmp_path, {"discord": discord, "staff": staff})

        line = _refused(config, capsys, WRONG_DISCORD)

    assert "Discord rejected the token (discord.token)" in line


def test_an_unexplained_failure_is_one_line_and_a_scrubbed_log_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUN_TELEGRAM_TOKEN", WRONG_TELEGRAM)
    telegram = {
        "enabled": True,
        "token": "${RUN_TELEGRAM_TOKEN}",
        "api_base_url": f"http://127.0.0.1:{free_port()}",
        "request_timeout": 2,
    }
    staff = {"platform": "telegram", "chat_id": "-100123"}
    config = _write(tmp_path, {"telegram": telegram, "staff": staff})

    code = main(["run", "--config", config])

    err = capsys.readouterr().err
    assert code == 1 and WRONG_TELEGRAM not in err
    *logged, line = err.splitlines()
    assert line.startswith("supportbot: cannot start: NetworkError: ")
    [failure] = [json.loads(entry) for entry in logged if "exception" in json.loads(entry)]
    assert failure["message"] == "start-up failed" and "NetworkError" in failure["exception"]
