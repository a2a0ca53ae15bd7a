"""A double click on "Talk to a person", or twenty requests at once, in one process or
two, opens exactly one ticket and posts one card (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.contract import Action, Inbound, Sender
from bot.flows.actions import ActionId
from bot.runtime import Runtime
from handoff.models import Ticket
from tests.bot.conversation_kit import CUSTOMER_CHAT, make_config, running_bot
from tests.fakes.recording_adapter import RecordingAdapter

DANA = Sender("cust-1", "Dana", "en")


def request(number: int) -> Inbound:
    return Inbound("test", CUSTOMER_CHAT, None, DANA, "I want to talk to a human", f"r{number}")


def click(number: int) -> Action:
    return Action(
        "test", CUSTOMER_CHAT, None, DANA, ActionId.HUMAN, "", "m1", event_id=f"click{number}"
    )


async def tickets_in(runtime: Runtime) -> list[Ticket]:
    async with runtime._sessions() as session:
        return list(await session.scalars(select(Ticket)))


async def test_twenty_requests_at_once_open_one_ticket(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        events = [request(n) for n in range(10)] + [click(n) for n in range(10)]
        await asyncio.gather(*(bot.runtime.core.receive(event) for event in events))
        await bot.settle()

        assert len(await tickets_in(bot.runtime)) == 1
        assert len([s for s in bot.staff_room() if s.out.open_thread]) == 1
        notices = [s.text for s in bot.to_customer()]
        assert sum("passed your request" in text for text in notices) == 1
        # The other requests are relayed to the ticket's thread or answered "already queued".
        assert all("ticket #1" in text for text in notices)


async def test_two_processes_racing_open_one_ticket(database_url: str) -> None:
    """Two runtimes on one database stand for two bot processes behind a load balancer."""
    first, second = RecordingAdapter(), RecordingAdapter()
    config = make_config(database_url)
    one, two = Runtime(config, [first]), Runtime(config, [second])
    await one.start(deliver=False)
    await two.start(deliver=False)
    try:
        await asyncio.gather(
            *(one.core.receive(request(n)) for n in range(0, 20, 2)),
            *(two.core.receive(request(n)) for n in range(1, 20, 2)),
        )
        assert await one.settle(10.0) and await two.settle(10.0)
        assert len(await tickets_in(one)) == 1
        cards = [s for s in first.sent + second.sent if s.out.open_thread]
        assert len(cards) == 1
    finally:
        await one.stop()
        await two.stop()
