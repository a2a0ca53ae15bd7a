"""The delivery worker on its own: outbox rows in a real database, a recording platform.

Every test runs on SQLite and on PostgreSQL. The worker's clock is a fixed moment the
test moves by hand, so backoffs and leases expire exactly when the test says.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import delivery as delivery_module
from bot.contract import DeliveryError, Outbound, SentRef, plain
from bot.delivery import Delivery
from bot.outbox_codec import encode
from handoff import outbox
from handoff.outbox import OutboxRecord
from handoff.states import OutboxStatus, OutboxTarget
from tests.fakes.recording_adapter import RecordingAdapter

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
# Long enough that a blocked send never hits it by accident.
SAFETY_SECONDS = 30.0
# Rows to two chats, as they are written: each chat's rows must go out in this order.
ORDERED = [("c1", "one"), ("c1", "two"), ("c2", "elsewhere"), ("c1", "three")]


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class GatedAdapter(RecordingAdapter):
    """Sends to a chat in `held` wait until the test opens that chat's gate."""

    held: dict[str, asyncio.Event] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)

    async def send(self, out: Outbound) -> SentRef:
        self.started.append(out.to.chat_id)
        gate = self.held.get(out.to.chat_id)
        if gate is not None:
            await gate.wait()
        return await super().send(out)


async def enqueue(engine: AsyncEngine, clock: Clock, chat_id: str, text: str) -> int:
    """A reply written as the intake writes it (`outbox.write`); its id."""
    row = outbox.new_row(
        target=OutboxTarget.ADDRESS,
        platform="test",
        chat_id=chat_id,
        payload=encode(plain(text)),
        now=clock.now.replace(tzinfo=None),
    )
    async with engine.begin() as conn:
        [row_id] = await outbox.write(conn, [row])
    return row_id


async def rows(engine: AsyncEngine) -> list[Row[Any]]:
    async with engine.connect() as conn:
        return list(await conn.execute(select(outbox.TABLE).order_by(outbox.TABLE.c.id)))


async def until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), SAFETY_SECONDS)


def worker(engine: AsyncEngine, adapter: RecordingAdapter, clock: Clock) -> Delivery:
    return Delivery(engine, {adapter.platform: adapter}, clock=clock, lease_seconds=60.0)


async def test_a_due_row_is_leased_sent_and_marked_sent(engine: AsyncEngine) -> None:
    clock, adapter = Clock(), RecordingAdapter()
    row_id = await enqueue(engine, clock, "c1", "hello")
    delivery = worker(engine, adapter, clock)

    assert await delivery.deliver_once() == 1
    assert await delivery.deliver_once() == 0

    [sent] = adapter.sent
    assert (sent.text, sent.out.to.chat_id, sent.out.key) == ("hello", "c1", f"sb{row_id}")
    assert sent.out.maybe_sent is False
    [row] = await rows(engine)
    assert row.status == OutboxStatus.SENT
    assert row.sent_message_id == sent.ref.message_id
    assert (row.lease_owner, row.lease_until, row.attempts) == (None, None, 0)


async def test_a_leased_row_is_not_taken_by_a_second_worker(engine: AsyncEngine) -> None:
    clock, adapter = Clock(), GatedAdapter()
    adapter.held["c1"] = asyncio.Event()
    await enqueue(engine, clock, "c1", "only once")
    first = worker(engine, adapter, clock)
    second = worker(engine, adapter, clock)

    sending = asyncio.create_task(first.deliver_once())
    await until(lambda: bool(adapter.started))
    taken_by_second = await second.deliver_once()
    adapter.held["c1"].set()
    await asyncio.wait_for(sending, SAFETY_SECONDS)

    assert taken_by_second == 0
    assert adapter.started == ["c1"]
    assert [r.status for r in await rows(engine)] == [OutboxStatus.SENT]


