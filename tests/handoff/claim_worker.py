"""One bot process racing for tickets: the child side of test_claim_race.

`claim_all` runs in a process of its own (multiprocessing "spawn"): it connects,
waits at the barrier so every process starts together, then tries to claim every
ticket in its own shuffled order, each claim its own transaction, and reports the
tickets it won.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outage import Backoff, is_outage
from handoff import tickets
from handoff.storage import make_engine, make_sessions

CLAIMED_AT = datetime(2026, 3, 2, 10, 30)


def claim_all(
    url: str, agent: str, ticket_ids: list[int], seed: int, start: Barrier, wins: Queue[object]
) -> None:
    """Claim every ticket; puts (agent, attempts, won ticket ids) on `wins`."""
    order = list(ticket_ids)
    random.Random(seed).shuffle(order)
    won = asyncio.run(_claim_all(url, agent, order, start))
    wins.put((agent, len(order), won))


async def _claim_all(url: str, agent: str, order: list[int], start: Barrier) -> list[int]:
    engine = make_engine(url)
    sessions = make_sessions(engine)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        await asyncio.to_thread(start.wait)
        return (await claim_each(sessions, agent, order)).won
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Claims:
    """What one claimer did: the tickets it won, each attempt's time in ms (retries
    included), and how often a busy or unreachable database had it try again."""

    won: list[int]
    times_ms: list[float]
    retries: int


async def claim_each(
    sessions: async_sessionmaker[AsyncSession],
    agent: str,
    order: list[int],
    now: datetime = CLAIMED_AT,
) -> Claims:
    """Try to claim each ticket in `order`, one transaction each. A claim that meets an
    outage (on SQLite, another process holding the write lock past the writer's short
    wait) is tried again after a backoff, as the bot handles a press again."""
    won: list[int] = []
    times: list[float] = []
    retries = 0
    for ticket_id in order:
        began = time.perf_counter()
        backoff = Backoff()
        while True:
            try:
                async with sessions() as session, session.begin():
                    if await tickets.claim(session, ticket_id, agent, agent, now):
                        won.append(ticket_id)
                break
            except Exception as exc:
                if not is_outage(exc):
                    raise
                retries += 1
                await backoff.wait()
        times.append((time.perf_counter() - began) * 1000.0)
    return Claims(won, times, retries)
