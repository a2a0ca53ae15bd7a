"""Messages per second through the whole engine, on SQLite and on PostgreSQL.

A Runtime with a recording platform (no network) and the example FAQ; customers
write at the same time, each waiting for its previous message to be handled, and
ask the FAQ's English questions. The delivery worker runs alongside as in
production; the wall time runs until the outbox is drained, so msgs/s counts
messages handled and answered. p50/p99 are one `receive()` call (storing the event).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from bench.faq_latency import percentile
from bench.options import BenchOptions
from bench.scratch_db import DATABASES, DatabaseUnavailable, Scratch
from bench.table import Table
from bot.config import Config
from bot.contract import Sender
from bot.runtime import Runtime
from faq.loader import load_faq
from tests.fakes.recording_adapter import Person, RecordingAdapter

TITLE = "Engine throughput"
EXAMPLE_FAQ = Path(__file__).resolve().parent.parent / "examples" / "faq"
CUSTOMERS, MESSAGES = 20, 25  # messages per customer
QUICK_CUSTOMERS, QUICK_MESSAGES = 3, 4
DRAIN_SECONDS = 120.0


@dataclass(frozen=True)
class Load:
    customers: int
    messages: int  # in all
    replies: int
    drained: bool
    seconds: float
    handle_ms: list[float]  # sorted


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
    faq = load_faq(EXAMPLE_FAQ)
    return [question for entry in faq.entries for question in entry.questions.get("en", ())]


async def _serve(url: str, customers: int, per_customer: int) -> Load:
    questions = faq_questions()
    platform = RecordingAdapter(handled_before_return=False)
    runtime = Runtime(bench_config(url), [platform])
    handle_ms: list[float] = []

    async def customer(n: int) -> None:
        person = Person(platform, f"D{n}", Sender(f"U{n}", f"Customer {n}", "en"))
        for k in range(per_customer):
            question = questions[(n * per_customer + k) % len(questions)]
            began = time.perf_counter()
            await person.says(question)
            handle_ms.append((time.perf_counter() - began) * 1000.0)

    await runtime.start()
    try:
        began = time.perf_counter()
        await asyncio.gather(*(customer(n) for n in range(customers)))
        drained = await runtime.settle(DRAIN_SECONDS)
        seconds = time.perf_counter() - began
    finally:
        await runtime.stop()
    return Load(
        customers=customers,
        messages=customers * per_customer,
        replies=len(platform.sent),
        drained=drained,
        seconds=seconds,
        handle_ms=sorted(handle_ms),
    )


async def _serve_on(scratch: Scratch, customers: int, per_customer: int) -> Load:
    async with scratch() as url:
        return await _serve(url, customers, per_customer)


def _row(database: str, load: Load) -> tuple[str, ...]:
    return (
        database,
        str(load.customers),
        f"{load.messages:,}",
        f"{load.replies:,}" + ("" if load.drained else " (not drained)"),
        f"{load.messages / load.seconds:,.0f}",
        f"{percentile(load.handle_ms, 0.50):.2f}",
        f"{percentile(load.handle_ms, 0.99):.2f}",
    )


def run(options: BenchOptions) -> Table:
    customers = QUICK_CUSTOMERS if options.quick else CUSTOMERS
    per_customer = QUICK_MESSAGES if options.quick else MESSAGES
    rows: list[tuple[str, ...]] = []
    notes = [
        f"{customers} customers writing at once, {per_customer} FAQ questions each; "
        "msgs/s until every reply is delivered; "
        "p50/p99: one receive() call (the event stored; handling runs behind it)"
    ]
    for database, scratch in DATABASES:
        try:
            rows.append(_row(database, asyncio.run(_serve_on(scratch, customers, per_customer))))
        except DatabaseUnavailable as unavailable:
            notes.append(f"skipped: {unavailable}")
    header = ("database", "customers", "messages", "replies", "msgs/s", "p50 ms", "p99 ms")
    return Table(TITLE, header, tuple(rows), "\n".join(notes))
