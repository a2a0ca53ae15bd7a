"""Tickets whose time is up: waiting unclaimed, or silent since the agent's last reply.

Each finder is one statement. Tickets are found by `ix_tickets_status_created` (status,
then a created_at bound: a ticket cannot have waited, or been answered, before it was
created); their transcript lines by the conversation's index on `messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from handoff.models import Conversation, Message, Ticket
from handoff.states import MessageKind, TicketStatus
from handoff.storage import Db

BATCH = 200
# What the customer wrote (a message held by flood control counts: they did answer).
CUSTOMER_KINDS = (MessageKind.CUSTOMER, MessageKind.HELD)


@dataclass(frozen=True)
class Customer:
    """Where a ticket's customer talks to the bot (the lane of their conversation)."""

    platform: str
    chat_id: str
    thread_id: str | None
    user_id: str
    display_name: str


@dataclass(frozen=True)
class Waiting:
    """An open ticket nobody has claimed."""

    ticket_id: int
    created_at: datetime
    customer: Customer


@dataclass(frozen=True)
class Silent:
    """A claimed ticket whose customer has not written since the agent's last reply."""

    ticket_id: int
    reply_id: int  # the transcript line of the agent's last reply
    replied_at: datetime
    customer: Customer


_CUSTOMER = (
    Conversation.platform,
    Conversation.chat_id,
    Conversation.thread_id,
    Conversation.user_id,
    Conversation.display_name,
)


async def unclaimed(db: Db, created_before: datetime, limit: int = BATCH) -> list[Waiting]:
    """Open tickets created at or before `created_before`, oldest first."""
    rows = await db.execute(
        select(Ticket.id, Ticket.created_at, *_CUSTOMER)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(Ticket.status == TicketStatus.OPEN, Ticket.created_at <= created_before)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return [Waiting(row[0], row[1], Customer(*row[2:])) for row in rows.tuples()]


async def silent(
    db: Db, replied_before: datetime, *, ticket_id: int | None = None, limit: int = BATCH
) -> list[Silent]:
    """Claimed tickets whose agent's last reply was at or before `replied_before` and
    which the customer has not answered since; `ticket_id`: only that ticket."""
    query = _silent(replied_before).limit(limit)
    if ticket_id is not None:
        query = query.where(Ticket.id == ticket_id)
    rows = await db.execute(query)
    return [Silent(row[0], row[1], row[2], Customer(*row[3:])) for row in rows.tuples()]


def _silent(
    replied_before: datetime,
) -> Select[tuple[int, int, datetime, str, str, str | None, str, str]]:
    reply = aliased(Message)
    later = aliased(Message)
    last_reply = (
        select(func.max(Message.id))
        .where(
            Message.conversation_id == Ticket.conversation_id,
            Message.ticket_id == Ticket.id,
            Message.kind == MessageKind.AGENT,
        )
        .correlate(Ticket)
        .scalar_subquery()
    )
    answered = (
        select(later.id)
        .where(
            later.conversation_id == Ticket.conversation_id,
            later.ticket_id == Ticket.id,
            later.kind.in_(CUSTOMER_KINDS),
            later.id > reply.id,
        )
        .correlate(Ticket, reply)
        .exists()
    )
    return (
        select(Ticket.id, reply.id, reply.created_at, *_CUSTOMER)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .join(reply, reply.id == last_reply)
        .where(
            Ticket.status == TicketStatus.CLAIMED,
            Ticket.created_at <= replied_before,
            reply.created_at <= replied_before,
            ~answered,
        )
        .order_by(Ticket.created_at, Ticket.id)
    )


async def written_since(db: Db, conversation_id: int, ticket_id: int, since: datetime) -> int:
    """How many messages the customer wrote under `ticket_id` at or after `since`."""
    count = await db.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.ticket_id == ticket_id,
            Message.kind.in_(CUSTOMER_KINDS),
            Message.created_at >= since,
        )
    )
    return int(count or 0)
