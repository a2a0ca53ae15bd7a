"""The inbox and its workers, on a real SQLite file and a real PostgreSQL: events are
stored before receive() returns, handled once, one lane at a time in arrival order,
through crashes and database outages."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.contract import Action, Event, Inbound, NotStored, Sender
from bot.event_codec import lane_of
from bot.inbox_writer import InboxWriter
from bot.intake import GIVE_UP_AFTER, Intake
from bot.outage import Outage
from handoff import inbox
from handoff.models import InboxRow
from handoff.storage import make_engine, make_sessions, upgrade
from tests.fakes.tcp_forwarder import TcpForwarder

pytestmark = pytest.mark.asyncio


def message(chat: int, number: int, text: str = "hi") -> Inbound:
    return Inbound("slack", f"C{chat}", None, Sender(f"U{chat}", "Ann"), text, f"{chat}.{number}")


@dataclass
class Recorder:
    """A handler that remembers what it handled, per lane, and how many ran at once."""

    delay: float = 0.0
    handled: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    running: int = 0
    most_at_once: int = 0
    fail_on: set[str] = field(default_factory=set)

    async def __call__(self, conn: AsyncConnection, event: Event) -> list[int]:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.delay:
                await asyncio.sleep(random.uniform(0, self.delay))
            if isinstance(event, Inbound) and event.text in self.fail_on:
                raise ValueError("the flows cannot handle this one")
            self.handled[event.chat_id].append(event.message_id)
            return []
        finally:
            self.running -= 1


async def test_each_lane_in_arrival_order_lanes_in_parallel(
    engine: AsyncEngine, database_url: str
) -> None:
    recorder = Recorder(delay=0.01)
    intake = Intake(engine, recorder, concurrency=4, outage=Outage())

    async def customer(chat: int) -> None:  # each writes in order, all at once
        for number in range(5):
            await intake.receive(message(chat, number))

    await asyncio.gather(*(customer(chat) for chat in range(40)))
    await intake.idle()
    assert len(recorder.handled) == 40
    for chat in range(40):
        assert recorder.handled[f"C{chat}"] == [f"{chat}.{n}" for n in range(5)]
    assert recorder.most_at_once <= 4
    if "postgresql" in database_url:  # SQLite lets one write transaction run at a time
        assert recorder.most_at_once > 1


async def test_a_redelivered_event_is_handled_once(engine: AsyncEngine) -> None:
    recorder = Recorder()
    intake = Intake(engine, recorder, concurrency=2, outage=Outage())
    press = Action("slack", "C1", None, Sender("U1", "Ann"), "human", "", "m1", event_id="t1")
    for _ in range(3):
        await intake.receive(message(1, 1))
        await intake.receive(press)
        await intake.idle()
    assert recorder.handled["C1"] == ["1.1", "m1"]


async def test_rows_left_by_a_dead_process_are_handled_on_recovery(engine: AsyncEngine) -> None:
    # The process stored three events (and acknowledged them), then died before
    # handling any.
    writer = InboxWriter(engine, Outage())
    for number in range(3):
        event = message(7, number)
        assert await writer.store(event, lane_of(event), None) is not None

    recorder = Recorder()
    fresh = Intake(engine, recorder, concurrency=2, outage=Outage())
    assert await fresh.recover() == 1
    await asyncio.wait_for(fresh.idle(), 30)
    assert recorder.handled["C7"] == ["7.0", "7.1", "7.2"]
    async with engine.connect() as conn:
        assert (await inbox.counts(conn))["pending"] == 0


async def test_an_event_that_keeps_failing_is_parked_and_the_lane_moves_on(
    engine: AsyncEngine,
) -> None:
    recorder = Recorder(fail_on={"boom"})
    intake = Intake(engine, recorder, concurrency=2, outage=Outage())
    await intake.receive(message(3, 1, "boom"))
    await intake.receive(message(3, 2, "fine"))
    await intake.idle()
    assert recorder.handled["C3"] == ["3.2"]
    async with make_sessions(engine)() as session:
        counts = await inbox.counts(session)
        rows = await session.scalars(select(InboxRow))
        parked = [row for row in rows if row.status == "failed"]
    assert counts["failed"] == 1
    assert parked[0].attempts == GIVE_UP_AFTER
    assert parked[0].last_error == "ValueError: the flows cannot handle this one"


@pytest.mark.postgres
async def test_a_database_outage_is_a_wait_not_a_loss(postgres_url: str) -> None:
    url = make_url(postgres_url)
    forwarder = TcpForwarder(url.host or "127.0.0.1", url.port or 5432)
    await forwarder.start()
    engine = make_engine(forwarder.url_for(postgres_url))
    try:
        await upgrade(engine)
        recorder = Recorder()
        outage = Outage(settle=0.0)
        intake = Intake(engine, recorder, concurrency=2, outage=outage)
        await intake.receive(message(1, 0))
        await intake.idle()

        await forwarder.cut()
        with pytest.raises(NotStored):
            await intake.receive(message(1, 1), patience=0.3)
        assert outage.ongoing
        waiting = asyncio.create_task(intake.receive(message(1, 2)))
        await asyncio.sleep(0.5)
        assert not waiting.done()
        await forwarder.restore()
        await asyncio.wait_for(waiting, 10)
        await intake.receive(message(1, 1))  # the adapter's retry of the refused one
        await intake.idle()
        assert not outage.ongoing
        assert recorder.handled["C1"] == ["1.0", "1.2", "1.1"]
    finally:
        await engine.dispose()
        await forwarder.close()
