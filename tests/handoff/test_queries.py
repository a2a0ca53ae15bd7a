"""The named queries the flows and the delivery worker use instead of writing SQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from handoff import messages, tickets
from handoff.conversations import get_conversation
from handoff.models import Ticket
from handoff.states import ConversationState, MessageKind, TicketStatus
from tests.fakes.seed import seed_ticket
from tests.handoff.conftest import Sessions

T0 = datetime(2026, 3, 2, 10, 0)


async def new_ticket(sessions: Sessions) -> int:
    async with sessions() as session, session.begin():
        return await seed_ticket(
            session,
            platform="telegram",
            chat_id="chat-1",
            user_id="ana",
            display_name="Ana",
            staff_platform="slack",
            staff_chat_id="C-staff",
            now=T0,
        )


async def test_states_read_back_as_enum_members(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions)
    async with sessions() as session:
        ticket = await tickets.get_ticket(session, ticket_id)
        assert ticket is not None
        conversation = await get_conversation(session, ticket.conversation_id)

    assert ticket.status is TicketStatus.OPEN
    assert conversation.state is ConversationState.QUEUED


async def test_a_state_outside_its_enum_is_refused_before_it_is_written(
    sessions: Sessions,
) -> None:
    ticket_id = await new_ticket(sessions)
    with pytest.raises(StatementError, match="'lost' is not a valid TicketStatus"):
        async with sessions() as session, session.begin():
            ticket = await tickets.get_ticket(session, ticket_id)
            assert ticket is not None
            ticket.status = "lost"  # type: ignore[assignment]
    async with sessions() as session:
        stored = await session.scalar(text(f"SELECT status FROM tickets WHERE id = {ticket_id}"))
    assert stored == "open"


async def test_reread_sees_what_a_transition_changed_in_the_same_transaction(
    sessions: Sessions,
) -> None:
    ticket_id = await new_ticket(sessions)
    async with sessions() as session, session.begin():
        ticket = await tickets.get_ticket(session, ticket_id)
        assert ticket is not None
        assert await tickets.claim(session, ticket_id, "agent-1", "Alex", T0)
        stale = ticket.status
        fresh = await tickets.reread(session, ticket)
        conversation = await get_conversation(session, fresh.conversation_id)

    assert (stale, fresh.status, fresh.agent_name) == (TicketStatus.OPEN, "claimed", "Alex")
    assert conversation.state is ConversationState.AGENT


async def test_card_delivered_notes_the_card_and_its_thread(sessions: Sessions) -> None:
    ticket_id = await new_ticket(sessions)
    async with sessions() as session, session.begin():
        await tickets.card_delivered(session, ticket_id, "m-7", "t-7")
    async with sessions() as session:
        ticket = await session.get(Ticket, ticket_id)

    assert ticket is not None
    assert (ticket.card_message_id, ticket.thread_id) == ("m-7", "t-7")


async def test_customer_lines_are_the_latest_before_a_moment_oldest_first(
    sessions: Sessions,
) -> None:
    ticket_id = await new_ticket(sessions)
    async with sessions() as session, session.begin():
        ticket = await tickets.get_ticket(session, ticket_id)
        assert ticket is not None
        said = [
            (MessageKind.CUSTOMER, "one"),
            (MessageKind.BOT, "a bot line"),
            (MessageKind.CUSTOMER, "two"),
            (MessageKind.CUSTOMER, "three"),
            (MessageKind.CUSTOMER, "after the ticket"),
        ]
        await messages.write(
            session,
            [
                messages.line(
                    conversation_id=ticket.conversation_id,
                    ticket_id=None,
                    kind=kind,
                    author="Ana",
                    text=line,
                    now=T0 + timedelta(minutes=minute - 4),
                )
                for minute, (kind, line) in enumerate(said)
            ],
        )
    async with sessions() as session:
        lines = await messages.customer_lines(
            session, ticket.conversation_id, until=T0 - timedelta(minutes=1), limit=2
        )

    assert [m.text for m in lines] == ["two", "three"]