async def test_a_rate_limited_row_waits_for_retry_after_then_goes(engine: AsyncEngine) -> None:
    clock, adapter = Clock(), RecordingAdapter()
    adapter.failures.append(DeliveryError("429", retry_after=30.0))
    await enqueue(engine, clock, "c1", "patience")
    delivery = worker(engine, adapter, clock)

    assert await delivery.deliver_once() == 1
    [row] = await rows(engine)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.PENDING, 1, "429")
    assert row.due_at == (clock.now + timedelta(seconds=30)).replace(tzinfo=None)

    clock.advance(29)
    assert await delivery.deliver_once() == 0
    clock.advance(2)
    assert await delivery.deliver_once() == 1

    assert [s.text for s in adapter.sent] == ["patience"]
    assert [r.status for r in await rows(engine)] == [OutboxStatus.SENT]


async def test_a_permanent_failure_parks_the_row(engine: AsyncEngine) -> None:
    clock, adapter = Clock(), RecordingAdapter()
    adapter.failures.append(DeliveryError("bot was blocked", permanent=True))
    await enqueue(engine, clock, "c1", "blocked")
    delivery = worker(engine, adapter, clock)

    assert await delivery.deliver_once() == 1
    clock.advance(3600)
    assert await delivery.deliver_once() == 0

    [row] = await rows(engine)
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.PARKED,
        1,
        "bot was blocked",
    )
    assert adapter.sent == []


async def test_a_row_for_a_platform_not_running_is_parked(engine: AsyncEngine) -> None:
    clock = Clock()
    await enqueue(engine, clock, "c1", "nowhere")
    delivery = Delivery(engine, {}, clock=clock)

    assert await delivery.deliver_once() == 1

    [row] = await rows(engine)
    assert row.status == OutboxStatus.PARKED
    assert row.last_error == "no test adapter is running"


async def test_a_send_that_may_have_arrived_is_resent_flagged(engine: AsyncEngine) -> None:
    clock, adapter = Clock(), RecordingAdapter()
    adapter.failures.append(DeliveryError("timed out", maybe_sent=True))
    await enqueue(engine, clock, "c1", "did it arrive?")
    delivery = Delivery(engine, {"test": adapter}, clock=clock, retry_seconds=1.0)

    assert await delivery.deliver_once() == 1
    [row] = await rows(engine)
    assert (row.status, row.in_doubt) == (OutboxStatus.PENDING, True)
    clock.advance(1)
    assert await delivery.deliver_once() == 1

    [sent] = adapter.sent
    assert sent.out.maybe_sent is True
    [row] = await rows(engine)
    assert (row.status, row.in_doubt) == (OutboxStatus.SENT, False)


async def test_a_row_whose_worker_died_is_retaken_in_doubt(engine: AsyncEngine) -> None:
    clock, adapter = Clock(), RecordingAdapter()
    await enqueue(engine, clock, "c1", "orphan")
    async with engine.begin() as conn:
        # A worker leases the row for 60 s, then dies before marking it.
        [leased] = await outbox.lease_due(
            conn, "dead-worker", clock.now.replace(tzinfo=None), 60.0, 10
        )
    assert leased.in_doubt is False
    delivery = worker(engine, adapter, clock)

    assert await delivery.deliver_once() == 0
    clock.advance(61)
    assert await delivery.deliver_once() == 1

    [sent] = adapter.sent
    assert (sent.text, sent.out.maybe_sent) == ("orphan", True)


async def test_two_destinations_are_sent_at_the_same_time(engine: AsyncEngine) -> None:
    """A send to c1 that waits for c2's send can only finish if both run at once."""
    clock, adapter = Clock(), GatedAdapter()
    adapter.held["c1"] = asyncio.Event()
    await enqueue(engine, clock, "c1", "slow chat")
    await enqueue(engine, clock, "c2", "other chat")
    delivery = worker(engine, adapter, clock)

    sending = asyncio.create_task(delivery.deliver_once())
    await until(lambda: bool(adapter.sent))
    sent_while_c1_waits = [s.text for s in adapter.sent]
    adapter.held["c1"].set()
    attempted = await asyncio.wait_for(sending, SAFETY_SECONDS)

    assert attempted == 2
    assert adapter.started == ["c1", "c2"]
    assert sent_while_c1_waits == ["other chat"]
    assert [s.text for s in adapter.sent] == ["other chat", "slow chat"]


