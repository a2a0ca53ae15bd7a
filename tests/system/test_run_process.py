"""`supportbot run` as a user runs it: the installed console script, a config file,
tokens in environment variables, against fake Telegram and Slack servers served from
this test's event loop, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.conftest import EXAMPLE_FAQ
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.fakes.telegram_api import ApiCall, FakeTelegramApi, FakeUser

SUPPORTBOT = Path(sys.executable).parent / "supportbot"
TELEGRAM_TOKEN = "987654:RUN-TEST-TELEGRAM-SECRET"
TOKENS = (TELEGRAM_TOKEN, BOT_TOKEN, APP_TOKEN)
CUSTOMER = FakeUser(1002, "Ann", "Lee", language_code="en-GB")
WAIT = 20.0  # start-up imports three platform libraries; generous for a loaded CI machine
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
_HEALTH_LINE = re.compile(r"health endpoint on http://[^:]+:(\d+)/healthz")


def user_env(**variables: str) -> dict[str, str]:
    """This environment without proxies or platform tokens, plus `variables`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _PROXIES and not name.endswith("_TOKEN")
    }
    return env | variables


def write_config(folder: Path, sections: dict[str, Any]) -> Path:
    path = folder / "supportbot.yaml"
    base: dict[str, Any] = {
        "faq": {"path": str(EXAMPLE_FAQ)},
        "hours": {"always_open": True},
        "database": {"url": f"sqlite+aiosqlite:///{folder / 'supportbot.db'}"},
        "logging": {"format": "json", "level": "INFO"},
    }
    path.write_text(yaml.safe_dump(base | sections), encoding="utf-8")
    return path


class ProcessLog:
    """Reads a child's stderr line by line while it runs (so the pipe never fills)."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            async with self._changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()

    async def wait_for(self, pattern: re.Pattern[str]) -> re.Match[str]:
        def found() -> re.Match[str] | None:
            return next((m for line in self.lines if (m := pattern.search(line))), None)

        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        match = found()
        assert match is not None
        return match

    async def finish(self) -> str:
        await self._task
        return "\n".join(self.lines)


async def healthz(port: int) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, await response.json()


def sent_to(chat_id: int, containing: str) -> Callable[[ApiCall], bool]:
    def match(call: ApiCall) -> bool:
        return (
            call.status == 200
            and call.params["chat_id"] == str(chat_id)
            and containing in call.result["text"]
        )

    return match


@pytest.fixture
async def telegram(no_proxy: None) -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi(token=TELEGRAM_TOKEN) as fake:
        yield fake


@pytest.fixture
async def slack(no_proxy: None) -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.members["CSTAFF"] = ["UBOT", "UAGENT"]
        yield fake


async def test_run_serves_both_platforms_and_stops_on_sigterm(
    tmp_path: Path, telegram: FakeTelegramApi, slack: FakeSlack
) -> None:
    config = write_config(
        tmp_path,
        {
            "staff": {"platform": "slack", "chat_id": "CSTAFF"},
            "health": {"enabled": True, "listen": "127.0.0.1", "port": 0},
            "telegram": {
                "enabled": True,
                "mode": "polling",
                "token": "${TELEGRAM_BOT_TOKEN}",
                "api_base_url": telegram.base_url,
                "poll_timeout": 1,
                "request_timeout": 5,
            },
            "slack": {
                "enabled": True,
                "mode": "socket",
                "bot_token": "${SLACK_BOT_TOKEN}",
                "app_token": "${SLACK_APP_TOKEN}",
                "api_base_url": slack.base_url,
            },
        },
    )
    env = user_env(
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN
    )
    process = await asyncio.create_subprocess_exec(
        str(SUPPORTBOT),
        "run",
        "--config",
        str(config),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    log = ProcessLog(process.stderr)
    try:
        # Port 0: the bound port is in the start-up log line.
        port = int((await log.wait_for(_HEALTH_LINE)).group(1))
        status, report = await healthz(port)
        assert status == 200 and report["status"] == "ok"
        assert sorted(report["adapters"]) == ["slack", "telegram"]
        assert report["faq_entries"] > 0

        # The answer meets one 429; SIGTERM arrives while the bot waits out its
        # retry_after. A graceful stop finishes sending what was decided.
        telegram.fail_next("sendMessage", times=1, status=429, retry_after=1)
        telegram.user_writes(CUSTOMER, "Where is my order?")
        await telegram.wait_for_call("sendMessage", lambda c: c.status == 429, timeout=WAIT)
        process.send_signal(signal.SIGTERM)
        answer = await telegram.wait_for_call(
            "sendMessage", sent_to(CUSTOMER.id, "Did this help?"), timeout=WAIT
        )
        assert "tracking" in answer.result["text"]
        async with asyncio.timeout(WAIT):
            code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = await log.finish()
    stdout = (await process.stdout.read()).decode()

    assert code == 0, stderr
    entries = [json.loads(line) for line in stderr.splitlines()]
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    messages = [(entry["logger"], entry["message"]) for entry in entries]
    assert ("bot.runtime", "telegram adapter started") in messages
    assert ("bot.runtime", "slack adapter started") in messages
    assert ("bot.run", "shutting down") in messages
    assert messages.index(("bot.run", "shutting down")) > messages.index(
        ("bot.run", "running; press Ctrl+C to stop")
    )
    assert not [entry for entry in entries if entry["level"] in ("ERROR", "CRITICAL")]
    # The Telegram token is part of every Bot API URL the HTTP client logs: scrubbed.
    assert any("/bot***/getUpdates" in entry["message"] for entry in entries)
    for token in TOKENS:
        assert token not in stderr and token not in stdout


def run_cli(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SUPPORTBOT), "run", "--config", str(config)],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_an_enabled_platform_exits_2(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"telegram": {"enabled": False, "token": "${NOT_SET_EVER}"}})
    result = run_cli(config, user_env())
    assert result.returncode == 2
    assert "no platform is enabled (slack/discord/telegram .enabled)" in result.stderr
    assert not (tmp_path / "supportbot.db").exists()


def test_run_with_a_missing_token_variable_exits_2_naming_key_and_variable(
    tmp_path: Path,
) -> None:
    config = write_config(
        tmp_path, {"telegram": {"enabled": True, "token": "${TELEGRAM_BOT_TOKEN}"}}
    )
    result = run_cli(config, user_env())
    assert result.returncode == 2
    assert result.stderr.startswith("supportbot: configuration error:\n")
    assert "telegram.token: environment variable TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert not (tmp_path / "supportbot.db").exists()
