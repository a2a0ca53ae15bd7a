"""A burst through a platform: 200 questions from 40 customers, question to answer.

The bot (a Runtime with the real Slack adapter in Socket Mode) runs in this process
against the fake Slack server of the tests on 127.0.0.1, served from a process of its
own (bench/slack_fake_process.py): Slack is never in the bot's process. Every customer
asks the same five FAQ questions back to back, all customers at once, as Slack would
push them. The clock starts when a question is pushed and stops when the fake records
the `chat.postMessage` carrying its answer; answers/s runs from the first question to
the last answer. With "429s", one `chat.postMessage` in five (at random, seeded) is
refused with 429 and `Retry-After: 1`, which the SDK waits out and the outbox retries.
Slack's pacing is part of the figures: the adapter posts four messages to a channel at
once, then one a second (adapters/slack/pacing.py), so each customer's fifth answer
comes at least a second after its first, and a fifth of all answers take a second or
more whatever the engine does. "p95 unpaced" leaves those out: the p95 of each
customer's first four answers. The bot is stopped only once every envelope the fake
sent has been worked through (`until_bot_quiet`), so no listener acks on a closing socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.engine_bench import EXAMPLE_FAQ
from bench.faq_latency import percentile
from bench.options import BenchOptions
from bench.scratch_db import DATABASES, DatabaseUnavailable, Scratch
from bench.slack_fake_process import SLACK_BURST, WAIT_SECONDS, Timings
from bench.table import Table
from bot.config import Config
from bot.runtime import Runtime
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN

TITLE = "Burst through a platform (Slack, Socket Mode)"
CUSTOMERS, QUESTIONS = 40, 5
QUICK_CUSTOMERS, QUICK_QUESTIONS = 8, 2
FLOOD, QUICK_FLOOD = 1000, 50
REFUSED_SHARE = 0.2
TARGET_P95_MS = 1000.0  # issue 12: no faults, PostgreSQL
ROOT = Path(__file__).resolve().parents[1]
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def bench_config(url: str, api_base_url: str) -> Config:
    return Config.model_validate(
        {
            "database": {"url": url},
            "faq": {"path": str(EXAMPLE_FAQ)},
            "hours": {"always_open": True},
            "staff": {"platform": "slack", "chat_id": "CSTAFF"},
            "slack": {
                "enabled": True,
                "mode": "socket",
                "bot_token": BOT_TOKEN,
                "app_token": APP_TOKEN,
                "api_base_url": api_base_url,
            },
        }
    )


async def _burst(
    url: str, customers: int, per_customer: int, share: float, flood: int = 0
) -> Timings:
    from adapters.slack import SlackAdapter  # slack_bolt loads only when this section runs

    fake = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.slack_fake_process",
        *map(str, (customers, per_customer, share, flood)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert fake.stdin is not None and fake.stdout is not None
    try:
        listening = await _heard(fake.stdout, WAIT_SECONDS)
        config = bench_config(url, str(listening["base_url"]))
        runtime = Runtime(config, [SlackAdapter(config.slack, config.staff)])
        await runtime.start()
        try:
            timings = Timings(**await _heard(fake.stdout, 4 * WAIT_SECONDS))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runtime.core.idle(), WAIT_SECONDS)
        finally:
            await runtime.stop()
    finally:
        fake.stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fake.wait(), WAIT_SECONDS)
        if fake.returncode is None:
            fake.kill()
            await fake.wait()
    return timings


async def _heard(stdout: asyncio.StreamReader, seconds: float) -> dict[str, Any]:
    """The fake's next JSON line."""
    line = await asyncio.wait_for(stdout.readline(), seconds)
    if not line:
        raise RuntimeError("the fake Slack process exited early (its errors are above)")
    message = json.loads(line)
    assert isinstance(message, dict)
    return message


async def _burst_on(
    scratch: Scratch, customers: int, per_customer: int, share: float, flood: int
) -> Timings:
    async with scratch() as url:
        return await _burst(url, customers, per_customer, share, flood)