async def test_one_destination_goes_out_in_order_even_after_a_failure(
    engine: AsyncEngine,
) -> None:
    clock, adapter = Clock(), RecordingAdapter()
    adapter.failures.append(DeliveryError("429", retry_after=10.0))
    for text in ("one", "two", "three"):
        await enqueue(engine, clock, "c1", text)
    delivery = worker(engine, adapter, clock)

    assert await delivery.deliver_once() == 1  # "one" fails and waits 10 s
    assert await delivery.deliver_once() == 0  # "two" is due, but waits behind "one"
    clock.advance(11)
    while await delivery.deliver_once():
        pass

    assert [s.text for s in adapter.sent] == ["one", "two", "three"]
    assert [r.status for r in await rows(engine)] == [OutboxStatus.SENT] * 3


# --- the continuous worker, on the database's clock ------------------------------------


@contextlib.asynccontextmanager
async def running(*deliveries: Delivery) -> AsyncIterator[None]:
    """Run workers in the background (`Delivery.run`), cancelled on the way out."""
    tasks = [asyncio.create_task(d.run()) for d in deliveries]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def until_sent(engine: AsyncEngine, count: int) -> None:
    """Wait until `count` rows are marked sent (a send is recorded before its mark)."""

    async def poll() -> None:
        while [r.status for r in await rows(engine)].count(OutboxStatus.SENT) < count:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), SAFETY_SECONDS)


async def lease_until(engine: AsyncEngine) -> datetime | None:
    [row] = await rows(engine)
    until: datetime | None = row.lease_until
    return until


async def test_a_blocked_destination_never_holds_back_rows_to_others(engine: AsyncEngine) -> None:
    """A send that never returns (a platform sleeping out a long Retry-After) must not
    delay rows to other chats, including rows decided while it hangs."""
    clock, adapter = Clock(), GatedAdapter()
    adapter.held["staff"] = asyncio.Event()
    delivery = Delivery(engine, {adapter.platform: adapter})
    chats = [f"c{n}" for n in range(5)]

    async with running(delivery):
        await enqueue(engine, clock, "staff", "card 1")
        await enqueue(engine, clock, "staff", "card 2")
        delivery.wake()
        await until(lambda: adapter.started == ["staff"])
        for n in range(20):
            await enqueue(engine, clock, chats[n % 5], f"answer {n}")
            delivery.wake()
        await until(lambda: len(adapter.sent) == 20)
        sent_while_blocked = list(adapter.sent)
        adapter.held["staff"].set()
        await until_sent(engine, 22)

    assert sorted(s.text for s in sent_while_blocked) == sorted(f"answer {n}" for n in range(20))
    for n, chat in enumerate(chats):
        in_chat = [s.text for s in sent_while_blocked if s.out.to.chat_id == chat]
        assert in_chat == [f"answer {i}" for i in range(n, 20, 5)]
    assert adapter.started.count("staff") == 2  # "card 2" waited for "card 1"
    assert [s.text for s in adapter.sent[20:]] == ["card 1", "card 2"]
    assert [r.status for r in await rows(engine)] == [OutboxStatus.SENT] * 22


async def test_a_dead_workers_row_is_retried_within_one_short_lease(engine: AsyncEngine) -> None:
    clock, hanging = Clock(), GatedAdapter()
    hanging.held["c1"] = asyncio.Event()
    await enqueue(engine, clock, "c1", "orphan")
    dead = Delivery(engine, {hanging.platform: hanging}, lease_seconds=1.0)
    async with running(dead):
        await until(lambda: hanging.started == ["c1"])
    # The worker is gone mid-send, without marking the row (its heartbeat stopped too).
    assert await lease_until(engine) is not None

    survivor = RecordingAdapter()
    async with running(Delivery(engine, {survivor.platform: survivor}, lease_seconds=1.0)):
        await until_sent(engine, 1)

    [sent] = survivor.sent
    assert (sent.text, sent.out.maybe_sent) == ("orphan", True)
    assert [r.status for r in await rows(engine)] == [OutboxStatus.SENT]
    assert hanging.sent == []


