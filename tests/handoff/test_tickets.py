"""The agent queue's transitions, on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from datetime import datetime, timedelta

from handoff import tickets
from handoff.models import Conversation, Ticket
from tests.fakes.seed import seed_ticket
from tests.handoff.conftest import Sessions

T0 = datetime(2026, 3, 2, 10, 0)


async def new_ticket(
    sessions: Sessions, user: str, *, priority: str = "normal", at: datetime = T0
) -> int:
    """A customer's conversation with a fresh open ticket; returns the ticket id."""
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
            priority=priority,
            misses=2,
        )


async def load(sessions: Sessions, ticket_id: int) -> tuple[Ticket, Conversation]:
    async with sessions() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        conversation = await session.get(Conversation, ticket.conversation_id)
        assert conversation is not None
        return ticket, conversation


async def claim(sessions: Sessions, ticket_id: int, agent: str) -> bool:
    async with sessions() as session, session.begin():
        return await tickets.claim(session, ticket_id, agent, agent.title(), T0)


async def release(sessions: Sessions, ticket_id: int, agent: str) -> bool:
    async with sessions() as session, session.begin():
        return await tickets.release(session, ticket_id, agent)


async def resolve(sessions: Sessions, ticket_id: int, agent: str) -> bool:
    async with sessions() as session, session.begin():
        return await tickets.resolve(session, ticket_id, agent, T0 + timedelta(minutes=9))


async def rate(sessions: Sessions, ticket_id: int, rating: int) -> bool:
    async with sessions() as session, session.begin():
        return await tickets.rate(session, ticket_id, rating)


# --- opening and the queue ---------------------------------------------------------------


async def test_open_ticket_queues_the_conversation(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions, "ana")

    ticket, conversation = await load(sessions, ticket_id)
    assert (ticket.status, ticket.reason, ticket.priority) == ("open", "asked", "normal")
    assert (ticket.card_platform, ticket.card_chat_id) == ("slack", "C-staff")
    assert ticket.agent_id is None and ticket.card_message_id is None
    assert conversation.state == "queued"
    assert conversation.ticket_id == ticket_id
    assert conversation.misses == 0


async def test_queue_position_puts_high_priority_first_then_oldest(sessions: Sessions) -> None:
    early = await new_ticket(sessions, "ana", at=T0)
    later = await new_ticket(sessions, "ben", at=T0 + timedelta(minutes=1))
    urgent = await new_ticket(sessions, "cem", priority="high", at=T0 + timedelta(minutes=2))
    urgent_later = await new_ticket(sessions, "dua", priority="high", at=T0 + timedelta(minutes=3))
    taken = await new_ticket(sessions, "eli", at=T0 - timedelta(minutes=5))
    assert await claim(sessions, taken, "agent-1")

    async with sessions() as session:
        positions = {
            ticket_id: await tickets.queue_position(session, ticket)
            for ticket_id in (early, later, urgent, urgent_later)
            if (ticket := await session.get(Ticket, ticket_id)) is not None
        }
        queue = [ticket.id for ticket in await tickets.open_tickets(session)]

    assert positions == {urgent: 1, urgent_later: 2, early: 3, later: 4}
    assert queue == [urgent, urgent_later, early, later]


async def test_tickets_opened_at_the_same_instant_get_distinct_places(sessions: Sessions) -> None:
    first = await new_ticket(sessions, "ana", at=T0)
    second = await new_ticket(sessions, "ben", at=T0)

    async with sessions() as session:
        places = [
            await tickets.queue_position(session, ticket)
            for ticket_id in (first, second)
            if (ticket := await session.get(Ticket, ticket_id)) is not None
        ]
        queue = [ticket.id for ticket in await tickets.open_tickets(session)]

    assert places == [1, 2]
    assert queue == [first, second]


# --- claim, release, transfer, resolve ---------------------------------------------------


async def test_the_first_claim_wins_and_the_second_loses(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions, "ana")

    assert await claim(sessions, ticket_id, "agent-1")
    assert not await claim(sessions, ticket_id, "agent-2")
    assert not await claim(sessions, ticket_id, "agent-1")

    ticket, conversation = await load(sessions, ticket_id)
    assert (ticket.status, ticket.agent_id, ticket.agent_name) == ("claimed", "agent-1", "Agent-1")
    assert ticket.claimed_at == T0
    assert conversation.state == "agent"


async def test_claiming_a_ticket_that_does_not_exist_loses(sessions: Sessions) -> None:
    assert not await claim(sessions, 999, "agent-1")


async def test_only_the_holder_can_release(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions, "ana")
    assert not await release(sessions, ticket_id, "agent-1")  # open: nothing to release
    assert await claim(sessions, ticket_id, "agent-1")

    assert not await release(sessions, ticket_id, "agent-2")
    assert (await load(sessions, ticket_id))[0].agent_id == "agent-1"

    assert await release(sessions, ticket_id, "agent-1")
    ticket, conversation = await load(sessions, ticket_id)
    assert (ticket.status, ticket.agent_id, ticket.agent_name, ticket.claimed_at) == (
        "open",
        None,
        None,
        None,
    )
    assert conversation.state == "queued"
    assert not await release(sessions, ticket_id, "agent-1")
    assert await claim(sessions, ticket_id, "agent-2")


