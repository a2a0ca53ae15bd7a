"""Memory of `supportbot run`: its resident set idle and after N conversations.

The real process (`python -m bot.cli run`, a config file, tokens in its environment)
runs the Slack adapter in Socket Mode against the fake Slack of the tests, served from
this process (bench/slack_fake_process.py's TimedSlack). Each conversation is a new customer
(a user and a DM of its own) asking one FAQ question; at most IN_FLIGHT are waiting for
their answer at a time. At each checkpoint the load pauses until every question asked
is answered, and VmRSS is read from /proc/<pid>/status; "idle" is the process started,
connected and untouched for IDLE_SECONDS, "rested" the same pause after the last
checkpoint. Growth: how much the RSS grew per 1,000 conversations since the row before.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.options import BenchOptions
from bench.scratch_db import DATABASES, DatabaseUnavailable, Scratch
from bench.slack_fake_process import TimedSlack
from bench.table import Table
from bot.heap import TRIM_SECONDS
from tests.system.bot_process import bots, write_config
from tests.system.burst import ASKED

TITLE = "Memory of supportbot run (RSS)"
CHECKPOINTS = (1_000, 2_500, 5_000, 10_000, 20_000, 40_000)
QUICK_CHECKPOINTS = (20, 50)
IN_FLIGHT = 40
IDLE_SECONDS = 3.0
START_SECONDS = 60.0


class BotFailed(Exception):
    """The bot process exited or stopped answering; the message ends with its log."""


@dataclass(frozen=True)
class Sample:
    label: str
    conversations: int
    seconds: float  # since the first conversation
    rss_kib: int


def rss_kib(pid: int) -> int:
    """The process's resident set (VmRSS), KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BotFailed(f"no VmRSS for process {pid}")


class Customers:
    """New customers, one question each, at most IN_FLIGHT unanswered at a time."""

    def __init__(self, fake: TimedSlack) -> None:
        self._fake = fake
        self._questions = list(ASKED)
        self.started = 0

    async def converse(self, until: int, process: asyncio.subprocess.Process) -> None:
        """New conversations until `until` were started, then wait for every answer."""
        while self.started < until:
            await self._fake.until_open_below(IN_FLIGHT)
            n = self.started
            user_id, dm = f"UM{n:05d}", f"DM{n:05d}"
            self._fake.add_user(user_id, user_id.lower())
            await self._fake.ask(user_id, dm, [self._questions[n % len(self._questions)]])
            self.started += 1
        await self._fake.until_open_below(1)
        if process.returncode is not None:
            raise BotFailed(f"the bot exited with {process.returncode}")


async def _measure(url: str, checkpoints: tuple[int, ...], folder: Path) -> list[Sample]:
    async with TimedSlack(refuse_after=0.0) as fake:
        config = write_config(
            folder,
            fake,
            url,
            lease_seconds=10.0,
            slack={"mode": "socket"},
            logging={"level": "WARNING"},
        )
        async with bots(config) as running:
            process = await running.start()
            await fake.wait_connections(1, timeout=START_SECONDS)
            await asyncio.sleep(IDLE_SECONDS)
            samples = [Sample("idle", 0, 0.0, rss_kib(process.pid))]
            customers = Customers(fake)
            began = time.perf_counter()
            for checkpoint in checkpoints:
                await customers.converse(checkpoint, process)
                elapsed = time.perf_counter() - began
                samples.append(
                    Sample(f"after {checkpoint:,}", checkpoint, elapsed, rss_kib(process.pid))
                )
            await asyncio.sleep(IDLE_SECONDS)
            last = checkpoints[-1]
            elapsed = time.perf_counter() - began
            samples.append(Sample("rested", last, elapsed, rss_kib(process.pid)))
            await fake.until_bot_quiet()
    return samples


async def _measure_on(scratch: Scratch, checkpoints: tuple[int, ...]) -> list[Sample]:
    with tempfile.TemporaryDirectory(prefix="supportbot-memory-") as folder:
        try:
            async with scratch() as url:
                return await _measure(url, checkpoints, Path(folder))
        except (TimeoutError, BotFailed) as failure:
            log = (Path(folder) / "bot.log").read_text(errors="replace")
            raise BotFailed(
                f"{failure or type(failure).__name__}; log tail: {log[-500:]}"
            ) from failure


def _rows(database: str, samples: list[Sample]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    previous: Sample | None = None
    for sample in samples:
        growth = "-"
        if previous is not None and sample.conversations > previous.conversations:
            per_thousand = (
                (sample.rss_kib - previous.rss_kib)
                * 1000
                / (sample.conversations - previous.conversations)
            )
            growth = f"{per_thousand / 1024:+.1f}"
        rows.append(
            (
                database,
                sample.label,
                f"{sample.seconds:,.1f}",
                f"{sample.rss_kib / 1024:,.1f}",
                growth,
            )
        )
        previous = sample
    return rows


def run(options: BenchOptions) -> Table:
    checkpoints = QUICK_CHECKPOINTS if options.quick else CHECKPOINTS
    rows: list[tuple[str, ...]] = []
    notes = [
        "the real `supportbot run` process (Slack, Socket Mode, against the fake Slack); "
        f"each conversation a new customer asking one FAQ question, {IN_FLIGHT} at a time; "
        "RSS: VmRSS of the bot process once every question so far is answered; "
        "growth: MiB per 1,000 conversations since the row before; s: since the first one",
        f"the bot gives freed memory back to the OS every {TRIM_SECONDS:.0f} s (bot/heap.py), "
        "so a row taken before the first minute counts memory already freed",
    ]
    for database, scratch in DATABASES:
        try:
            rows.extend(_rows(database, asyncio.run(_measure_on(scratch, checkpoints))))
        except DatabaseUnavailable as unavailable:
            notes.append(f"skipped: {unavailable}")
        except BotFailed as failure:
            notes.append(f"{database}: failed: {failure}")
    header = ("database", "point", "s", "RSS MiB", "growth MiB/1k")
    return Table(TITLE, header, tuple(rows), "\n".join(notes))
