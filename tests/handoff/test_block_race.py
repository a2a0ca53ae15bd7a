"""Two agents block the same customer at the same moment, on SQLite and PostgreSQL: both
succeed (the later block replaces the earlier, nobody gets a unique-key error) and one
row is left per customer.

First with the overlap made certain: one agent's block is written and not committed yet
while the other's, on a connection of its own, waits for it. Then as test_claim_race
does for claims: bot processes of their own (multiprocessing "spawn"), each blocking
the same customers, released together for each one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import Counter
from datetime import datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from handoff import blocks
from handoff.models import Block
from handoff.storage import make_engine, make_sessions

NOW = datetime(2026, 11, 24, 9, 0)
PROCESSES = 2
CUSTOMERS = 20
JOIN_SECONDS = 120.0
# Long enough that a statement still running after it is waiting for a lock.
WAITING = 0.5


async def block_as(session: AsyncSession, agent: str, user_id: str) -> None:
    await blocks.block(
        session,
        platform="slack",
        user_id=user_id,
        display_name=None,
        until=NOW + timedelta(days=1),
        reason=f"blocked by {agent}",
        agent_id=agent,
        agent_name=agent,
        now=NOW,
    )


def second_connection(url: str) -> AsyncEngine:
    """Another writer beside the bot's. On SQLite another process's: a connection of its
    own to the file, waiting for the write lock in a worker thread (the bot's writer
    runs on the event loop and would hold it while it waits)."""
    if url.startswith("sqlite"):
        return create_async_engine(url, connect_args={"timeout": 30})
    return make_engine(url)


async def stored(url: str) -> list[tuple[str, str, str]]:
    """(user id, agent id, reason) of every block, by user id."""
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            rows = await session.execute(
                select(Block.user_id, Block.agent_id, Block.reason).order_by(Block.user_id)
            )
            return [(user_id, agent, reason) for user_id, agent, reason in rows.tuples()]
    finally:
        await engine.dispose()


async def test_a_block_waiting_on_an_uncommitted_one_replaces_it(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    other = second_connection(url)
    try:
        async with make_sessions(engine)() as first, first.begin():
            await block_as(first, "agent-alex", "U1")

            async def sam_blocks() -> None:
                async with make_sessions(other)() as second, second.begin():
                    await block_as(second, "agent-sam", "U1")

            sams = asyncio.create_task(sam_blocks())
            await asyncio.sleep(WAITING)
            waited = not sams.done()
        await sams
    finally:
        await other.dispose()
    async with make_sessions(engine)() as session:
        in_force = await blocks.in_force(session, NOW)
        rows = await session.scalar(select(func.count()).select_from(Block))

    assert waited  # the two really overlapped: Sam's block waited for Alex's
    assert rows == 1
    assert [(b.user_id, b.agent_id, b.reason) for b in in_force] == [
        ("U1", "agent-sam", "blocked by agent-sam")
    ]


def block_all(url: str, agent: str, start: Barrier, done: Queue[object]) -> None:
    """One bot process: blocks every customer, released with the others for each; puts
    (agent, customers blocked) on `done`, or (agent, the error) when a block failed (the
    others then stop at the broken barrier instead of waiting there)."""
    try:
        done.put((agent, asyncio.run(_block_all(url, agent, start))))
    except Exception as exc:
        start.abort()
        done.put((agent, repr(exc)))


async def _block_all(url: str, agent: str, start: Barrier) -> int:
    engine = make_engine(url)
    sessions = make_sessions(engine)
    blocked = 0
    try:
        for n in range(CUSTOMERS):
            await asyncio.to_thread(start.wait, JOIN_SECONDS)
            async with sessions() as session, session.begin():
                await block_as(session, agent, f"U{n:02}")
            blocked += 1
        return blocked
    finally:
        await engine.dispose()


async def test_processes_blocking_the_same_customers_at_once_all_succeed(
    engine: AsyncEngine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    done = context.Queue()
    agents = [f"agent-{n}" for n in range(PROCESSES)]
    workers = [
        context.Process(target=block_all, args=(url, agent, start, done), name=agent)
        for agent in agents
    ]
    for worker in workers:
        worker.start()
    try:
        reports = [await asyncio.to_thread(done.get, True, JOIN_SECONDS) for _ in workers]
    finally:
        for worker in workers:
            await asyncio.to_thread(worker.join, JOIN_SECONDS)
            if worker.is_alive():
                worker.terminate()
    rows = await stored(url)

    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    assert sorted(reports) == [(agent, CUSTOMERS) for agent in agents]
    assert [user_id for user_id, _, _ in rows] == [f"U{n:02}" for n in range(CUSTOMERS)]
    # Each row is one agent's whole block, never a mix of the two.
    assert all(reason == f"blocked by {agent}" for _, agent, reason in rows)
    assert set(Counter(agent for _, agent, _ in rows)) <= set(agents)
