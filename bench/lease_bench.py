"""What one lease pass of the delivery worker costs, by backlog size and shape.

Two passes, as the worker runs them (bot/delivery.py), on the database's clock. "scan":
the pass that polls the outbox (`Delivery._scan`): lease up to 32 rows, then set aside
the rows found waiting behind their lane's head. "by id": a row just committed and
handed over (`Delivery.committed`) is leased by its id, or set aside when an earlier
row of its lane is pending. Each pass is rolled back, so every pass sees the same
backlog; its time is the worker's statements. Shapes: every row in a lane of its own
(all due); every row in ONE lane whose head is being sent (the rest must wait); every
row backing off (leased once, failed, due in an hour). The backlog is inserted in one
statement per 5,000 rows and sorted into its lanes by `outbox.hold_back`, as the worker
does with the rows handed to it; then PostgreSQL's table is vacuumed and its statistics
refreshed (VACUUM ANALYZE, as autovacuum does within a minute of such a change: until
then, a pass also steps over the index entries the rows left behind as they were set
aside, one per row of the backlog).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.options import BenchOptions
from bench.scratch_db import DATABASES, DatabaseUnavailable, Scratch
from bench.table import Table as Report
from handoff import outbox
from handoff.outbox import TABLE
from handoff.states import OutboxStatus, OutboxTarget
from handoff.storage import make_engine

TITLE = "Outbox lease pass"
SIZES = (100, 50_000)
QUICK_SIZES = (100, 2_000)
PASSES, QUICK_PASSES = 15, 3
LIMIT = 32  # the worker's concurrency
LEASE_SECONDS = 10.0
CHUNK = 5_000  # rows per insert / hold_back call while building a backlog

Rows = Callable[[int, datetime], list[dict[str, Any]]]
Pass = Callable[[AsyncConnection, str], Awaitable[float]]


def _row(n: int, lane: str, now: datetime, **changes: Any) -> dict[str, Any]:
    return {
        "target": OutboxTarget.ADDRESS,
        "platform": "bench",
        "chat_id": lane,
        "thread_id": None,
        "ticket_id": None,
        "lane": outbox.lane_of(OutboxTarget.ADDRESS, "bench", lane, None, None),
        "payload": {"text": [[f"answer {n}", "plain"]], "buttons": []},
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "in_doubt": False,
        "due_at": None,
        "created_at": now,
        **changes,
    }


def many_lanes(size: int, now: datetime) -> list[dict[str, Any]]:
    return [_row(n, f"chat-{n}", now) for n in range(size)]


def one_lane(size: int, now: datetime) -> list[dict[str, Any]]:
    return [_row(n, "busy", now) for n in range(size)]


def backing_off(size: int, now: datetime) -> list[dict[str, Any]]:
    """As `outbox.mark_failed` leaves rows: attempted once, due in an hour."""
    later = now + timedelta(hours=1)
    return [
        _row(n, f"chat-{n}", now, attempts=1, due_at=later, ready_at=later) for n in range(size)
    ]


# name, backlog, the chat of the row handed over in a "by id" pass
Shape = tuple[str, Rows, str]
SHAPES: tuple[Shape, ...] = (
    ("many lanes, 1 row each", many_lanes, "a-new-chat"),  # its lane's head: leased
    ("one lane, head in flight", one_lane, "busy"),  # behind 100 or 50,000: set aside
    ("backing off", backing_off, "chat-0"),  # behind a row backing off: set aside
)


async def fill_backlog(url: str, rows: Rows, size: int) -> None:
    """Insert the backlog, lease the oldest row (in flight for an hour: the one-lane shape's
    head), then sort the rest into their lanes."""
    engine = make_engine(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        ids: list[int] = []
        values = rows(size, now)
        for start in range(0, size, CHUNK):
            async with engine.begin() as connection:
                result = await connection.execute(
                    insert(TABLE).returning(TABLE.c.id, sort_by_parameter_order=True),
                    values[start : start + CHUNK],
                )
                ids.extend(result.scalars())
        async with engine.begin() as connection:
            await outbox.lease_due(connection, "in-flight", None, 3600.0, 1)
        for start in range(0, size, CHUNK):
            async with engine.begin() as connection:
                await outbox.hold_back(connection, None, ids[start : start + CHUNK])
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                # As autovacuum would soon; VACUUM runs outside a transaction.
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE outbox"))
    finally:
        await engine.dispose()


async def scan(connection: AsyncConnection, _chat: str) -> float:
    began = time.perf_counter()
    rows = await outbox.lease_due(connection, "bench", None, LEASE_SECONDS, LIMIT)
    if len(rows) < LIMIT:
        await outbox.hold_back(connection, None)
    return _since(began)


async def by_id(connection: AsyncConnection, chat: str) -> float:
    """A row written to `chat` (not timed), then handed over."""
    written = await connection.execute(
        insert(TABLE).returning(TABLE.c.id), [_row(0, chat, datetime(2026, 1, 1))]
    )
    new = written.scalar_one()
    began = time.perf_counter()
    if not await outbox.lease_rows(connection, "bench", [new], None, LEASE_SECONDS):
        await outbox.hold_back(connection, None, [new])
    return _since(began)


def _since(began: float) -> float:
    return (time.perf_counter() - began) * 1000.0


KINDS: tuple[tuple[str, Pass], ...] = (("scan", scan), ("by id", by_id))


async def _pass(engine: AsyncEngine, chat: str, kind: Pass) -> float:
    """One pass on a connection, as the worker runs it, rolled back; the milliseconds of
    the worker's statements."""
    async with engine.connect() as connection, connection.begin() as transaction:
        took = await kind(connection, chat)
        await transaction.rollback()
    return took