async def test_transfer_moves_the_ticket_to_another_agent(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions, "ana")
    async with sessions() as session, session.begin():
        assert not await tickets.transfer(session, ticket_id, "agent-1", "agent-2", "Bo")
    assert await claim(sessions, ticket_id, "agent-1")

    async with sessions() as session, session.begin():
        assert not await tickets.transfer(session, ticket_id, "agent-3", "agent-2", "Bo")
        assert await tickets.transfer(session, ticket_id, "agent-1", "agent-2", "Bo")

    ticket, conversation = await load(sessions, ticket_id)
    assert (ticket.status, ticket.agent_id, ticket.agent_name) == ("claimed", "agent-2", "Bo")
    assert conversation.state == "agent"
    assert not await resolve(sessions, ticket_id, "agent-1")
    assert not await release(sessions, ticket_id, "agent-1")
    assert await resolve(sessions, ticket_id, "agent-2")


async def test_resolve_needs_the_ticket_claimed_by_that_agent(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions, "ana")
    assert not await resolve(sessions, ticket_id, "agent-1")  # still open
    assert await claim(sessions, ticket_id, "agent-1")
    assert not await resolve(sessions, ticket_id, "agent-2")

    assert await resolve(sessions, ticket_id, "agent-1")
    ticket, conversation = await load(sessions, ticket_id)
    assert ticket.status == "resolved"
    assert ticket.resolved_at == T0 + timedelta(minutes=9)
    assert conversation.state == "rating"
    assert not await resolve(sessions, ticket_id, "agent-1")
    assert not await claim(sessions, ticket_id, "agent-2")


# --- rating ------------------------------------------------------------------------------


async def test_rating_is_stored_once_only_on_a_resolved_ticket(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions, "ana")
    assert not await rate(sessions, ticket_id, 4)  # open
    assert await claim(sessions, ticket_id, "agent-1")
    assert not await rate(sessions, ticket_id, 4)  # claimed
    assert await resolve(sessions, ticket_id, "agent-1")

    assert not await rate(sessions, ticket_id, 0)
    assert not await rate(sessions, ticket_id, 6)
    assert await rate(sessions, ticket_id, 5)
    assert not await rate(sessions, ticket_id, 1)

    assert (await load(sessions, ticket_id))[0].rating == 5


async def test_every_rating_from_one_to_five_is_accepted(sessions: Sessions) -> None:
    resolved: dict[int, int] = {}
    for rating in range(1, 6):
        ticket_id = await new_ticket(sessions, f"user-{rating}")
        assert await claim(sessions, ticket_id, "agent-1")
        assert await resolve(sessions, ticket_id, "agent-1")
        resolved[ticket_id] = rating

    assert [await rate(sessions, t, r) for t, r in resolved.items()] == [True] * 5
    assert {t: (await load(sessions, t))[0].rating for t in resolved} == resolved


# --- finding a ticket from a staff-room message ------------------------------------------


async def test_ticket_for_thread_finds_the_ticket_by_its_thread(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions, "ana")
    other_id = await new_ticket(sessions, "ben")
    async with sessions() as session, session.begin():
        ticket = await session.get(Ticket, ticket_id)
        other = await session.get(Ticket, other_id)
        assert ticket is not None and other is not None
        ticket.thread_id = "1700.01"
        other.thread_id = "1700.02"

    async with sessions() as session:
        found = await tickets.ticket_for_thread(session, "slack", "C-staff", "1700.01", None)
        elsewhere = await tickets.ticket_for_thread(session, "slack", "C-other", "1700.01", None)
        other_platform = await tickets.ticket_for_thread(
            session, "discord", "C-staff", "1700.01", None
        )
        unknown = await tickets.ticket_for_thread(session, "slack", "C-staff", "1700.99", None)
        no_thread = await tickets.ticket_for_thread(session, "slack", "C-staff", None, None)

    assert found is not None and found.id == ticket_id
    assert elsewhere is None and other_platform is None
    assert unknown is None and no_thread is None


async def test_ticket_for_thread_follows_replies_to_remembered_messages(
    sessions: Sessions,
) -> None:
    ticket_id = await new_ticket(sessions, "ana")
    async with sessions() as session, session.begin():
        await tickets.remember_thread_message(session, "telegram", "-100", "41", ticket_id)
        await tickets.remember_thread_message(session, "telegram", "-100", "57", ticket_id)
    async with sessions() as session, session.begin():
        await tickets.remember_thread_message(session, "telegram", "-100", "41", ticket_id)

    async with sessions() as session:
        by_reply = await tickets.ticket_for_thread(session, "telegram", "-100", None, "57")
        by_message_as_thread = await tickets.ticket_for_thread(
            session, "telegram", "-100", "41", None
        )
        unknown_thread_known_reply = await tickets.ticket_for_thread(
            session, "telegram", "-100", "999", "41"
        )
        other_chat = await tickets.ticket_for_thread(session, "telegram", "-200", None, "57")
        unknown_reply = await tickets.ticket_for_thread(session, "telegram", "-100", None, "58")

    assert by_reply is not None and by_reply.id == ticket_id
    assert by_message_as_thread is not None and by_message_as_thread.id == ticket_id
    assert unknown_thread_known_reply is not None
    assert unknown_thread_known_reply.id == ticket_id
    assert other_chat is None and unknown_reply is None
