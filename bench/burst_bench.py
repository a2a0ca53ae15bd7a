"""A burst through a platform: 200 questions from 40 customers, question to answer.

The bot (a Runtime with the real Slack adapter in Socket Mode) runs against the fake
Slack server of the tests on 127.0.0.1, in this process. Every customer asks the same
five FAQ questions back to back, all customers at once, as Slack would push them. The
clock starts when a question is pushed and stops when the fake records the
`chat.postMessage` carrying its answer; answers/s runs from the first question to the
last answer. With "429s", one `chat.postMessage` in five (at random, seeded) is
refused with 429 and `Retry-After: 1`, which the SDK waits out and the outbox retries.
Slack's pacing of one message per second per channel is part of the figures: a
customer's fifth answer comes about four seconds after the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.engine_bench import EXAMPLE_FAQ
from bench.faq_latency import percentile
from bench.options import BenchOptions
from bench.scratch_db import DATABASES, DatabaseUnavailable, Scratch
from bench.table import Table
from bot.config import Config
from bot.runtime import Runtime
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.system.burst import ASKED

TITLE = "Burst through a platform (Slack, Socket Mode)"
CUSTOMERS, QUESTIONS = 40, 5
QUICK_CUSTOMERS, QUICK_QUESTIONS = 8, 2
FLOOD, QUICK_FLOOD = 1000, 50
REFUSED_SHARE = 0.2
WAIT_SECONDS = 90.0  # for all answers of one run
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass(frozen=True)
class Burst:
    questions: int
    answered: int
    seconds: float  # first question pushed to last answer recorded
    latency_ms: list[float]  # sorted
    refused: int  # 429s the fake gave


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


class TimedSlack(FakeSlack):
    """The fake Slack, noting when each answer is posted (as the post is carried out),
    and refusing the call after a successful post with probability `refuse_after`."""

    def __init__(self, refuse_after: float) -> None:
        super().__init__()
        self._refuse_after = refuse_after
        self._random = random.Random(11)
        self.asked: dict[tuple[str, str], float] = {}
        self.answered: dict[tuple[str, str], float] = {}
        self._progress = asyncio.Event()

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        now = time.perf_counter()
        channel, text = str(args.get("channel", "")), str(args.get("text", ""))
        for question, answer in ASKED.items():
            if answer in text:
                self.answered.setdefault((channel, question), now)
                self._progress.set()
        if self._random.random() < self._refuse_after:
            self.fail_next("chat.postMessage", status=429, retry_after=1)
        return super()._m_chat_postMessage(args)

    @property
    def refused(self) -> int:
        return sum(call.status == 429 for call in self.calls_of("chat.postMessage"))

    async def ask(self, user_id: str, dm: str, questions: list[str]) -> None:
        for question in questions:
            self.asked[(dm, question)] = time.perf_counter()
            await self.push_event(self.message_event(dm, user_id, question))

    async def until_answered(self) -> None:
        async with asyncio.timeout(WAIT_SECONDS):
            while len(self.answered) < len(self.asked):
                self._progress.clear()
                await self._progress.wait()


async def _flood(fake: TimedSlack, messages: int) -> None:
    """One more customer sends `messages` messages as fast as the socket takes them."""
    fake.add_user("UFLOOD", "flooder")
    for number in range(messages):
        await fake.push_event(fake.message_event("DFLOOD", "UFLOOD", f"spam {number}"))


async def _burst(
    url: str, customers: int, per_customer: int, share: float, flood: int = 0
) -> Burst:
    from adapters.slack import SlackAdapter  # slack_bolt loads only when this section runs

    questions = list(ASKED)[:per_customer]
    people = [(f"UB{n:02d}", f"DB{n:02d}") for n in range(customers)]
    # A refusal planned after a success with probability share / (1 - share): `share`
    # of all calls are refused.
    async with TimedSlack(refuse_after=share / (1.0 - share)) as fake:
        for user_id, _ in people:
            fake.add_user(user_id, user_id.lower())
        config = bench_config(url, fake.base_url)
        runtime = Runtime(config, [SlackAdapter(config.slack, config.staff)])
        await runtime.start()
        try:
            await fake.wait_connections(1, timeout=WAIT_SECONDS)
            began = time.perf_counter()
            await asyncio.gather(
                _flood(fake, flood), *(fake.ask(u, dm, questions) for u, dm in people)
            )
            with contextlib.suppress(TimeoutError):  # the table shows what was answered
                await fake.until_answered()
            await fake.wait_redelivered(timeout=WAIT_SECONDS)  # every envelope acked
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runtime.core.idle(), WAIT_SECONDS)
        finally:
            await runtime.stop()
    latency = sorted(
        (fake.answered[key] - asked) * 1000.0
        for key, asked in fake.asked.items()
        if key in fake.answered
    )
    last = max(fake.answered.values(), default=began)
    return Burst(len(fake.asked), len(latency), last - began, latency, fake.refused)


async def _burst_on(
    scratch: Scratch, customers: int, per_customer: int, share: float, flood: int
) -> Burst:
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


def _row(database: str, share: float, flood: int, burst: Burst) -> tuple[str, ...]:
    rate = burst.answered / burst.seconds if burst.seconds > 0 else 0.0
    return (
        database,
        f"{share:.0%} ({burst.refused})",
        f"{flood:,}",
        str(burst.questions),
        str(burst.answered),
        f"{rate:,.1f}",
        f"{percentile(burst.latency_ms, 0.50):,.0f}" if burst.latency_ms else "-",
        f"{percentile(burst.latency_ms, 0.95):,.0f}" if burst.latency_ms else "-",
    )


def run(options: BenchOptions) -> Table:
    customers = QUICK_CUSTOMERS if options.quick else CUSTOMERS
    per_customer = QUICK_QUESTIONS if options.quick else QUESTIONS
    rows: list[tuple[str, ...]] = []
    notes = [
        f"{customers} customers x {per_customer} questions pushed at once over Socket Mode; "
        "latency: question pushed -> answer posted; 429s: share of sends refused (count); "
        "flood: messages one more customer sends meanwhile (not in the figures)"
    ]
    flood_size = QUICK_FLOOD if options.quick else FLOOD
    with _isolated():
        for database, scratch in DATABASES:
            try:
                for share, flood in ((0.0, 0), (REFUSED_SHARE, 0), (0.0, flood_size)):
                    burst = asyncio.run(_burst_on(scratch, customers, per_customer, share, flood))
                    rows.append(_row(database, share, flood, burst))
            except DatabaseUnavailable as unavailable:
                notes.append(f"skipped: {unavailable}")
    header = ("database", "429s", "flood", "questions", "answered", "answers/s", "p50 ms", "p95 ms")
    return Table(TITLE, header, tuple(rows), "\n".join(notes))
