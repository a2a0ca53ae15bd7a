"""The outbox: leases, per-destination order, backoff and parking, on SQLite and PostgreSQL.

The outbox's functions run on connections, as the delivery worker runs them."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Row, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.lease_bench import fill_backlog, one_lane
from handoff import outbox
from handoff.models import OUTBOX_BEHIND, OUTBOX_NEW
from handoff.outbox import TABLE
from handoff.states import OutboxTarget
from handoff.storage import make_engine, make_sessions, upgrade
from tests.fakes.seed import seed_ticket
from tests.handoff.statement_shapes import statements_run

T0 = datetime(2026, 3, 2, 10, 0)
LEASE = 60.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def put(
    engine: AsyncEngine,
    chat: str,
    *,
    thread: str | None = None,
    target: str = "address",
    ticket_id: int | None = None,
    now: datetime = T0,
) -> int:
    """A row written as the intake writes it (`outbox.write`); its id. `now` is the
    writer's clock (the row's `created_at`)."""
    row = outbox.new_row(
        target=OutboxTarget(target),
        platform="telegram",
        chat_id=chat,
        thread_id=thread,
        ticket_id=ticket_id,
        payload={"text": [[f"to {chat}", "plain"]], "buttons": []},
        now=now,
    )
    async with engine.begin() as conn:
        [row_id] = await outbox.write(conn, [row])
    return row_id


async def lease(
    engine: AsyncEngine, owner: str = "w1", now: datetime | None = T0, limit: int = 10
) -> list[int]:
    """Lease at a pinned moment (`now=None`: on the database's clock)."""
    async with engine.begin() as conn:
        return [row.id for row in await outbox.lease_due(conn, owner, now, LEASE, limit)]


async def sent(engine: AsyncEngine, row_id: int) -> None:
    async with engine.begin() as conn:
        await outbox.mark_sent_many(conn, {row_id: f"msg-{row_id}"})


async def hold(engine: AsyncEngine, row_id: int, owner: str = "w1") -> None:
    """Make `owner` the row's lessee (as a lease would), whether or not it is due now."""
    async with engine.begin() as conn:
        await conn.execute(update(TABLE).where(TABLE.c.id == row_id).values(lease_owner=owner))


async def fail(
    engine: AsyncEngine,
    row_id: int,
    now: datetime | None = T0,
    *,
    retry_after: float | None = None,
    permanent: bool = False,
    max_attempts: int = 12,
    error: str = "HTTP 502",
) -> Row[Any]:
    """Fail the row's latest attempt, the way the delivery worker does (as its lessee);
    returns the row after."""
    attempts = (await load(engine, row_id)).attempts
    await hold(engine, row_id)
    async with engine.begin() as conn:
        await outbox.mark_failed(
            conn,
            row_id,
            attempts,
            error,
            now,
            owner="w1",
            retry_after=retry_after,
            permanent=permanent,
            max_attempts=max_attempts,
        )
    return await load(engine, row_id)


async def load(engine: AsyncEngine, row_id: int) -> Row[Any]:
    async with engine.connect() as conn:
        return (await conn.execute(select(TABLE).where(TABLE.c.id == row_id))).one()


async def pending(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return await outbox.pending_count(conn)


async def new_ticket(engine: AsyncEngine) -> int:
    async with make_sessions(engine)() as session, session.begin():
        return await seed_ticket(
            session,
            platform="telegram",
            chat_id="42",
            user_id="42",
            display_name="Ana",
            staff_platform="telegram",
            staff_chat_id="-100",
            now=T0,
        )


# --- leasing order -----------------------------------------------------------------------


async def test_rows_are_leased_oldest_first_up_to_the_limit(engine: AsyncEngine) -> None:
    ids = [await put(engine, f"chat-{n}") for n in range(5)]

    assert await lease(engine, "w1", limit=3) == ids[:3]
    assert await lease(engine, "w2", limit=3) == ids[3:]

    first = await load(engine, ids[0])
    assert (first.lease_owner, first.lease_until) == ("w1", at(LEASE))
    assert (first.status, first.attempts) == ("pending", 0)


async def test_a_later_row_to_the_same_destination_waits_for_the_earlier(
    engine: AsyncEngine,
) -> None:
    first = await put(engine, "c1")
    second = await put(engine, "c1")
    elsewhere = await put(engine, "c2")
    same_chat_other_thread = await put(engine, "c1", thread="t9")

    assert await lease(engine, "w1") == [first, elsewhere, same_chat_other_thread]
    assert await lease(engine, "w2") == []  # `first` is leased, not sent: `second` waits

    await sent(engine, first)
    assert await lease(engine, "w2") == [second]
    assert (await load(engine, first)).sent_message_id == f"msg-{first}"


async def test_an_earlier_row_that_is_not_due_holds_back_the_later(engine: AsyncEngine) -> None:
    first = await put(engine, "c1")
    second = await put(engine, "c1")
    assert await lease(engine) == [first]
    await fail(engine, first, retry_after=30)

    assert await lease(engine, now=at(10)) == []
    assert await lease(engine, now=at(30)) == [first]
    await sent(engine, first)
    assert await lease(engine, "w2", now=at(30)) == [second]


async def test_rows_of_one_ticket_wait_for_its_card(engine: AsyncEngine) -> None:
    ticket_id = await new_ticket(engine)
    card = await put(engine, "-100", target="ticket_card", ticket_id=ticket_id)
    relay = await put(engine, "-100", target="ticket_thread", ticket_id=ticket_id)
    edit = await put(engine, "-100", target="card_edit", ticket_id=ticket_id)
    staff_notice = await put(engine, "-100", ticket_id=ticket_id)

    assert await lease(engine) == [card, staff_notice]
    await sent(engine, card)
    assert await lease(engine) == [relay]
    await sent(engine, relay)
    assert await lease(engine) == [edit]


async def test_a_backlog_to_one_destination_does_not_hold_up_the_others(
    engine: AsyncEngine,
) -> None:
    """A rate-limited chat with many queued rows must not stall every other chat."""
    busy = [await put(engine, "busy") for _ in range(50)]
    calm = await put(engine, "calm")
    assert await lease(engine, limit=1) == [busy[0]]
    await fail(engine, busy[0], retry_after=120)

    assert await lease(engine, now=at(1), limit=5) == [calm]


# --- leases ------------------------------------------------------------------------------


async def test_a_lease_keeps_other_owners_out_until_it_expires(engine: AsyncEngine) -> None:
    row = await put(engine, "c1")
    assert await lease(engine, "w1") == [row]

    assert await lease(engine, "w2", now=at(LEASE - 1)) == []
    assert await lease(engine, "w1", now=at(LEASE - 1)) == []
    assert await lease(engine, "w2", now=at(LEASE + 1)) == [row]

    taken = await load(engine, row)
    assert (taken.lease_owner, taken.lease_until) == ("w2", at(2 * LEASE + 1))


async def test_a_worker_does_not_skip_past_rows_another_worker_is_leasing(
    engine: AsyncEngine,
) -> None:
    """While one worker's lease transaction is open, another must not jump ahead to a
    later row of the same destination (it would be sent before the earlier ones)."""
    ids = [await put(engine, "c1") for _ in range(6)]
    async with engine.begin() as first_worker:
        leased = await outbox.lease_due(first_worker, "w1", T0, LEASE, 1)
        assert [row.id for row in leased] == ids[:1]
        second_worker = asyncio.create_task(lease(engine, "w2", limit=1))
        await asyncio.wait({second_worker}, timeout=0.5)

    assert await second_worker == []


async def test_concurrent_workers_send_every_row_once_in_order(engine: AsyncEngine) -> None:
    chats = [f"chat-{n}" for n in range(6)]
    ids = [await put(engine, chats[n % len(chats)]) for n in range(60)]
    deliveries: list[tuple[str, int]] = []

    async def worker(owner: str) -> None:
        while await pending(engine):
            async with engine.begin() as conn:
                rows = await outbox.lease_due(conn, owner, T0, LEASE, 4)
                batch = [(row.chat_id, row.id) for row in rows]
            for chat, row_id in batch:
                deliveries.append((chat, row_id))
                await sent(engine, row_id)
            if not batch:
                await asyncio.sleep(0.01)

    await asyncio.gather(*(worker(f"w{n}") for n in range(4)))

    assert sorted(row_id for _, row_id in deliveries) == ids
    per_chat: dict[str, list[int]] = defaultdict(list)
    for chat, row_id in deliveries:
        per_chat[chat].append(row_id)
    assert all(order == sorted(order) for order in per_chat.values())
    assert len(per_chat) == len(chats)


# --- failures ----------------------------------------------------------------------------


async def test_failures_back_off_exponentially_up_to_a_cap(engine: AsyncEngine) -> None:
    row_id = await put(engine, "c1")
    assert await lease(engine) == [row_id]

    delays = []
    for _ in range(11):
        row = await fail(engine, row_id)
        assert (row.status, row.lease_owner, row.lease_until) == ("pending", None, None)
        delays.append((row.due_at - T0).total_seconds())

    assert delays == [0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert (row.attempts, row.last_error) == (11, "HTTP 502")


async def test_a_platform_retry_after_is_honoured(engine: AsyncEngine) -> None:
    row_id = await put(engine, "c1")

    row = await fail(engine, row_id, retry_after=30, error="429 Too Many Requests")
    assert row.due_at == at(30)
    assert await lease(engine, now=at(29.9)) == []
    assert await lease(engine, now=at(30)) == [row_id]

    shorter_than_backoff = await fail(engine, row_id, at(30), retry_after=0.1)
    assert shorter_than_backoff.due_at == at(31)  # the second attempt's 1 s backoff wins


async def test_a_row_is_parked_after_max_attempts(engine: AsyncEngine) -> None:
    row_id = await put(engine, "c1")
    later = await put(engine, "c1")

    assert (await fail(engine, row_id, max_attempts=3)).status == "pending"
    assert (await fail(engine, row_id, max_attempts=3)).status == "pending"
    parked = await fail(engine, row_id, max_attempts=3)

    assert (parked.status, parked.attempts) == ("parked", 3)
    assert await pending(engine) == 1
    assert await lease(engine, now=at(3600)) == [later]


async def test_a_permanent_failure_parks_at_once(engine: AsyncEngine) -> None:
    row_id = await put(engine, "c1")
    later = await put(engine, "c1")

    parked = await fail(engine, row_id, permanent=True, error="chat not found " * 300)

    assert (parked.status, parked.attempts) == ("parked", 1)
    assert parked.last_error is not None and len(parked.last_error) == 2000
    assert parked.last_error.startswith("chat not found")
    assert await lease(engine) == [later]


# --- defer -------------------------------------------------------------------------------


async def test_defer_frees_the_lease_and_waits(engine: AsyncEngine) -> None:
    row_id = await put(engine, "c1")
    assert await lease(engine, "w1") == [row_id]

    async with engine.begin() as conn:
        await outbox.defer(conn, row_id, at(1), 0.5, owner="w1")

    row = await load(engine, row_id)
    assert (row.status, row.attempts, row.lease_owner, row.lease_until) == (
        "pending",
        0,
        None,
        None,
    )
    assert row.due_at == at(1.5)
    assert await lease(engine, "w2", now=at(1.4)) == []
    assert await lease(engine, "w2", now=at(1.5)) == [row_id]


# --- in doubt ----------------------------------------------------------------------------


async def test_the_backoff_starts_where_the_worker_says(engine: AsyncEngine) -> None:
    row_id = await put(engine, "c1")
    delays = []
    for attempts in range(3):
        await hold(engine, row_id)
        async with engine.begin() as conn:
            await outbox.mark_failed(
                conn,
                row_id,
                attempts,
                "HTTP 500",
                T0,
                owner="w1",
                retry_after=None,
                permanent=False,
                max_attempts=12,
                backoff_seconds=0.05,
            )
        delays.append((await load(engine, row_id)).due_at - T0)

    assert [d.total_seconds() for d in delays] == [0.05, 0.1, 0.2]


async def test_a_lease_that_ran_out_puts_the_row_in_doubt(engine: AsyncEngine) -> None:
    row_id = await put(engine, "c1")
    assert await lease(engine, "w1") == [row_id]
    assert (await load(engine, row_id)).in_doubt is False

    async with engine.begin() as conn:
        [taken] = await outbox.lease_due(conn, "w2", at(LEASE + 1), LEASE, 10)
    assert taken.in_doubt is True
    assert (await load(engine, row_id)).in_doubt is True

    await sent(engine, row_id)
    assert (await load(engine, row_id)).in_doubt is False


async def test_a_send_that_may_have_arrived_stays_in_doubt_until_sent(engine: AsyncEngine) -> None:
    row_id = await put(engine, "c1")
    assert await lease(engine) == [row_id]

    async with engine.begin() as conn:
        await outbox.mark_failed(
            conn,
            row_id,
            0,
            "timeout",
            T0,
            owner="w1",
            retry_after=None,
            permanent=False,
            max_attempts=12,
            maybe_sent=True,
        )
    assert (await load(engine, row_id)).in_doubt is True
    assert (await fail(engine, row_id, at(1), error="HTTP 502")).in_doubt is True

    async with engine.begin() as conn:
        [again] = await outbox.lease_due(conn, "w1", at(10), LEASE, 10)
    assert again.in_doubt is True


# --- the database's clock ----------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def test_a_new_row_is_due_at_once_whatever_the_writers_clock(engine: AsyncEngine) -> None:
    """The deciding process's clock an hour ahead (or behind) must not hold the row back."""
    ids = [
        await put(engine, f"skew{skew}", now=utc_now() + timedelta(seconds=skew))
        for skew in (3600, -3600)
    ]

    assert await lease(engine, now=None) == ids


async def test_leases_and_backoffs_run_on_the_database_clock(engine: AsyncEngine) -> None:
    row_id = await put(engine, "c1")
    before = utc_now()
    assert await lease(engine, "w1", now=None) == [row_id]
    assert await lease(engine, "w2", now=None) == []

    leased = await load(engine, row_id)
    assert leased.lease_until is not None
    # In UTC, from the database: within a minute of this machine's (same host) UTC clock.
    assert abs(leased.lease_until - (before + timedelta(seconds=LEASE))) < timedelta(minutes=1)

    backed_off = await fail(engine, row_id, None, retry_after=3600)
    assert backed_off.due_at is not None
    assert abs(backed_off.due_at - (before + timedelta(hours=1))) < timedelta(minutes=1)
    assert await lease(engine, "w2", now=None) == []


async def test_a_heartbeat_renews_only_the_owners_live_leases(engine: AsyncEngine) -> None:
    mine, other = await put(engine, "c1"), await put(engine, "c2")
    assert await lease(engine, "w1", limit=1) == [mine]
    assert await lease(engine, "w2", limit=1) == [other]

    async with engine.begin() as conn:
        await outbox.renew(conn, "w1", [mine, other], at(50), LEASE)

    assert (await load(engine, mine)).lease_until == at(50 + LEASE)
    assert (await load(engine, other)).lease_until == at(LEASE)
    assert await lease(engine, "w3", now=at(LEASE + 1)) == [other]


async def test_sent_marks_are_written_for_a_batch_at_once(engine: AsyncEngine) -> None:
    ids = [await put(engine, f"c{n}") for n in range(3)]
    assert await lease(engine) == ids

    async with engine.begin() as conn:
        await outbox.mark_sent_many(conn, {row_id: f"m{row_id}" for row_id in ids[:2]})

    marked = [await load(engine, row_id) for row_id in ids]
    assert [(r.status, r.sent_message_id, r.lease_owner) for r in marked] == [
        ("sent", f"m{ids[0]}", None),
        ("sent", f"m{ids[1]}", None),
        ("pending", None, "w1"),
    ]


@pytest.mark.parametrize("chunk", [outbox.MARK_CHUNK, 2])
async def test_each_row_of_a_batch_gets_its_own_message_id(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """A batch of any size (padded to a power of two, split into statements of
    `MARK_CHUNK` marks), given in any order; the next row of each lane comes forward."""
    monkeypatch.setattr(outbox, "MARK_CHUNK", chunk)
    heads = [await put(engine, f"c{n}") for n in range(5)]
    following = [await put(engine, f"c{n}") for n in (1, 3)]
    assert await lease(engine) == heads

    async with engine.begin() as conn:
        brought = await outbox.mark_sent_many(
            conn, {row_id: f"m{row_id}" for row_id in heads[::-1]}
        )

    assert brought == following
    marked = [await load(engine, row_id) for row_id in heads + following]
    assert [(r.status, r.sent_message_id) for r in marked] == [
        *(("sent", f"m{row_id}") for row_id in heads),
        *(("pending", None) for _ in following),
    ]


# --- rows handed over, set aside, brought forward -------------------------------------


async def ready_at(engine: AsyncEngine, row_id: int) -> datetime:
    ready: datetime = (await load(engine, row_id)).ready_at
    return ready


async def test_rows_handed_over_are_leased_by_id_when_they_may_go(engine: AsyncEngine) -> None:
    first, second, elsewhere = (
        await put(engine, "c1"),
        await put(engine, "c1"),
        await put(engine, "c2"),
    )
    async with engine.begin() as conn:
        taken = await outbox.lease_rows(conn, "w1", [second, elsewhere, first], T0, LEASE)
        assert [row.id for row in taken] == [first, elsewhere]
        assert await outbox.hold_back(conn, T0, [second, elsewhere]) == 1

    assert await ready_at(engine, second) == OUTBOX_BEHIND
    assert await ready_at(engine, first) == at(LEASE)
    assert await lease(engine, "w2", now=at(2 * LEASE)) == [first, elsewhere]  # in doubt
    async with engine.begin() as conn:
        assert await outbox.mark_sent_many(conn, {first: "m1", elsewhere: "m2"}) == [second]
    assert await ready_at(engine, second) == OUTBOX_NEW
    async with engine.begin() as conn:
        [again] = await outbox.lease_rows(conn, "w2", [second], T0, LEASE)
    assert again.id == second


async def test_a_row_that_is_not_its_lanes_head_is_never_leased_by_id(engine: AsyncEngine) -> None:
    first, second = await put(engine, "c1"), await put(engine, "c1")
    async with engine.begin() as conn:
        assert await outbox.lease_rows(conn, "w1", [second], T0, LEASE) == []
        assert await outbox.hold_back(conn, T0, [first]) == 0  # the head stays ready
    assert await lease(engine) == [first]
    async with engine.begin() as conn:
        assert await outbox.lease_rows(conn, "w2", [first, second], at(1), LEASE) == []


async def test_a_lease_pass_moves_past_a_long_lane_once_it_is_set_aside(
    engine: AsyncEngine,
) -> None:
    """Each pass reads a bounded window of ready rows; rows waiting behind their lane's
    head are set aside a window at a time, and then no pass reads them again."""
    busy = [await put(engine, "busy") for _ in range(3 * outbox.WINDOW)]
    calm = await put(engine, "calm")
    assert await lease(engine, limit=1) == [busy[0]]

    passes, set_aside = 0, []
    while True:
        async with engine.begin() as conn:
            moved = await outbox.hold_back(conn, T0)
        if not moved:
            break
        passes += 1
        set_aside.append(moved)
    assert sum(set_aside) == len(busy) - 1
    assert passes <= len(busy) // outbox.WINDOW
    assert await lease(engine, "w2") == [calm]
    assert {await ready_at(engine, row_id) for row_id in busy[1:]} == {OUTBOX_BEHIND}

    await sent(engine, busy[0])
    assert await lease(engine, "w2") == [busy[1]]


async def test_a_parked_row_brings_its_lanes_next_row_forward(engine: AsyncEngine) -> None:
    first, second = await put(engine, "c1"), await put(engine, "c1")
    assert await lease(engine) == [first]
    async with engine.begin() as conn:
        assert await outbox.hold_back(conn, T0) == 1
        following = await outbox.mark_failed(
            conn,
            first,
            0,
            "chat not found",
            T0,
            owner="w1",
            retry_after=None,
            permanent=True,
            max_attempts=12,
        )
    assert following == [second]
    assert await lease(engine) == [second]


async def test_a_backoff_keeps_the_lane_set_aside_until_the_row_is_done(
    engine: AsyncEngine,
) -> None:
    first, second = await put(engine, "c1"), await put(engine, "c1")
    assert await lease(engine) == [first]
    async with engine.begin() as conn:
        assert await outbox.hold_back(conn, T0) == 1
    assert (await fail(engine, first, retry_after=30)).ready_at == at(30)

    assert await lease(engine, now=at(29)) == []
    assert await lease(engine, now=at(30)) == [first]
    assert await ready_at(engine, second) == OUTBOX_BEHIND


async def test_a_worker_whose_lease_was_taken_over_cannot_fail_or_defer_the_row(
    engine: AsyncEngine,
) -> None:
    row_id = await put(engine, "c1")
    assert await lease(engine, "w1") == [row_id]
    assert await lease(engine, "w2", now=at(LEASE + 1)) == [row_id]
    before = await load(engine, row_id)

    async with engine.begin() as conn:
        following = await outbox.mark_failed(
            conn,
            row_id,
            0,
            "HTTP 502",
            at(LEASE + 2),
            owner="w1",
            retry_after=None,
            permanent=True,
            max_attempts=12,
        )
        await outbox.defer(conn, row_id, at(LEASE + 2), 5.0, owner="w1")

    after = await load(engine, row_id)
    assert following == []
    assert (after.status, after.attempts, after.lease_owner, after.due_at, after.ready_at) == (
        "pending",
        0,
        "w2",
        None,
        before.ready_at,
    )


async def test_workers_handing_rows_on_send_every_row_once_in_order(engine: AsyncEngine) -> None:
    """Rows handed to workers by id (as the intake does), the next row of a lane handed on
    by the sent mark, scans only when a worker has nothing in hand: every row goes out
    once, in order per lane, and none is left set aside behind a row that is gone."""
    chats = [f"chat-{n}" for n in range(5)]
    ids = [await put(engine, chats[n % len(chats)]) for n in range(80)]
    hands: list[list[int]] = [ids[n::3] for n in range(3)]
    deliveries: list[tuple[str, int]] = []

    async def worker(owner: str, hand: list[int]) -> None:
        while await pending(engine):
            async with engine.begin() as conn:
                if hand:
                    batch, hand[:] = hand[:4], hand[4:]
                    rows = await outbox.lease_rows(conn, owner, batch, T0, LEASE)
                    taken = {row.id for row in rows}
                    await outbox.hold_back(conn, T0, [i for i in batch if i not in taken])
                else:
                    rows = await outbox.lease_due(conn, owner, T0, LEASE, 4)
                    await outbox.hold_back(conn, T0)
                leased = [(row.chat_id, row.id) for row in rows]
            for chat, row_id in leased:
                deliveries.append((chat, row_id))
                async with engine.begin() as conn:
                    hand += await outbox.mark_sent_many(conn, {row_id: f"m{row_id}"})
            await asyncio.sleep(0 if leased else 0.01)

    await asyncio.wait_for(
        asyncio.gather(*(worker(f"w{n}", hand) for n, hand in enumerate(hands))), 60
    )

    assert sorted(row_id for _, row_id in deliveries) == ids
    per_chat: dict[str, list[int]] = defaultdict(list)
    for chat, row_id in deliveries:
        per_chat[chat].append(row_id)
    assert all(order == sorted(order) for order in per_chat.values())


async def test_leasing_by_id_takes_a_handful_of_statement_shapes_whatever_the_count(
    engine: AsyncEngine,
) -> None:
    """Each distinct statement is prepared per connection (a round trip on PostgreSQL)
    and kept in bounded caches: 1 to 9 ids must not make 9 statements."""
    ids = [await put(engine, f"chat-{n}") for n in range(45)]
    taken: list[int] = []
    start = 0
    with statements_run(engine, "UPDATE outbox") as statements:
        for count in range(1, 10):
            async with engine.begin() as conn:
                rows = await outbox.lease_rows(conn, "w1", ids[start : start + count], T0, LEASE)
            assert [row.id for row in rows] == ids[start : start + count]
            taken += [row.id for row in rows]
            start += count

    assert taken == ids
    assert len(statements) == 5  # 1, 2, 4, 8 and 16 ids


@pytest.mark.postgres
async def test_a_lease_pass_over_a_large_backlog_is_planned_once(postgres_url: str) -> None:
    """PostgreSQL keeps one plan for a prepared statement only while that plan's estimate
    stays near the plans made for the values given; on a backlog of thousands of rows a
    statement whose constants were parameters was planned again at every pass."""
    engine = make_engine(postgres_url)
    try:
        await upgrade(engine)
        # One chat's rows: the first in flight, the others set aside behind it.
        await fill_backlog(postgres_url, one_lane, BACKLOG)
        async with engine.connect() as conn:
            for _ in range(PASSES):
                async with conn.begin() as transaction:
                    assert await outbox.lease_due(conn, "w1", None, LEASE, 32) == []
                    assert await outbox.hold_back(conn, None) == 0
                    await transaction.rollback()
            plans = (await conn.execute(text(_PLANS))).all()
    finally:
        await engine.dispose()

    assert len(plans) == 2  # the lease, and the search for rows to set aside
    for statement, generic, custom in plans:
        assert generic + custom == PASSES, statement[:60]
        assert custom <= 5, statement[:60]  # PostgreSQL's first 5 runs, then one plan


BACKLOG = 5_000
PASSES = 12
_PLANS = """
    SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
    WHERE statement LIKE 'UPDATE outbox SET %SKIP LOCKED%'
       OR statement LIKE 'SELECT row.id, pg_advisory_xact_lock%'
"""
