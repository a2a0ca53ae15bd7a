"""The agent queue: create, claim (exactly once), release, transfer, resolve, rate.

Every transition is one conditional UPDATE on the ticket's current status, so two
agents, or two bot processes, racing for the same ticket can never both win.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.conversations import ConversationRow
from handoff.models import Conversation, ThreadMessage, Ticket
from handoff.states import ConversationState, TicketPriority, TicketReason, TicketStatus
from handoff.storage import changed_one


async def open_ticket(
    session: AsyncSession,
    conversation: ConversationRow,
    *,
    reason: TicketReason,
    priority: TicketPriority,
    staff_platform: str,
    staff_chat_id: str,
    now: datetime,
) -> Ticket:
    ticket = Ticket(
        conversation_id=conversation.id,
        status=TicketStatus.OPEN,
        reason=reason,
        priority=priority,
        card_platform=staff_platform,
        card_chat_id=staff_chat_id,
        created_at=now,
    )
    session.add(ticket)
    await session.flush()
    conversation.state = ConversationState.QUEUED
    conversation.ticket_id = ticket.id
    conversation.misses = 0
    return ticket


async def open_count_for_customer(session: AsyncSession, platform: str, user_id: str) -> int:
    """How many tickets this customer has open or claimed, across all their chats."""
    number = await session.scalar(
        select(func.count())
        .select_from(Ticket)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(
            Conversation.platform == platform,
            Conversation.user_id == user_id,
            Ticket.status.in_((TicketStatus.OPEN, TicketStatus.CLAIMED)),
        )
    )
    return int(number or 0)


async def get_ticket(session: AsyncSession, ticket_id: int) -> Ticket | None:
    """The ticket as the database has it now (re-read after a conditional UPDATE)."""
    return await session.get(Ticket, ticket_id, populate_existing=True)


async def reread(session: AsyncSession, ticket: Ticket) -> Ticket:
    """`ticket` as the database has it now, after this transaction's UPDATEs."""
    fresh = await get_ticket(session, ticket.id)
    if fresh is None:
        raise LookupError(f"ticket {ticket.id} is gone")
    return fresh


async def queue_position(session: AsyncSession, ticket: Ticket) -> int:
    """1-based place among open tickets, high priority first, then oldest first (the
    order of `open_tickets`; tickets opened at the same instant go by id)."""
    earlier = (Ticket.created_at < ticket.created_at) | (
        (Ticket.created_at == ticket.created_at) & (Ticket.id < ticket.id)
    )
    high = Ticket.priority == TicketPriority.HIGH
    ahead = select(func.count()).where(Ticket.status == TicketStatus.OPEN)
    if ticket.priority == TicketPriority.HIGH:
        ahead = ahead.where(high, earlier)
    else:
        ahead = ahead.where(high | (~high & earlier))
    count = (await session.execute(ahead)).scalar_one()
    return int(count) + 1


async def open_tickets(session: AsyncSession, limit: int = 20) -> list[Ticket]:
    rows = await session.execute(
        select(Ticket)
        .where(Ticket.status == TicketStatus.OPEN)
        .order_by((Ticket.priority == TicketPriority.HIGH).desc(), Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def claim(
    session: AsyncSession, ticket_id: int, agent_id: str, agent_name: str, now: datetime
) -> bool:
    """True for exactly one caller per open ticket."""
    return await _claim(session, ticket_id, (TicketStatus.OPEN,), agent_id, agent_name, now)


async def take_over(
    session: AsyncSession, ticket_id: int, agent_id: str, agent_name: str, now: datetime
) -> bool:
    """An admin takes a ticket that is open or claimed by anyone (not a resolved one)."""
    statuses = (TicketStatus.OPEN, TicketStatus.CLAIMED)
    return await _claim(session, ticket_id, statuses, agent_id, agent_name, now)


async def release(session: AsyncSession, ticket_id: int, agent_id: str) -> bool:
    return await _release(session, ticket_id, _held_by(ticket_id, agent_id))


async def release_any(session: AsyncSession, ticket_id: int) -> bool:
    """An admin puts a ticket back in the queue, whoever holds it."""
    claimed = and_(Ticket.id == ticket_id, Ticket.status == TicketStatus.CLAIMED)
    return await _release(session, ticket_id, claimed)


async def _claim(
    session: AsyncSession,
    ticket_id: int,
    statuses: tuple[TicketStatus, ...],
    agent_id: str,
    agent_name: str,
    now: datetime,
) -> bool:
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status.in_(statuses))
        .values(
            status=TicketStatus.CLAIMED, agent_id=agent_id, agent_name=agent_name, claimed_at=now
        )
        .execution_options(synchronize_session=False)
    )
    won = changed_one(result)
    if won:
        await _set_conversation_state(session, ticket_id, ConversationState.AGENT)
    return won