async def _measure(
    scratch: Scratch, shape: Shape, sizes: Sequence[int], passes: int
) -> dict[str, list[float]]:
    """The median pass of each kind and size. Kinds and sizes take turns, pass by pass, so
    a busy moment of the machine falls on all of them alike; the first round (a cold
    cache) is left out."""
    _, build, chat = shape
    async with contextlib.AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(scratch()) for _ in sizes]
        for url, size in zip(urls, sizes, strict=True):
            await fill_backlog(url, build, size)
        engines = [make_engine(url) for url in urls]
        for engine in engines:
            stack.push_async_callback(engine.dispose)
        times: dict[str, list[list[float]]] = {name: [[] for _ in sizes] for name, _ in KINDS}
        for _ in range(passes + 1):
            for name, kind in KINDS:
                for taken, engine in zip(times[name], engines, strict=True):
                    taken.append(await _pass(engine, chat, kind))
        for engine in engines:
            async with engine.connect() as connection:
                pending = await connection.scalar(
                    select(TABLE.c.id).where(TABLE.c.status == OutboxStatus.PENDING).limit(1)
                )
            assert pending is not None, "the backlog is gone"
        return {
            name: [statistics.median(taken[1:]) for taken in by_size]
            for name, by_size in times.items()
        }


def _ratio(times: Sequence[float]) -> str:
    return f"{times[-1] / times[0]:.2f}"


def run(options: BenchOptions) -> Report:
    sizes = QUICK_SIZES if options.quick else SIZES
    passes = QUICK_PASSES if options.quick else PASSES
    rows: list[tuple[str, ...]] = []
    notes = [
        f"median of {passes} passes (after one warm-up; kinds and sizes take turns); "
        f"scan: lease up to {LIMIT} rows; by id: one new row; rolled back; "
        "ratio: largest backlog / smallest"
    ]
    for database, scratch in DATABASES:
        try:
            for shape in SHAPES:
                measured = asyncio.run(_measure(scratch, shape, sizes, passes))
                for kind, times in measured.items():
                    cells = tuple(f"{ms:.2f}" for ms in times)
                    rows.append((database, shape[0], kind, *cells, _ratio(times)))
        except DatabaseUnavailable as unavailable:
            notes.append(f"skipped: {unavailable}")
    header = ("database", "backlog", "pass", *(f"{size:,} rows ms" for size in sizes), "ratio")
    return Report(TITLE, header, tuple(rows), "\n".join(notes))