@contextlib.contextmanager
def _isolated() -> Iterator[None]:
    """No proxies (slack-sdk would send even 127.0.0.1 through HTTPS_PROXY), and only
    errors printed: the warnings of every 429 the bench provokes would bury the table."""
    saved = {name: os.environ.pop(name) for name in _PROXIES if name in os.environ}
    root = logging.getLogger()
    errors_only = logging.StreamHandler()
    errors_only.setLevel(logging.ERROR)
    root.addHandler(errors_only)
    try:
        yield
    finally:
        root.removeHandler(errors_only)
        os.environ.update(saved)


def _ms(values: list[float], share: float) -> str:
    return f"{percentile(values, share):,.0f}" if values else "-"


def _row(database: str, share: float, flood: int, burst: Timings) -> tuple[str, ...]:
    rate = len(burst.latency_ms) / burst.seconds if burst.seconds > 0 else 0.0
    return (
        database,
        f"{share:.0%} ({burst.refused})",
        f"{flood:,}",
        str(burst.questions),
        str(len(burst.latency_ms)),
        f"{rate:,.1f}",
        _ms(burst.latency_ms, 0.50),
        _ms(burst.latency_ms, 0.95),
        _ms(burst.unpaced_ms, 0.95),
    )


def _verdict(burst: Timings | None) -> str:
    """The target, and how the PostgreSQL run with no faults compares with it.

    It is judged on the answers Slack lets a bot post at once: with five questions per
    customer and one post a second per channel after a burst of SLACK_BURST, a fifth of
    all answers wait a second for Slack whatever the bot does, so the p95 of all
    answers is over a second for any bot that keeps to Slack's limit."""
    target = (
        f"target: p95 < {TARGET_P95_MS:,.0f} ms on PostgreSQL with no 429s and no flood, "
        f"over the answers Slack's pacing does not hold (each customer's first {SLACK_BURST})"
    )
    if burst is None or not burst.unpaced_ms:
        return f"{target} (not measured)"
    unpaced = percentile(burst.unpaced_ms, 0.95)
    every = percentile(burst.latency_ms, 0.95)
    met = "met" if unpaced < TARGET_P95_MS else "not met"
    return f"{target}: {met} (p95 unpaced {unpaced:,.0f} ms; all answers {every:,.0f} ms)"


def run(options: BenchOptions) -> Table:
    customers = QUICK_CUSTOMERS if options.quick else CUSTOMERS
    per_customer = QUICK_QUESTIONS if options.quick else QUESTIONS
    rows: list[tuple[str, ...]] = []
    notes = [
        f"{customers} customers x {per_customer} questions pushed at once over Socket Mode; "
        "latency: question pushed -> answer posted; 429s: share of sends refused (count); "
        "flood: messages one more customer sends meanwhile (not in the figures)",
        f"p95 unpaced: each customer's first {SLACK_BURST} answers only (Slack's pacing "
        f"holds every answer after the {SLACK_BURST}th in a channel >= 1 s after the first)",
    ]
    flood_size = QUICK_FLOOD if options.quick else FLOOD
    clean: Timings | None = None
    with _isolated():
        for database, scratch in DATABASES:
            try:
                for share, flood in ((0.0, 0), (REFUSED_SHARE, 0), (0.0, flood_size)):
                    burst = asyncio.run(_burst_on(scratch, customers, per_customer, share, flood))
                    rows.append(_row(database, share, flood, burst))
                    if database == "PostgreSQL" and not share and not flood:
                        clean = burst
            except DatabaseUnavailable as unavailable:
                notes.append(f"skipped: {unavailable}")
    notes.append(_verdict(clean))
    header = (
        "database",
        "429s",
        "flood",
        "questions",
        "answered",
        "answers/s",
        "p50 ms",
        "p95 ms",
        "p95 unpaced ms",
    )
    return Table(TITLE, header, tuple(rows), "\n".join(notes))
