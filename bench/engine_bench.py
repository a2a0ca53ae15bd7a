"""Messages per second through the whole engine, against the same work written
directly (bench/direct_sql.py), on SQLite and on PostgreSQL, in the same run.

A Runtime with a recording platform (no network) and the example FAQ; customers
write at the same time, each sending its next question once the engine has stored the
previous one, and ask the FAQ's English questions (those that ask for a person are left
out: they open tickets, and this section measures FAQ answers). The delivery worker runs
alongside as in production; the wall time runs until the outbox is drained, so msgs/s
counts messages handled and answered. Latency: from a customer's message to the reply
the recording platform got for it. CPU: `time.process_time` (every thread of this
process) over the same span, per message.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.direct_sql import Direct, run_direct
from bench.faq_latency import percentile
from bench.options import BenchOptions
from bench.scratch_db import DATABASES, DatabaseUnavailable, Scratch
from bench.table import Table
from bot.config import Config
from bot.contract import Sender
from bot.i18n import Templates
from bot.runtime import Runtime
from faq.loader import load_faq
from faq.normalize import normalize
from tests.fakes.recording_adapter import Person, RecordingAdapter

TITLE = "Engine throughput"
EXAMPLE_FAQ = Path(__file__).resolve().parent.parent / "examples" / "faq"
CUSTOMERS, MESSAGES = 20, 25  # messages per customer
QUICK_CUSTOMERS, QUICK_MESSAGES = 3, 4
DRAIN_SECONDS = 120.0


@dataclass(frozen=True)
class Load:
    messages: int
    replies: int
    drained: bool
    seconds: float
    cpu_seconds: float
    latency_ms: list[float]  # sorted; question -> its reply


def bench_config(url: str) -> Config:
    return Config.model_validate(
        {
            "database": {"url": url},
            "faq": {"path": str(EXAMPLE_FAQ)},
            "hours": {"always_open": True},
            "staff": {"platform": "test", "chat_id": "staff"},
            # 25 questions at once from one customer is a flood by the default limits;
            # this section measures throughput, the burst section measures a flood.
            "limits": {"messages": 1000},
        }
    )


def faq_questions() -> list[str]:
    """The example FAQ's English questions, but for those that ask for a person."""
    faq = load_faq(EXAMPLE_FAQ)
    asking = [f" {normalize(word)} " for word in Templates.load().words("human_keywords", "en")]
    return [
        question
        for entry in faq.entries
        for question in entry.questions.get("en", ())
        if not any(word in f" {normalize(question)} " for word in asking)
    ]


def _latencies(asked: dict[str, list[float]], platform: RecordingAdapter) -> list[float]:
    """Each chat's replies, in the order sent, paired with its questions in the order
    asked (one reply per FAQ question; the engine keeps a chat's order)."""
    replies: dict[str, list[float]] = defaultdict(list)
    for sent in platform.sent:
        if not sent.edited:
            replies[sent.ref.chat_id].append(sent.at)
    return sorted(
        (answered - question) * 1000.0
        for chat_id, questions in asked.items()
        for question, answered in zip(questions, replies[chat_id], strict=False)
    )


async def _serve(url: str, customers: int, per_customer: int) -> Load:
    questions = faq_questions()
    platform = RecordingAdapter(handled_before_return=False)
    runtime = Runtime(bench_config(url), [platform])
    asked: dict[str, list[float]] = defaultdict(list)

    async def customer(n: int) -> None:
        person = Person(platform, f"D{n}", Sender(f"U{n}", f"Customer {n}", "en"))
        for k in range(per_customer):
            asked[person.chat_id].append(time.perf_counter())
            await person.says(questions[(n * per_customer + k) % len(questions)])

    await runtime.start()
    try:
        cpu, began = time.process_time(), time.perf_counter()
        await asyncio.gather(*(customer(n) for n in range(customers)))
        drained = await runtime.settle(DRAIN_SECONDS)
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    finally:
        await runtime.stop()
    return Load(
        messages=customers * per_customer,
        replies=sum(not sent.edited for sent in platform.sent),
        drained=drained,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        latency_ms=_latencies(asked, platform),
    )


async def _both_on(scratch: Scratch, customers: int, per_customer: int) -> tuple[Load, Direct]:
    async with scratch() as url:
        load = await _serve(url, customers, per_customer)
    async with scratch() as url:
        direct = await run_direct(
            url, load_faq(EXAMPLE_FAQ), faq_questions(), customers, per_customer
        )
    return load, direct


def _row(database: str, load: Load, direct: Direct) -> tuple[str, ...]:
    engine_rate = load.messages / load.seconds
    direct_rate = direct.messages / direct.seconds
    return (
        database,
        f"{load.messages:,}",
        f"{load.replies:,}" + ("" if load.drained else " (not drained)"),
        f"{engine_rate:,.0f}",
        f"{direct_rate:,.0f}",
        f"{engine_rate / direct_rate:.1%}",
        f"{load.cpu_seconds * 1000.0 / load.messages:.2f}",
        f"{direct.cpu_seconds * 1000.0 / direct.messages:.2f}",
        f"{percentile(load.latency_ms, 0.50):,.0f}" if load.latency_ms else "-",
        f"{percentile(load.latency_ms, 0.99):,.0f}" if load.latency_ms else "-",
    )


def run(options: BenchOptions) -> Table:
    customers = QUICK_CUSTOMERS if options.quick else CUSTOMERS
    per_customer = QUICK_MESSAGES if options.quick else MESSAGES
    rows: list[tuple[str, ...]] = []
    notes = [
        f"{customers} customers writing at once, {per_customer} FAQ questions each; engine "
        "msgs/s until every reply is delivered; direct: the same work in plain SQL "
        "(bench/direct_sql.py: one rapidfuzz match, one transaction, then marked sent)",
        "engine/direct: engine msgs/s as a share of direct msgs/s; CPU: process time per "
        "message; p50/p99: a customer's message to its reply on the platform (engine)",
    ]
    for database, scratch in DATABASES:
        try:
            load, direct = asyncio.run(_both_on(scratch, customers, per_customer))
        except DatabaseUnavailable as unavailable:
            notes.append(f"skipped: {unavailable}")
            continue
        rows.append(_row(database, load, direct))
    header = (
        "database",
        "messages",
        "replies",
        "msgs/s",
        "direct msgs/s",
        "engine/direct",
        "CPU ms/msg",
        "direct CPU ms/msg",
        "p50 ms",
        "p99 ms",
    )
    return Table(TITLE, header, tuple(rows), "\n".join(notes))
