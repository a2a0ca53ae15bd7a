"""The transcript: what the customer, the bot and the agents said, and agents' notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.models import Conversation, Message
from handoff.states import MessageKind


def record(
    session: AsyncSession,
    *,
    conversation_id: int,
    ticket_id: int | None,
    kind: MessageKind,
    author: str,
    text: str,
    now: datetime,
) -> None:
    """Add one line to the conversation's transcript (written with the transaction)."""
    session.add(
        Message(
            conversation_id=conversation_id,
            ticket_id=ticket_id,
            kind=kind,
            author=author,
            text=text,
            created_at=now,
        )
    )


async def customer_lines(
    session: AsyncSession, conversation_id: int, *, until: datetime, limit: int
) -> list[Message]:
    """The customer's last `limit` messages written at or before `until`, oldest first."""
    rows = await session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.kind == MessageKind.CUSTOMER,
            Message.created_at <= until,
        )
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


async def customer_count_since(session: AsyncSession, conversation_id: int, since: datetime) -> int:
    """How many messages the customer wrote since `since` (held ones included)."""
    number = await session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.kind.in_((MessageKind.CUSTOMER, MessageKind.HELD)),
            Message.created_at >= since,
        )
    )
    return int(number or 0)


async def release_held(session: AsyncSession, conversation_id: int) -> list[Message]:
    """The conversation's held messages, oldest first, now part of the transcript."""
    held = list(
        await session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.kind == MessageKind.HELD)
            .order_by(Message.id)
        )
    )
    for message in held:
        message.kind = MessageKind.CUSTOMER
    return held


async def conversations_holding(
    session: AsyncSession, written_before: datetime, limit: int = 200
) -> list[tuple[Conversation, int]]:
    """Conversations whose newest held message is older than `written_before`, with the
    id of that message (the customer has stopped flooding: time to relay the batch)."""
    newest = (
        select(Message.conversation_id, func.max(Message.id).label("last_id"))
        .where(Message.kind == MessageKind.HELD)
        .group_by(Message.conversation_id)
        .having(func.max(Message.created_at) < written_before)
        .limit(limit)
        .subquery()
    )
    rows = await session.execute(
        select(Conversation, newest.c.last_id).join(
            newest, newest.c.conversation_id == Conversation.id
        )
    )
    return [(conversation, int(last_id)) for conversation, last_id in rows.tuples()]
