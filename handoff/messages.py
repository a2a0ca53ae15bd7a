"""The transcript: what the customer, the bot and the agents said, and agents' notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.models import Message
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