async def test_a_live_worker_keeps_its_row_however_long_the_send_takes(
    engine: AsyncEngine,
) -> None:
    """The heartbeat renews the short lease, so a second worker never takes the row over."""
    clock, adapter = Clock(), GatedAdapter()
    adapter.held["c1"] = asyncio.Event()
    await enqueue(engine, clock, "c1", "slow but alive")
    workers = [Delivery(engine, {adapter.platform: adapter}, lease_seconds=1.5) for _ in "ab"]

    async with running(*workers):
        await until(lambda: adapter.started == ["c1"])
        first = await lease_until(engine)
        assert first is not None
        renewed = first

        async def three_leases_later() -> None:
            nonlocal renewed
            while (renewed - first).total_seconds() < 4.5:
                await asyncio.sleep(0.1)
                renewed = await lease_until(engine) or renewed

        await asyncio.wait_for(three_leases_later(), SAFETY_SECONDS)
        adapter.held["c1"].set()
        await until_sent(engine, 1)

    assert adapter.started == ["c1"]
    [sent] = adapter.sent
    assert sent.out.maybe_sent is False
    assert [r.status for r in await rows(engine)] == [OutboxStatus.SENT]


@pytest.mark.parametrize("skew_hours", [1, -1])
async def test_a_skewed_clock_neither_stalls_a_chat_nor_sends_twice(
    engine: AsyncEngine, skew_hours: int
) -> None:
    """Rows decided by a process whose clock is an hour off go out at once; a backoff runs
    on the database's clock (not an hour long); two workers send each row once, in order."""
    skewed = Clock(datetime.now(UTC) + timedelta(hours=skew_hours))
    adapter = RecordingAdapter()
    adapter.failures.append(DeliveryError("429", retry_after=0.2))
    texts = [f"{chat}-{n}" for n in range(3) for chat in ("c1", "c2")]
    for text in texts:
        await enqueue(engine, skewed, text[:2], text)
    workers = [
        Delivery(engine, {adapter.platform: adapter}, lease_seconds=1.0, retry_seconds=0.05)
        for _ in "ab"
    ]

    async with running(*workers):
        await until_sent(engine, len(texts))
        await asyncio.sleep(0.3)  # room for a second, wrong send to show up

    assert sorted(s.text for s in adapter.sent) == sorted(texts)
    for chat in ("c1", "c2"):
        assert [s.text for s in adapter.sent if s.out.to.chat_id == chat] == [
            f"{chat}-{n}" for n in range(3)
        ]
    assert [r.status for r in await rows(engine)] == [OutboxStatus.SENT] * len(texts)


# --- rows handed over by id (`committed`), the scan only for recovery --------------------


