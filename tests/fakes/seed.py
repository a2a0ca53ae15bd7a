"""Customers waiting for a person: conversations with an open ticket, for tests and benches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handoff import tickets
from handoff.conversations import arrive, save
from handoff.states import TicketPriority, TicketReason
from handoff.storage import make_engine, make_sessions


async def seed_ticket(
    session: AsyncSession,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    display_name: str,
    staff_platform: str,
    staff_chat_id: str,
    now: datetime,
    priority: str = "normal",
    misses: int = 0,
) -> int:
    """A customer's new conversation, `misses` unanswered questions in, with an open ticket
    they asked for; returns the ticket id."""
    conversation, _ = await arrive(
        session,
        platform=platform,
        chat_id=chat_id,
        user_id=user_id,
        display_name=display_name,
        locale="en",
        now=now,
        since=now,
    )
    conversation.misses = misses
    ticket = await tickets.open_ticket(
        session,
        conversation,
        reason=TicketReason.ASKED,
        priority=TicketPriority(priority),
        staff_platform=staff_platform,
        staff_chat_id=staff_chat_id,
        now=now,
    )
    await save(session, conversation)
    return ticket.id


async def seed_tickets(
    url: str, count: int, *, platform: str, staff_chat_id: str, now: datetime
) -> list[int]:
    """`count` customers, each with an open ticket, in one transaction; the schema must
    exist. Returns the ticket ids in the order created."""
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            return [
                await seed_ticket(
                    session,
                    platform=platform,
                    chat_id=f"chat-{n}",
                    user_id=f"customer-{n}",
                    display_name=f"Customer {n}",
                    staff_platform=platform,
                    staff_chat_id=staff_chat_id,
                    now=now,
                )
                for n in range(count)
            ]
    finally:
        await engine.dispose()
