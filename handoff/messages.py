"""The transcript: what the customer, the bot and the agents said, and agents' notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.models import Conversation, Message
from handoff.states import MessageKind, QuestionOutcome
from handoff.storage import Db

TABLE = cast(Table, Message.__table__)


def line(
    *,
    conversation_id: int,
    ticket_id: int | None,
    kind: MessageKind,
    author: str,
    text: str,
    now: datetime,
    outcome: QuestionOutcome | None = None,
) -> dict[str, Any]:
    """One line of a conversation's transcript, as `write` takes it (`outcome`: what
    the bot did with it, when it was a question; may be set until it is written)."""
    return {
        "conversation_id": conversation_id,
        "ticket_id": ticket_id,
        "kind": kind,
        "author": author,
        "text": text,
        "outcome": outcome,
        "created_at": now,
    }


_INSERT = insert(TABLE)


async def write(db: Db, lines: Sequence[dict[str, Any]]) -> None:
    """Add `lines` to the transcript in one statement."""
    if lines:
        await db.execute(_INSERT, list(lines))


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