async def test_committed_rows_go_out_in_order_without_a_scan(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows handed over after their commit are leased by id; a lane's later rows wait for
    the earlier ones and are handed on when those are sent. No scan of the outbox runs."""
    scans: list[int] = []
    scan = outbox.lease_due

    async def counted(*args: Any, **kwargs: Any) -> list[OutboxRecord]:
        rows = await scan(*args, **kwargs)
        scans.append(len(rows))
        return rows

    monkeypatch.setattr(outbox, "lease_due", counted)
    monkeypatch.setattr(delivery_module, "IDLE_SECONDS", 3600.0)
    clock, adapter = Clock(), RecordingAdapter()
    delivery = Delivery(engine, {adapter.platform: adapter})

    async with running(delivery):
        await until(lambda: scans == [0])  # the scan at start, of an empty outbox
        ids = [await enqueue(engine, clock, chat, text) for chat, text in ORDERED]
        delivery.committed(ids)
        await until_sent(engine, len(ORDERED))

    assert scans == [0]
    for chat in ("c1", "c2"):
        assert [s.text for s in adapter.sent if s.out.to.chat_id == chat] == [
            text for to, text in ORDERED if to == chat
        ]


async def test_rows_nobody_handed_over_are_found_by_the_periodic_scan(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery_module, "IDLE_SECONDS", 0.05)
    clock, adapter = Clock(), RecordingAdapter()
    delivery = Delivery(engine, {adapter.platform: adapter})

    async with running(delivery):
        await asyncio.sleep(0.1)
        for chat, text in ORDERED:
            await enqueue(engine, clock, chat, text)  # written by another process
        await until_sent(engine, len(ORDERED))

    assert [s.text for s in adapter.sent if s.out.to.chat_id == "c1"] == ["one", "two", "three"]


async def test_a_lanes_next_row_goes_on_with_the_task_that_sent_the_row_before_it(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sent mark leases the lane's next row in its own transaction and the task that
    sent the row sends that one too: nothing is handed back to the worker's loop."""
    monkeypatch.setattr(delivery_module, "IDLE_SECONDS", 3600.0)
    clock, adapter = Clock(), RecordingAdapter()
    for chat, text in ORDERED:
        await enqueue(engine, clock, chat, text)
    delivery = Delivery(engine, {adapter.platform: adapter})
    handed: list[int] = []
    monkeypatch.setattr(delivery, "committed", handed.extend)

    async with running(delivery):  # its first scan leases "one" and "elsewhere"
        await until_sent(engine, len(ORDERED))

    assert handed == []
    for chat in ("c1", "c2"):
        assert [s.text for s in adapter.sent if s.out.to.chat_id == chat] == [
            text for to, text in ORDERED if to == chat
        ]
    assert all(s.out.maybe_sent is False for s in adapter.sent)


async def test_a_drain_hands_a_lanes_next_row_over_for_its_next_pass(engine: AsyncEngine) -> None:
    """`deliver_once` sends what it leased and no more, so a drain keeps to its deadline;
    the next pass leases the lanes' next rows by id."""
    clock, adapter = Clock(), RecordingAdapter()
    for chat, text in ORDERED:
        await enqueue(engine, clock, chat, text)
    delivery = worker(engine, adapter, clock)

    assert await delivery.deliver_once() == 2
    assert [s.text for s in adapter.sent] == ["one", "elsewhere"]
    assert await delivery.deliver_once() == 1
    assert await delivery.deliver_once() == 1
    assert await delivery.deliver_once() == 0
    assert [s.text for s in adapter.sent] == ["one", "elsewhere", "two", "three"]


async def test_a_worker_whose_lease_was_taken_over_leaves_the_row_to_its_new_owner(
    engine: AsyncEngine,
) -> None:
    """A send that fails after its lease ran out, while another worker is sending the row,
    must not free the row for a third send (nor count the failure)."""
    clock, slow, late = Clock(), GatedAdapter(), GatedAdapter()
    slow.held["c1"], late.held["c1"] = asyncio.Event(), asyncio.Event()
    slow.failures.append(DeliveryError("502"))
    await enqueue(engine, clock, "c1", "once")
    first, second = worker(engine, slow, clock), worker(engine, late, clock)

    sending = asyncio.create_task(first.deliver_once())
    await until(lambda: slow.started == ["c1"])
    clock.advance(61)
    resending = asyncio.create_task(second.deliver_once())
    await until(lambda: late.started == ["c1"])
    slow.held["c1"].set()
    await asyncio.wait_for(sending, SAFETY_SECONDS)

    [row] = await rows(engine)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.PENDING, 0, None)
    assert row.lease_owner is not None
    assert await worker(engine, RecordingAdapter(), clock).deliver_once() == 0
    late.held["c1"].set()
    await asyncio.wait_for(resending, SAFETY_SECONDS)

    [row] = await rows(engine)
    assert row.status == OutboxStatus.SENT
    assert ([s.text for s in late.sent], slow.sent) == (["once"], [])
