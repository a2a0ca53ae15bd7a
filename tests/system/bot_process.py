"""The Slack bot of the system tests, and bots in processes of their own.

Each bot process is `supportbot run` (the real entry point, `python -m bot.cli run`)
started with this interpreter, configured for the Slack adapter against a fake Slack
served by the test process, and logging (as text) to a file. `bots()` kills whatever is
still running when the test ends and, when the test failed, prints every bot's log.
Customers ask QUESTIONS from the example FAQ; `answered()` tells which ones a chat's
messages answer.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from handoff.models import OutboxRow
from tests.conftest import EXAMPLE_FAQ, REPO
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack

STAFF_CHANNEL = "CSTAFF"
# A question from the example FAQ, and words its answer starts with.
QUESTIONS = {
    "How do I reset my password?": "On the login page",
    "Can I order as a guest?": "No, you can order as a guest",
    "How can I contact you?": "Right here in this chat",
}
STOP_SECONDS = 20.0
_HEALTH_LINE = re.compile(r"health endpoint on http://[^:]+:(\d+)/healthz")
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def write_config(
    folder: Path,
    fake: FakeSlack,
    database_url: str,
    *,
    lease_seconds: float,
    slack: dict[str, Any] | None = None,
    health: bool = False,
    logging: dict[str, Any] | None = None,
) -> Path:
    """A Slack-only configuration whose staff room is STAFF_CHANNEL; fast retries.
    `slack` adds or overrides keys of the slack section (e.g. HTTP mode), `logging` of
    the logging section; `health` serves /healthz on a port the OS picks (see
    `Bots.health_port`)."""
    data: dict[str, Any] = {
        "faq": {"path": str(EXAMPLE_FAQ)},
        "hours": {"always_open": True},
        "staff": {"platform": "slack", "chat_id": STAFF_CHANNEL},
        "database": {"url": database_url},
        "delivery": {"lease_seconds": lease_seconds, "retry_seconds": 0.05},
        "slack": {
            "enabled": True,
            "bot_token": "${SLACK_BOT_TOKEN}",
            "app_token": "${SLACK_APP_TOKEN}",
            "api_base_url": fake.base_url,
        }
        | (slack or {}),
        "health": {"enabled": health, "listen": "127.0.0.1", "port": 0},
        "logging": {"format": "text", "level": "INFO"} | (logging or {}),
    }
    path = folder / "supportbot.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def answered(fake: FakeSlack, channel: str) -> list[str]:
    """Which QUESTIONS the messages in `channel` answer, in the order they arrived."""
    return [
        question
        for message in fake.messages_in(channel)
        for question, answer in QUESTIONS.items()
        if answer in message.text
    ]


class Bots:
    """The bot processes of one test."""

    def __init__(self, config: Path, tokens: dict[str, str] | None = None) -> None:
        self._config = config
        self._tokens = tokens or {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
        self._logs: list[Path] = []
        self.started: list[asyncio.subprocess.Process] = []

    async def start(self) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if k not in _PROXIES}
        env |= self._tokens
        path = self._config.parent / f"bot-{len(self._logs)}.log"
        self._logs.append(path)
        with path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                "--config",
                str(self._config),
                cwd=REPO,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        self.started.append(process)
        return process

    async def kill(self, process: asyncio.subprocess.Process) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine loses power."""
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async def stop(self, process: asyncio.subprocess.Process) -> int:
        """SIGTERM, as an orchestrator stops it; returns the exit code."""
        process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(process.wait(), STOP_SECONDS)

    def log_of(self, index: int) -> str:
        """The log of the `index`-th process started (0: the first), so far."""
        return self._logs[index].read_text(errors="replace")

    async def health_port(self, index: int, *, timeout: float = STOP_SECONDS) -> int:
        """The port of that process's /healthz, from its start-up log line."""
        async with asyncio.timeout(timeout):
            while (found := _HEALTH_LINE.search(self.log_of(index))) is None:
                await asyncio.sleep(0.05)
        return int(found.group(1))

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text(errors='replace')}" for path in self._logs
        )


@asynccontextmanager
async def bots(config: Path, tokens: dict[str, str] | None = None) -> AsyncIterator[Bots]:
    """Bot processes on `config`, with `tokens` (default: the fake Slack's) in their env."""
    running = Bots(config, tokens)
    try:
        yield running
    except BaseException:
        print(running.logs())
        raise
    finally:
        for process in running.started:
            if process.returncode is None:
                await running.kill(process)


async def outbox_rows(database_url: str) -> list[OutboxRow]:
    """Every outbox row, oldest first, read on a connection of its own."""
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            return list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
    finally:
        await engine.dispose()


async def wait_until_delivered(database_url: str, *, at_least: int, timeout: float) -> None:
    """Until the outbox holds `at_least` rows and none is pending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        rows = await outbox_rows(database_url)
        if len(rows) >= at_least and all(row.status != "pending" for row in rows):
            return
        if loop.time() > deadline:
            states = [(row.id, row.status, row.attempts, row.last_error) for row in rows]
            raise AssertionError(f"outbox not delivered in {timeout} s: {states}")
        await asyncio.sleep(0.1)
