"""Claim exactly once: many agents, in many processes, race for every ticket.

Each process is a real interpreter with its own connection pool (multiprocessing
"spawn"), as several bot processes would be; on SQLite they share one WAL file.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
from collections import Counter

from sqlalchemy import select

from handoff.models import Conversation, Ticket
from handoff.storage import make_engine, make_sessions, upgrade
from tests.fakes.seed import seed_tickets
from tests.handoff.claim_worker import CLAIMED_AT, claim_all, claim_each

PROCESSES = 8
TICKETS = 40
JOIN_SECONDS = 120.0


async def prepare(url: str) -> list[int]:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return await seed_tickets(
        url, TICKETS, platform="discord", staff_chat_id="staff", now=CLAIMED_AT
    )


async def claimed(url: str) -> dict[int, tuple[str, str | None, str]]:
    """ticket id -> (status, agent id, conversation state), as stored."""
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            rows = await session.execute(
                select(Ticket.id, Ticket.status, Ticket.agent_id, Conversation.state).join(
                    Conversation, Conversation.id == Ticket.conversation_id
                )
            )
            return {ticket_id: (status, agent, state) for ticket_id, status, agent, state in rows}
    finally:
        await engine.dispose()


def assert_one_winner_each(
    ticket_ids: list[int],
    wins: dict[str, list[int]],
    stored: dict[int, tuple[str, str | None, str]],
) -> None:
    winners = Counter(ticket_id for won in wins.values() for ticket_id in won)
    assert sorted(winners) == sorted(ticket_ids)
    assert [t for t, n in winners.items() if n > 1] == []  # no double claims
    winner_of = {ticket_id: agent for agent, won in wins.items() for ticket_id in won}
    assert stored == {t: ("claimed", winner_of[t], "agent") for t in ticket_ids}


async def test_processes_racing_for_every_ticket_each_win_it_once(database_url: str) -> None:
    ticket_ids = await prepare(database_url)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(
            target=claim_all,
            args=(database_url, f"agent-{n}", ticket_ids, n, start, results),
            name=f"claimer-{n}",
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        reports = [
            await asyncio.to_thread(results.get, True, JOIN_SECONDS) for _ in range(PROCESSES)
        ]
    finally:
        for worker in workers:
            await asyncio.to_thread(worker.join, JOIN_SECONDS)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES

    wins = {agent: won for agent, _, won in reports}
    assert sorted(wins) == sorted(f"agent-{n}" for n in range(PROCESSES))
    assert [attempts for _, attempts, _ in reports] == [TICKETS] * PROCESSES
    assert_one_winner_each(ticket_ids, wins, await claimed(database_url))


async def test_concurrent_sessions_in_one_process_each_win_a_ticket_once(
    database_url: str,
) -> None:
    ticket_ids = await prepare(database_url)
    engine = make_engine(database_url)
    sessions = make_sessions(engine)
    agents = [f"agent-{n}" for n in range(16)]
    go = asyncio.Event()

    async def agent_claims(agent: str, seed: int) -> list[int]:
        order = list(ticket_ids)
        random.Random(seed).shuffle(order)
        await go.wait()
        return (await claim_each(sessions, agent, order)).won

    try:
        racing = [
            asyncio.create_task(agent_claims(agent, seed)) for seed, agent in enumerate(agents)
        ]
        go.set()
        wins = dict(zip(agents, await asyncio.gather(*racing), strict=True))
    finally:
        await engine.dispose()

    assert_one_winner_each(ticket_ids, wins, await claimed(database_url))
