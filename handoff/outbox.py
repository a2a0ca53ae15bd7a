"""The outbox: messages decided inside a transaction, delivered afterwards.

A row is written in the same transaction as the state change that decided it, so a
crash between deciding and sending loses nothing: the row is still pending and the
next worker (in this or another process) sends it. Workers lease rows for a while;
an expired lease means the worker died and the row is up for grabs again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.db import changed_one
from handoff.models import OutboxRow

BACKOFF_CAP_SECONDS = 300.0


def enqueue(
    session: AsyncSession,
    *,
    target: str,
    platform: str,
    chat_id: str,
    payload: dict[str, Any],
    now: datetime,
    thread_id: str | None = None,
    ticket_id: int | None = None,
) -> OutboxRow:
    row = OutboxRow(
        target=target,
        platform=platform,
        chat_id=chat_id,
        thread_id=thread_id,
        ticket_id=ticket_id,
        payload=payload,
        status="pending",
        attempts=0,
        due_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def destination(row: OutboxRow) -> tuple[str, str, str]:
    """Rows to one destination are delivered in order: a later one waits for earlier ones."""
    if row.ticket_id is not None and row.target != "address":
        return (row.platform, row.chat_id, f"ticket:{row.ticket_id}")
    return (row.platform, row.chat_id, row.thread_id or "")


async def lease_due(
    session: AsyncSession, owner: str, now: datetime, lease_seconds: float, limit: int
) -> list[OutboxRow]:
    """Take up to `limit` deliverable rows, oldest first, for `owner`.

    A row is deliverable when it is pending, unleased (or its lease expired), due,
    and no earlier pending row goes to the same destination.
    """
    free = or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now)
    query = (
        select(OutboxRow)
        .where(OutboxRow.status == "pending")
        .order_by(OutboxRow.id)
        .limit(limit * 4)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list((await session.execute(query)).scalars())
    blocked: set[tuple[str, str, str]] = set()
    taken: list[OutboxRow] = []
    for row in candidates:
        key = destination(row)
        if key in blocked:
            continue
        blocked.add(key)
        lease_free = row.lease_until is None or row.lease_until < now
        if row.due_at > now or not lease_free:
            continue
        won = await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row.id, OutboxRow.status == "pending", free)
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        if changed_one(won):
            taken.append(row)
            if len(taken) >= limit:
                break
    return taken


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows by status: pending, sent, parked."""
    rows = await session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
    return {str(status): int(n) for status, n in rows.all()}


async def pending_count(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending")
    )
    return int(count or 0)


async def card_parked(session: AsyncSession, ticket_id: int) -> bool:
    """Whether the ticket's card failed for good (its thread will never exist)."""
    parked = await session.scalar(
        select(OutboxRow.id).where(
            OutboxRow.ticket_id == ticket_id,
            OutboxRow.target == "ticket_card",
            OutboxRow.status == "parked",
        )
    )
    return parked is not None


async def mark_sent(session: AsyncSession, row_id: int, message_id: str) -> None:
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == row_id)
        .values(status="sent", sent_message_id=message_id, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def mark_failed(
    session: AsyncSession,
    row_id: int,
    attempts: int,
    error: str,
    now: datetime,
    *,
    retry_after: float | None,
    permanent: bool,
    max_attempts: int,
) -> None:
    """Back off exponentially (or as the platform asked); park after `max_attempts`."""
    attempts += 1
    parked = permanent or attempts >= max_attempts
    delay = min(BACKOFF_CAP_SECONDS, 0.5 * 2 ** (attempts - 1))
    if retry_after is not None:
        delay = max(delay, retry_after)
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == row_id)
        .values(
            status="parked" if parked else "pending",
            attempts=attempts,
            last_error=error[:2000],
            due_at=now + timedelta(seconds=delay),
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )


async def defer(session: AsyncSession, row_id: int, now: datetime, seconds: float) -> None:
    """Not deliverable yet (the ticket's thread does not exist yet): try again soon."""
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == row_id)
        .values(due_at=now + timedelta(seconds=seconds), lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
