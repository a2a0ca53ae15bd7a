"""Ticket claims under contention: N processes race to claim every one of M tickets.

Each process is its own interpreter (multiprocessing "spawn") with its own connection
pool, as several bot processes would be. All start together at a barrier, then claim
every ticket in their own shuffled order, one transaction per claim
(handoff.tickets.claim). A claim that finds the database busy (SQLite's lock, held by
another process past the writer's short wait) is tried again after the bot's backoff, as
the bot's workers do (bot/outage.py); `retries` counts those. claims/s counts attempts,
won or lost, over the race's wall time. Every ticket must end with exactly one winner:
`double claims` counts tickets won twice or stored with another agent than the process
that won them (must be 0).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from sqlalchemy import select, text

from bench.faq_latency import percentile
from bench.options import BenchOptions
from bench.scratch_db import DATABASES, DatabaseUnavailable, Scratch
from bench.table import Table
from handoff.models import Ticket
from handoff.storage import make_engine, make_sessions
from tests.fakes.seed import seed_tickets
from tests.handoff.claim_worker import claim_each

TITLE = "Ticket claims under contention"
RUNS = ((1, 400), (8, 400))  # (processes, tickets)
QUICK_RUNS = ((2, 20),)
WAIT_SECONDS = 300.0

Report = tuple[str, list[int], list[float], int]  # agent, won, claim times in ms, retries


@dataclass(frozen=True)
class Race:
    processes: int
    tickets: int
    attempts: int
    winners: int
    double_claims: int
    retries: int
    seconds: float
    claim_ms: list[float]  # sorted


def claim_every_ticket(
    url: str, agent: str, ticket_ids: list[int], seed: int, start: Barrier, out: Queue[Report]
) -> None:
    """One racing process: claims every ticket in a shuffled order, reports to `out`."""
    order = list(ticket_ids)
    random.Random(seed).shuffle(order)
    out.put(asyncio.run(_claim_every_ticket(url, agent, order, start)))


async def _claim_every_ticket(url: str, agent: str, order: list[int], start: Barrier) -> Report:
    engine = make_engine(url)
    sessions = make_sessions(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        await asyncio.to_thread(start.wait, WAIT_SECONDS)
        claims = await claim_each(sessions, agent, order, now)
        return agent, claims.won, claims.times_ms, claims.retries
    finally:
        await engine.dispose()


async def _stored_agents(url: str) -> dict[int, str | None]:
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            rows = await session.execute(select(Ticket.id, Ticket.agent_id))
            return {ticket_id: agent for ticket_id, agent in rows}
    finally:
        await engine.dispose()


def _race(url: str, processes: int, ticket_ids: list[int]) -> tuple[float, list[Report]]:
    """Run the racing processes; the wall time starts when the barrier lets them go."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    out: Queue[Report] = context.Queue()
    workers = [
        context.Process(
            target=claim_every_ticket,
            args=(url, f"agent-{n}", ticket_ids, n, start, out),
            name=f"bench-claimer-{n}",
        )
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        start.wait(WAIT_SECONDS)
        began = time.perf_counter()
        reports = [out.get(timeout=WAIT_SECONDS) for _ in workers]
        seconds = time.perf_counter() - began
    finally:
        for worker in workers:
            worker.join(WAIT_SECONDS)
    return seconds, reports


async def _race_on(scratch: Scratch, processes: int, count: int) -> Race:
    async with scratch() as url:
        now = datetime.now(UTC).replace(tzinfo=None)
        ticket_ids = await seed_tickets(
            url, count, platform="slack", staff_chat_id="C-staff", now=now
        )
        seconds, reports = await asyncio.to_thread(_race, url, processes, ticket_ids)
        stored = await _stored_agents(url)
    wins = Counter(ticket_id for _, won, _, _ in reports for ticket_id in won)
    winner = {ticket_id: agent for agent, won, _, _ in reports for ticket_id in won}
    twice = sum(1 for n in wins.values() if n > 1)
    mismatched = sum(
        1 for ticket_id in ticket_ids if stored.get(ticket_id) != winner.get(ticket_id)
    )
    return Race(
        processes=processes,
        tickets=count,
        attempts=sum(len(times) for _, _, times, _ in reports),
        winners=len(wins),
        double_claims=twice + mismatched,
        retries=sum(retries for _, _, _, retries in reports),
        seconds=seconds,
        claim_ms=sorted(ms for _, _, times, _ in reports for ms in times),
    )


def _row(database: str, race: Race) -> tuple[str, ...]:
    return (
        database,
        str(race.processes),
        str(race.tickets),
        f"{race.attempts:,}",
        str(race.winners),
        str(race.double_claims),
        f"{race.retries:,}",
        f"{race.attempts / race.seconds:,.0f}",
        f"{percentile(race.claim_ms, 0.50):.2f}",
        f"{percentile(race.claim_ms, 0.99):.2f}",
    )


def run(options: BenchOptions) -> Table:
    runs = QUICK_RUNS if options.quick else RUNS
    rows: list[tuple[str, ...]] = []
    notes = [
        "each process claims every ticket (shuffled), one transaction per claim; "
        "claims/s = attempts / wall time; p50/p99: one claim, its retries included"
    ]
    for database, scratch in DATABASES:
        try:
            rows.extend(
                _row(database, asyncio.run(_race_on(scratch, processes, count)))
                for processes, count in runs
            )
        except DatabaseUnavailable as unavailable:
            notes.append(f"skipped: {unavailable}")
    header = (
        "database",
        "processes",
        "tickets",
        "attempts",
        "winners",
        "double claims",
        "retries",
        "claims/s",
        "p50 ms",
        "p99 ms",
    )
    return Table(TITLE, header, tuple(rows), "\n".join(notes))