async def _release(session: AsyncSession, ticket_id: int, held: ColumnElement[bool]) -> bool:
    result = await session.execute(
        update(Ticket)
        .where(held)
        .values(status=TicketStatus.OPEN, agent_id=None, agent_name=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    released = changed_one(result)
    if released:
        await _set_conversation_state(session, ticket_id, ConversationState.QUEUED)
    return released


async def transfer(
    session: AsyncSession, ticket_id: int, from_agent: str, to_agent: str, to_name: str
) -> bool:
    result = await session.execute(
        update(Ticket)
        .where(_held_by(ticket_id, from_agent))
        .values(agent_id=to_agent, agent_name=to_name)
        .execution_options(synchronize_session=False)
    )
    return changed_one(result)


async def resolve(session: AsyncSession, ticket_id: int, agent_id: str, now: datetime) -> bool:
    result = await session.execute(
        update(Ticket)
        .where(_held_by(ticket_id, agent_id))
        .values(status=TicketStatus.RESOLVED, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    resolved = changed_one(result)
    if resolved:
        await _set_conversation_state(session, ticket_id, ConversationState.RATING)
    return resolved


async def rate(session: AsyncSession, ticket_id: int, rating: int) -> bool:
    """Store a 1-5 rating once, on a resolved ticket."""
    if not 1 <= rating <= 5:
        return False
    result = await session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id, Ticket.status == TicketStatus.RESOLVED, Ticket.rating.is_(None)
        )
        .values(rating=rating)
        .execution_options(synchronize_session=False)
    )
    return changed_one(result)


async def replied(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """An agent's reply went to the customer: the first one sets the ticket's first
    response time (a statement only for that first one)."""
    if ticket.first_reply_at is not None:
        return
    await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.first_reply_at.is_(None))
        .values(first_reply_at=now)
        .execution_options(synchronize_session=False)
    )


def _held_by(ticket_id: int, agent_id: str) -> ColumnElement[bool]:
    return and_(
        Ticket.id == ticket_id, Ticket.status == TicketStatus.CLAIMED, Ticket.agent_id == agent_id
    )


async def _set_conversation_state(
    session: AsyncSession, ticket_id: int, state: ConversationState
) -> None:
    await session.execute(
        update(Conversation)
        .where(Conversation.ticket_id == ticket_id)
        .values(state=state)
        .execution_options(synchronize_session=False)
    )


async def ticket_for_thread(
    session: AsyncSession,
    platform: str,
    chat_id: str,
    thread_id: str | None,
    reply_to: str | None,
) -> Ticket | None:
    """The ticket a staff-room message belongs to: by its thread, else by the message
    it replies to (reply chains), else None."""
    if thread_id is not None:
        found = await session.scalar(
            select(Ticket).where(
                Ticket.card_platform == platform,
                Ticket.card_chat_id == chat_id,
                Ticket.thread_id == thread_id,
            )
        )
        if found is not None:
            return found
    for message_id in (thread_id, reply_to):
        if message_id is None:
            continue
        known = await session.get(ThreadMessage, (platform, chat_id, message_id))
        if known is not None:
            return await session.get(Ticket, known.ticket_id)
    return None


async def remember_thread_message(
    session: AsyncSession, platform: str, chat_id: str, message_id: str, ticket_id: int
) -> None:
    if await session.get(ThreadMessage, (platform, chat_id, message_id)) is None:
        session.add(
            ThreadMessage(
                platform=platform, chat_id=chat_id, message_id=message_id, ticket_id=ticket_id
            )
        )


async def card_delivered(
    session: AsyncSession, ticket_id: int, message_id: str, thread_id: str | None
) -> None:
    """The ticket's card is out: where it is, and the thread it opened."""
    await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(card_message_id=message_id, thread_id=thread_id)
        .execution_options(synchronize_session=False)
    )
