"""The outbox: leases, per-destination order, backoff and parking, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from handoff import outbox
from handoff.models import OUTBOX_BEHIND, OUTBOX_NEW, OutboxRow
from handoff.states import OutboxTarget
from tests.fakes.seed import seed_ticket
from tests.handoff.conftest import Sessions

T0 = datetime(2026, 3, 2, 10, 0)
LEASE = 60.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def put(
    sessions: Sessions,
    chat: str,
    *,
    thread: str | None = None,
    target: str = "address",
    ticket_id: int | None = None,
) -> int:
    async with sessions() as session, session.begin():
        row = outbox.enqueue(
            session,
            target=target,
            platform="telegram",
            chat_id=chat,
            thread_id=thread,
            ticket_id=ticket_id,
            payload={"text": [[f"to {chat}", "plain"]], "buttons": []},
            now=T0,
        )
        await session.flush()
        return row.id


async def lease(
    sessions: Sessions, owner: str = "w1", now: datetime | None = T0, limit: int = 10
) -> list[int]:
    """Lease at a pinned moment (`now=None`: on the database's clock)."""
    async with sessions() as session, session.begin():
        return [row.id for row in await outbox.lease_due(session, owner, now, LEASE, limit)]


async def sent(sessions: Sessions, row_id: int) -> None:
    async with sessions() as session, session.begin():
        await outbox.mark_sent(session, row_id, f"msg-{row_id}")


async def hold(sessions: Sessions, row_id: int, owner: str = "w1") -> None:
    """Make `owner` the row's lessee (as a lease would), whether or not it is due now."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(OutboxRow).where(OutboxRow.id == row_id).values(lease_owner=owner)
        )


async def fail(
    sessions: Sessions,
    row_id: int,
    now: datetime | None = T0,
    *,
    retry_after: float | None = None,
    permanent: bool = False,
    max_attempts: int = 12,
    error: str = "HTTP 502",
) -> OutboxRow:
    """Fail the row's latest attempt, the way the delivery worker does (as its lessee);
    returns the row after."""
    attempts = (await load(sessions, row_id)).attempts
    await hold(sessions, row_id)
    async with sessions() as session, session.begin():
        await outbox.mark_failed(
            session,
            row_id,
            attempts,
            error,
            now,
            owner="w1",
            retry_after=retry_after,
            permanent=permanent,
            max_attempts=max_attempts,
        )
    return await load(sessions, row_id)


async def load(sessions: Sessions, row_id: int) -> OutboxRow:
    async with sessions() as session:
        row = await session.get(OutboxRow, row_id)
        assert row is not None
        return row


async def pending(sessions: Sessions) -> int:
    async with sessions() as session:
        return await outbox.pending_count(session)


async def new_ticket(sessions: Sessions) -> int:
    async with sessions() as session, session.begin():
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


async def test_rows_are_leased_oldest_first_up_to_the_limit(sessions: Sessions) -> None:
    ids = [await put(sessions, f"chat-{n}") for n in range(5)]

    assert await lease(sessions, "w1", limit=3) == ids[:3]
    assert await lease(sessions, "w2", limit=3) == ids[3:]

    first = await load(sessions, ids[0])
    assert (first.lease_owner, first.lease_until) == ("w1", at(LEASE))
    assert (first.status, first.attempts) == ("pending", 0)


async def test_a_later_row_to_the_same_destination_waits_for_the_earlier(
    sessions: Sessions,
) -> None:
    first = await put(sessions, "c1")
    second = await put(sessions, "c1")
    elsewhere = await put(sessions, "c2")
    same_chat_other_thread = await put(sessions, "c1", thread="t9")

    assert await lease(sessions, "w1") == [first, elsewhere, same_chat_other_thread]
    assert await lease(sessions, "w2") == []  # `first` is leased, not sent: `second` waits

    await sent(sessions, first)
    assert await lease(sessions, "w2") == [second]
    assert (await load(sessions, first)).sent_message_id == f"msg-{first}"


async def test_an_earlier_row_that_is_not_due_holds_back_the_later(sessions: Sessions) -> None:
    first = await put(sessions, "c1")
    second = await put(sessions, "c1")
    assert await lease(sessions) == [first]
    await fail(sessions, first, retry_after=30)

    assert await lease(sessions, now=at(10)) == []
    assert await lease(sessions, now=at(30)) == [first]
    await sent(sessions, first)
    assert await lease(sessions, "w2", now=at(30)) == [second]


async def test_rows_of_one_ticket_wait_for_its_card(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions)
    card = await put(sessions, "-100", target="ticket_card", ticket_id=ticket_id)
    relay = await put(sessions, "-100", target="ticket_thread", ticket_id=ticket_id)
    edit = await put(sessions, "-100", target="card_edit", ticket_id=ticket_id)
    staff_notice = await put(sessions, "-100", ticket_id=ticket_id)

    assert await lease(sessions) == [card, staff_notice]
    await sent(sessions, card)
    assert await lease(sessions) == [relay]
    await sent(sessions, relay)
    assert await lease(sessions) == [edit]


async def test_a_backlog_to_one_destination_does_not_hold_up_the_others(
    sessions: Sessions,
) -> None:
    """A rate-limited chat with many queued rows must not stall every other chat."""
    busy = [await put(sessions, "busy") for _ in range(50)]
    calm = await put(sessions, "calm")
    assert await lease(sessions, limit=1) == [busy[0]]
    await fail(sessions, busy[0], retry_after=120)

    assert await lease(sessions, now=at(1), limit=5) == [calm]


# --- leases ------------------------------------------------------------------------------


async def test_a_lease_keeps_other_owners_out_until_it_expires(sessions: Sessions) -> None:
    row = await put(sessions, "c1")
    assert await lease(sessions, "w1") == [row]

    assert await lease(sessions, "w2", now=at(LEASE - 1)) == []
    assert await lease(sessions, "w1", now=at(LEASE - 1)) == []
    assert await lease(sessions, "w2", now=at(LEASE + 1)) == [row]

    taken = await load(sessions, row)
    assert (taken.lease_owner, taken.lease_until) == ("w2", at(2 * LEASE + 1))


async def test_a_worker_does_not_skip_past_rows_another_worker_is_leasing(
    sessions: Sessions,
) -> None:
    """While one worker's lease transaction is open, another must not jump ahead to a
    later row of the same destination (it would be sent before the earlier ones)."""
    ids = [await put(sessions, "c1") for _ in range(6)]
    async with sessions() as first_worker, first_worker.begin():
        leased = await outbox.lease_due(first_worker, "w1", T0, LEASE, 1)
        assert [row.id for row in leased] == ids[:1]
        second_worker = asyncio.create_task(lease(sessions, "w2", limit=1))
        await asyncio.wait({second_worker}, timeout=0.5)

    assert await second_worker == []


async def test_concurrent_workers_send_every_row_once_in_order(sessions: Sessions) -> None:
    chats = [f"chat-{n}" for n in range(6)]
    ids = [await put(sessions, chats[n % len(chats)]) for n in range(60)]
    deliveries: list[tuple[str, int]] = []

    async def worker(owner: str) -> None:
        while await pending(sessions):
            async with sessions() as session, session.begin():
                rows = await outbox.lease_due(session, owner, T0, LEASE, 4)
                batch = [(row.chat_id, row.id) for row in rows]
            for chat, row_id in batch:
                deliveries.append((chat, row_id))
                await sent(sessions, row_id)
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


async def test_failures_back_off_exponentially_up_to_a_cap(sessions: Sessions) -> None:
    row_id = await put(sessions, "c1")
    assert await lease(sessions) == [row_id]

    delays = []
    for _ in range(11):
        row = await fail(sessions, row_id)
        assert (row.status, row.lease_owner, row.lease_until) == ("pending", None, None)
        delays.append((row.due_at - T0).total_seconds())

    assert delays == [0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert (row.attempts, row.last_error) == (11, "HTTP 502")


async def test_a_platform_retry_after_is_honoured(sessions: Sessions) -> None:
    row_id = await put(sessions, "c1")

    row = await fail(sessions, row_id, retry_after=30, error="429 Too Many Requests")
    assert row.due_at == at(30)
    assert await lease(sessions, now=at(29.9)) == []
    assert await lease(sessions, now=at(30)) == [row_id]

    shorter_than_backoff = await fail(sessions, row_id, at(30), retry_after=0.1)
    assert shorter_than_backoff.due_at == at(31)  # the second attempt's 1 s backoff wins


async def test_a_row_is_parked_after_max_attempts(sessions: Sessions) -> None:
    row_id = await put(sessions, "c1")
    later = await put(sessions, "c1")

    assert (await fail(sessions, row_id, max_attempts=3)).status == "pending"
    assert (await fail(sessions, row_id, max_attempts=3)).status == "pending"
    parked = await fail(sessions, row_id, max_attempts=3)

    assert (parked.status, parked.attempts) == ("parked", 3)
    assert await pending(sessions) == 1
    assert await lease(sessions, now=at(3600)) == [later]


async def test_a_permanent_failure_parks_at_once(sessions: Sessions) -> None:
    row_id = await put(sessions, "c1")
    later = await put(sessions, "c1")

    parked = await fail(sessions, row_id, permanent=True, error="chat not found " * 300)

    assert (parked.status, parked.attempts) == ("parked", 1)
    assert parked.last_error is not None and len(parked.last_error) == 2000
    assert parked.last_error.startswith("chat not found")
    assert await lease(sessions) == [later]


# --- defer -------------------------------------------------------------------------------


async def test_defer_frees_the_lease_and_waits(sessions: Sessions) -> None:
    row_id = await put(sessions, "c1")
    assert await lease(sessions, "w1") == [row_id]

    async with sessions() as session, session.begin():
        await outbox.defer(session, row_id, at(1), 0.5, owner="w1")

    row = await load(sessions, row_id)
    assert (row.status, row.attempts, row.lease_owner, row.lease_until) == (
        "pending",
        0,
        None,
        None,
    )
    assert row.due_at == at(1.5)
    assert await lease(sessions, "w2", now=at(1.4)) == []
    assert await lease(sessions, "w2", now=at(1.5)) == [row_id]


# --- in doubt ----------------------------------------------------------------------------


async def test_the_backoff_starts_where_the_worker_says(sessions: Sessions) -> None:
    row_id = await put(sessions, "c1")
    delays = []
    for attempts in range(3):
        await hold(sessions, row_id)
        async with sessions() as session, session.begin():
            await outbox.mark_failed(
                session,
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
        delays.append((await load(sessions, row_id)).due_at - T0)

    assert [d.total_seconds() for d in delays] == [0.05, 0.1, 0.2]


async def test_a_lease_that_ran_out_puts_the_row_in_doubt(sessions: Sessions) -> None:
    row_id = await put(sessions, "c1")
    assert await lease(sessions, "w1") == [row_id]
    assert (await load(sessions, row_id)).in_doubt is False

    async with sessions() as session, session.begin():
        [taken] = await outbox.lease_due(session, "w2", at(LEASE + 1), LEASE, 10)
    assert taken.in_doubt is True
    assert (await load(sessions, row_id)).in_doubt is True

    await sent(sessions, row_id)
    assert (await load(sessions, row_id)).in_doubt is False


async def test_a_send_that_may_have_arrived_stays_in_doubt_until_sent(sessions: Sessions) -> None:
    row_id = await put(sessions, "c1")
    assert await lease(sessions) == [row_id]

    async with sessions() as session, session.begin():
        await outbox.mark_failed(
            session,
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
    assert (await load(sessions, row_id)).in_doubt is True
    assert (await fail(sessions, row_id, at(1), error="HTTP 502")).in_doubt is True

    async with sessions() as session, session.begin():
        [again] = await outbox.lease_due(session, "w1", at(10), LEASE, 10)
    assert again.in_doubt is True


# --- the database's clock ----------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def test_a_new_row_is_due_at_once_whatever_the_writers_clock(sessions: Sessions) -> None:
    """The deciding process's clock an hour ahead (or behind) must not hold the row back."""
    ids = []
    for skew in (3600, -3600):
        async with sessions() as session, session.begin():
            row = outbox.enqueue(
                session,
                target=OutboxTarget.ADDRESS,
                platform="telegram",
                chat_id=f"skew{skew}",
                payload={"text": [], "buttons": []},
                now=utc_now() + timedelta(seconds=skew),
            )
            await session.flush()
            ids.append(row.id)

    assert await lease(sessions, now=None) == ids


async def test_leases_and_backoffs_run_on_the_database_clock(sessions: Sessions) -> None:
    row_id = await put(sessions, "c1")
    before = utc_now()
    assert await lease(sessions, "w1", now=None) == [row_id]
    assert await lease(sessions, "w2", now=None) == []

    leased = await load(sessions, row_id)
    assert leased.lease_until is not None
    # In UTC, from the database: within a minute of this machine's (same host) UTC clock.
    assert abs(leased.lease_until - (before + timedelta(seconds=LEASE))) < timedelta(minutes=1)

    backed_off = await fail(sessions, row_id, None, retry_after=3600)
    assert backed_off.due_at is not None
    assert abs(backed_off.due_at - (before + timedelta(hours=1))) < timedelta(minutes=1)
    assert await lease(sessions, "w2", now=None) == []


async def test_a_heartbeat_renews_only_the_owners_live_leases(sessions: Sessions) -> None:
    mine, other = await put(sessions, "c1"), await put(sessions, "c2")
    assert await lease(sessions, "w1", limit=1) == [mine]
    assert await lease(sessions, "w2", limit=1) == [other]

    async with sessions() as session, session.begin():
        await outbox.renew(session, "w1", [mine, other], at(50), LEASE)

    assert (await load(sessions, mine)).lease_until == at(50 + LEASE)
    assert (await load(sessions, other)).lease_until == at(LEASE)
    assert await lease(sessions, "w3", now=at(LEASE + 1)) == [other]


async def test_sent_marks_are_written_for_a_batch_at_once(sessions: Sessions) -> None:
    ids = [await put(sessions, f"c{n}") for n in range(3)]
    assert await lease(sessions) == ids

    async with sessions() as session, session.begin():
        await outbox.mark_sent_many(session, {row_id: f"m{row_id}" for row_id in ids[:2]})

    marked = [await load(sessions, row_id) for row_id in ids]
    assert [(r.status, r.sent_message_id, r.lease_owner) for r in marked] == [
        ("sent", f"m{ids[0]}", None),
        ("sent", f"m{ids[1]}", None),
        ("pending", None, "w1"),
    ]


# --- rows handed over, set aside, brought forward -------------------------------------


async def ready_at(sessions: Sessions, row_id: int) -> datetime:
    return (await load(sessions, row_id)).ready_at


async def test_rows_handed_over_are_leased_by_id_when_they_may_go(sessions: Sessions) -> None:
    first, second, elsewhere = (
        await put(sessions, "c1"),
        await put(sessions, "c1"),
        await put(sessions, "c2"),
    )
    async with sessions() as session, session.begin():
        taken = await outbox.lease_rows(session, "w1", [second, elsewhere, first], T0, LEASE)
        assert [row.id for row in taken] == [first, elsewhere]
        assert await outbox.hold_back(session, T0, [second, elsewhere]) == 1

    assert await ready_at(sessions, second) == OUTBOX_BEHIND
    assert await ready_at(sessions, first) == at(LEASE)
    assert await lease(sessions, "w2", now=at(2 * LEASE)) == [first, elsewhere]  # in doubt
    async with sessions() as session, session.begin():
        assert await outbox.mark_sent_many(session, {first: "m1", elsewhere: "m2"}) == [second]
    assert await ready_at(sessions, second) == OUTBOX_NEW
    async with sessions() as session, session.begin():
        [again] = await outbox.lease_rows(session, "w2", [second], T0, LEASE)
    assert again.id == second


async def test_a_row_that_is_not_its_lanes_head_is_never_leased_by_id(sessions: Sessions) -> None:
    first, second = await put(sessions, "c1"), await put(sessions, "c1")
    async with sessions() as session, session.begin():
        assert await outbox.lease_rows(session, "w1", [second], T0, LEASE) == []
        assert await outbox.hold_back(session, T0, [first]) == 0  # the head stays ready
    assert await lease(sessions) == [first]
    async with sessions() as session, session.begin():
        assert await outbox.lease_rows(session, "w2", [first, second], at(1), LEASE) == []


async def test_a_lease_pass_moves_past_a_long_lane_once_it_is_set_aside(
    sessions: Sessions,
) -> None:
    """Each pass reads a bounded window of ready rows; rows waiting behind their lane's
    head are set aside a window at a time, and then no pass reads them again."""
    busy = [await put(sessions, "busy") for _ in range(3 * outbox.WINDOW)]
    calm = await put(sessions, "calm")
    assert await lease(sessions, limit=1) == [busy[0]]

    passes, set_aside = 0, []
    while True:
        async with sessions() as session, session.begin():
            moved = await outbox.hold_back(session, T0)
        if not moved:
            break
        passes += 1
        set_aside.append(moved)
    assert sum(set_aside) == len(busy) - 1
    assert passes <= len(busy) // outbox.WINDOW
    assert await lease(sessions, "w2") == [calm]
    assert {await ready_at(sessions, row_id) for row_id in busy[1:]} == {OUTBOX_BEHIND}

    await sent(sessions, busy[0])
    assert await lease(sessions, "w2") == [busy[1]]


async def test_a_parked_row_brings_its_lanes_next_row_forward(sessions: Sessions) -> None:
    first, second = await put(sessions, "c1"), await put(sessions, "c1")
    assert await lease(sessions) == [first]
    async with sessions() as session, session.begin():
        assert await outbox.hold_back(session, T0) == 1
        following = await outbox.mark_failed(
            session,
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
    assert await lease(sessions) == [second]


async def test_a_backoff_keeps_the_lane_set_aside_until_the_row_is_done(
    sessions: Sessions,
) -> None:
    first, second = await put(sessions, "c1"), await put(sessions, "c1")
    assert await lease(sessions) == [first]
    async with sessions() as session, session.begin():
        assert await outbox.hold_back(session, T0) == 1
    assert (await fail(sessions, first, retry_after=30)).ready_at == at(30)

    assert await lease(sessions, now=at(29)) == []
    assert await lease(sessions, now=at(30)) == [first]
    assert await ready_at(sessions, second) == OUTBOX_BEHIND


async def test_a_worker_whose_lease_was_taken_over_cannot_fail_or_defer_the_row(
    sessions: Sessions,
) -> None:
    row_id = await put(sessions, "c1")
    assert await lease(sessions, "w1") == [row_id]
    assert await lease(sessions, "w2", now=at(LEASE + 1)) == [row_id]
    before = await load(sessions, row_id)

    async with sessions() as session, session.begin():
        following = await outbox.mark_failed(
            session,
            row_id,
            0,
            "HTTP 502",
            at(LEASE + 2),
            owner="w1",
            retry_after=None,
            permanent=True,
            max_attempts=12,
        )
        await outbox.defer(session, row_id, at(LEASE + 2), 5.0, owner="w1")

    after = await load(sessions, row_id)
    assert following == []
    assert (after.status, after.attempts, after.lease_owner, after.due_at, after.ready_at) == (
        "pending",
        0,
        "w2",
        None,
        before.ready_at,
    )


async def test_workers_handing_rows_on_send_every_row_once_in_order(sessions: Sessions) -> None:
    """Rows handed to workers by id (as the intake does), the next row of a lane handed on
    by the sent mark, scans only when a worker has nothing in hand: every row goes out
    once, in order per lane, and none is left set aside behind a row that is gone."""
    chats = [f"chat-{n}" for n in range(5)]
    ids = [await put(sessions, chats[n % len(chats)]) for n in range(80)]
    hands: list[list[int]] = [ids[n::3] for n in range(3)]
    deliveries: list[tuple[str, int]] = []

    async def worker(owner: str, hand: list[int]) -> None:
        while await pending(sessions):
            async with sessions() as session, session.begin():
                if hand:
                    batch, hand[:] = hand[:4], hand[4:]
                    rows = await outbox.lease_rows(session, owner, batch, T0, LEASE)
                    taken = {row.id for row in rows}
                    await outbox.hold_back(session, T0, [i for i in batch if i not in taken])
                else:
                    rows = await outbox.lease_due(session, owner, T0, LEASE, 4)
                    await outbox.hold_back(session, T0)
                leased = [(row.chat_id, row.id) for row in rows]
            for chat, row_id in leased:
                deliveries.append((chat, row_id))
                async with sessions() as session, session.begin():
                    hand += await outbox.mark_sent_many(session, {row_id: f"m{row_id}"})
            await asyncio.sleep(0 if leased else 0.01)

    await asyncio.wait_for(
        asyncio.gather(*(worker(f"w{n}", hand) for n, hand in enumerate(hands))), 60
    )

    assert sorted(row_id for _, row_id in deliveries) == ids
    per_chat: dict[str, list[int]] = defaultdict(list)
    for chat, row_id in deliveries:
        per_chat[chat].append(row_id)
    assert all(order == sorted(order) for order in per_chat.values())
