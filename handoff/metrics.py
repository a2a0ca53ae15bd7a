"""The facts the report and the expected wait are computed from: questions to the bot
with their outcome, and tickets with their times and rating. Nothing personal is read:
ids, platforms, times, outcomes, ratings and the agents' own names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from handoff.models import Conversation, Message, Ticket
from handoff.states import QuestionOutcome, TicketStatus
from handoff.storage import Db


@dataclass(frozen=True, slots=True)
class Question:
    conversation_id: int
    platform: str
    outcome: QuestionOutcome
    asked_at: datetime


@dataclass(frozen=True, slots=True)
class TicketFacts:
    id: int
    conversation_id: int
    platform: str
    status: TicketStatus
    agent_id: str | None
    agent_name: str | None
    created_at: datetime
    first_reply_at: datetime | None
    resolved_at: datetime | None
    rating: int | None


async def questions(db: Db, since: datetime | None = None) -> list[Question]:
    """Every customer message that was a question to the bot, asked at or after `since`."""
    statement = (
        select(Message.conversation_id, Conversation.platform, Message.outcome, Message.created_at)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.outcome.is_not(None))
        .order_by(Message.created_at, Message.id)
    )
    if since is not None:
        statement = statement.where(Message.created_at >= since)
    rows = await db.execute(statement)
    return [
        Question(conversation_id, platform, outcome, asked_at)
        for conversation_id, platform, outcome, asked_at in rows.tuples()
        if outcome is not None
    ]


async def tickets(db: Db, since: datetime | None = None) -> list[TicketFacts]:
    """Every ticket opened at or after `since`, oldest first."""
    statement = (
        select(
            Ticket.id,
            Ticket.conversation_id,
            Conversation.platform,
            Ticket.status,
            Ticket.agent_id,
            Ticket.agent_name,
            Ticket.created_at,
            Ticket.first_reply_at,
            Ticket.resolved_at,
            Ticket.rating,
        )
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .order_by(Ticket.created_at, Ticket.id)
    )
    if since is not None:
        statement = statement.where(Ticket.created_at >= since)
    rows = await db.execute(statement)
    return [TicketFacts(*row) for row in rows.tuples()]


_FIRST_RESPONSES = (
    select(Ticket.created_at, Ticket.first_reply_at)
    .where(Ticket.first_reply_at.is_not(None))
    .order_by(Ticket.created_at.desc())
)


async def first_responses(db: Db, since: datetime, limit: int) -> list[tuple[datetime, datetime]]:
    """(opened, first replied) of the newest `limit` tickets opened since `since` that
    have an agent's reply."""
    rows = await db.execute(_FIRST_RESPONSES.where(Ticket.created_at >= since).limit(limit))
    return [(opened, replied) for opened, replied in rows.tuples() if replied is not None]
