"""Finding tickets whose time is up, on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from datetime import datetime, timedelta

from handoff import messages, ticket_timers, tickets
from handoff.states import MessageKind
from tests.fakes.seed import seed_ticket
from tests.handoff.conftest import Sessions

T0 = datetime(2026, 3, 2, 10, 0)


async def new_ticket(sessions: Sessions, user: str, at: datetime = T0) -> int:
    async with sessions() as session, session.begin():
        return await seed_ticket(
            session,
            platform="telegram",
            chat_id=f"chat-{user}",
            user_id=user,
            display_name=user.title(),
            staff_platform="slack",
            staff_chat_id="C-staff",
            now=at,
        )


async def claim(sessions: Sessions, ticket_id: int) -> None:
    async with sessions() as session, session.begin():
        assert await tickets.claim(session, ticket_id, "alex", "Alex", T0)


async def write(sessions: Sessions, ticket_id: int, kind: MessageKind, at: datetime) -> None:
    """A transcript line of the ticket's conversation."""
    async with sessions() as session, session.begin():
        ticket = await tickets.get_ticket(session, ticket_id)
        assert ticket is not None
        line = messages.line(
            conversation_id=ticket.conversation_id,
            ticket_id=ticket_id,
            kind=kind,
            author="someone",
            text="text",
            now=at,
        )
        await messages.write(session, [line])


async def silent_ids(sessions: Sessions, before: datetime, **only: int) -> list[int]:
    async with sessions() as session:
        return [s.ticket_id for s in await ticket_timers.silent(session, before, **only)]


async def test_unclaimed_finds_open_tickets_old_enough_oldest_first(sessions: Sessions) -> None:
    newer = await new_ticket(sessions, "newer", T0 + timedelta(minutes=5))
    older = await new_ticket(sessions, "older")
    claimed = await new_ticket(sessions, "claimed")
    await claim(sessions, claimed)
    await new_ticket(sessions, "fresh", T0 + timedelta(minutes=20))

    async with sessions() as session:
        found = await ticket_timers.unclaimed(session, T0 + timedelta(minutes=10))
    assert [w.ticket_id for w in found] == [older, newer]
    assert found[0].created_at == T0
    customer = found[0].customer
    assert (customer.platform, customer.chat_id, customer.user_id) == (
        "telegram",
        "chat-older",
        "older",
    )
    assert customer.display_name == "Older"


async def test_silent_means_claimed_replied_long_enough_ago_and_not_answered(
    sessions: Sessions,
) -> None:
    replied = T0 + timedelta(minutes=10)
    quiet = await new_ticket(sessions, "quiet")
    answered = await new_ticket(sessions, "answered")
    asked_first = await new_ticket(sessions, "asked-first")
    unreplied = await new_ticket(sessions, "unreplied")
    held = await new_ticket(sessions, "held")
    for ticket in (quiet, answered, asked_first, unreplied, held):
        await claim(sessions, ticket)
    for ticket in (quiet, answered, asked_first, held):
        await write(sessions, ticket, MessageKind.CUSTOMER, T0)
        await write(sessions, ticket, MessageKind.AGENT, replied)
    await write(sessions, answered, MessageKind.CUSTOMER, replied + timedelta(minutes=1))
    await write(sessions, held, MessageKind.HELD, replied + timedelta(minutes=1))
    await write(sessions, asked_first, MessageKind.NOTE, replied + timedelta(minutes=1))
    await write(sessions, unreplied, MessageKind.CUSTOMER, T0)

    hours_later = replied + timedelta(hours=3)
    assert await silent_ids(sessions, hours_later) == [quiet, asked_first]
    assert await silent_ids(sessions, replied - timedelta(seconds=1)) == []
    assert await silent_ids(sessions, hours_later, ticket_id=asked_first) == [asked_first]

    # A newer reply restarts the wait; the finder names the reply it counts from.
    later_reply = replied + timedelta(hours=2)
    await write(sessions, quiet, MessageKind.AGENT, later_reply)
    assert await silent_ids(sessions, later_reply - timedelta(minutes=1)) == [asked_first]
    async with sessions() as session:
        first, second = await ticket_timers.silent(session, hours_later)
    assert (first.ticket_id, first.replied_at) == (quiet, later_reply)
    assert first.reply_id > second.reply_id


async def test_resolved_tickets_are_never_silent(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions, "done")
    await claim(sessions, ticket)
    await write(sessions, ticket, MessageKind.AGENT, T0)
    async with sessions() as session, session.begin():
        assert await tickets.resolve(session, ticket, "alex", T0 + timedelta(minutes=1))
    assert await silent_ids(sessions, T0 + timedelta(days=1)) == []


async def test_written_since_counts_the_customers_lines_of_that_ticket(sessions: Sessions) -> None:
    ticket = await new_ticket(sessions, "dana")
    other = await new_ticket(sessions, "eve")
    resolved = T0 + timedelta(minutes=30)
    await write(sessions, ticket, MessageKind.CUSTOMER, T0)
    await write(sessions, ticket, MessageKind.BOT, resolved)
    await write(sessions, other, MessageKind.CUSTOMER, resolved)
    async with sessions() as session:
        ticket_row = await tickets.get_ticket(session, ticket)
        assert ticket_row is not None
        conversation = ticket_row.conversation_id
        assert await ticket_timers.written_since(session, conversation, ticket, resolved) == 0
    await write(sessions, ticket, MessageKind.CUSTOMER, resolved)
    async with sessions() as session:
        assert await ticket_timers.written_since(session, conversation, ticket, resolved) == 1
