"""The inbox: every received event is a row before the platform is acknowledged.

A row is written in a short transaction of its own; the platform is told "got it"
only after that commit, so a crash loses nothing. Rows are processed per lane (one
conversation's chat or thread) in id order, one at a time, and a row is marked done
in the same transaction as the state change it caused: an event is handled exactly
once, however often the platform delivers it and however many processes receive it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.models import InboxRow
from handoff.states import InboxStatus
from handoff.storage import changed_one


async def store(
    session: AsyncSession,
    *,
    platform: str,
    chat_id: str,
    event_key: str,
    lane: str,
    payload: dict[str, Any],
    now: datetime,
) -> int | None:
    """Insert the event; its new row id, or None when it was stored before."""
    values = {
        "received_at": now,
        "platform": platform,
        "chat_id": chat_id,
        "event_key": event_key,
        "lane": lane,
        "payload": payload,
        "status": InboxStatus.PENDING,
        "attempts": 0,
    }
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(InboxRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["platform", "chat_id", "event_key"])
        .returning(InboxRow.id)
    )
    new_id: int | None = await session.scalar(statement)
    return new_id


async def lock_lane(session: AsyncSession, lane: str) -> None:
    """Serialize the lane across processes until this transaction ends (PostgreSQL).

    SQLite takes one writer at a time anyway; in one process the intake also keeps a
    lane to one task, so this matters only with several processes on PostgreSQL.
    """
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lane))"), {"lane": lane})


async def next_in_lane(session: AsyncSession, lane: str) -> InboxRow | None:
    """The oldest pending row of `lane`, or None when the lane is empty."""
    row: InboxRow | None = await session.scalar(
        select(InboxRow)
        .where(InboxRow.lane == lane, InboxRow.status == InboxStatus.PENDING)
        .order_by(InboxRow.id)
        .limit(1)
    )
    return row


async def take(session: AsyncSession, row_id: int, now: datetime) -> bool:
    """Mark a pending row done inside the transaction that handles it; False if it
    was not pending (another process handled it first)."""
    result = await session.execute(
        update(InboxRow)
        .where(InboxRow.id == row_id, InboxRow.status == InboxStatus.PENDING)
        .values(status=InboxStatus.DONE, done_at=now)
    )
    return changed_one(result)


async def record_failure(
    session: AsyncSession, row_id: int, error: str, now: datetime, *, give_up_after: int
) -> bool:
    """Count a failed attempt; after `give_up_after` the row is parked. True if parked."""
    row = await session.get(InboxRow, row_id)
    if row is None or row.status != InboxStatus.PENDING:
        return False
    row.attempts += 1
    row.last_error = error[:2000]
    if row.attempts >= give_up_after:
        row.status = InboxStatus.FAILED
        row.done_at = now
    return row.status == InboxStatus.FAILED


async def probe_write(session: AsyncSession) -> None:
    """A write that changes nothing: rewrites the newest row's attempts as they are."""
    newest = select(func.max(InboxRow.id)).scalar_subquery()
    await session.execute(
        update(InboxRow).where(InboxRow.id == newest).values(attempts=InboxRow.attempts)
    )


async def pending_lanes(session: AsyncSession, limit: int) -> Sequence[str]:
    """Lanes with pending rows, those waiting longest first (recovery after a crash)."""
    lanes = await session.scalars(
        select(InboxRow.lane)
        .where(InboxRow.status == InboxStatus.PENDING)
        .group_by(InboxRow.lane)
        .order_by(func.min(InboxRow.id))
        .limit(limit)
    )
    return list(lanes)


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(InboxRow.status, func.count()).group_by(InboxRow.status))
    found = {str(status): int(number) for status, number in rows.tuples()}
    return {status.value: found.get(status.value, 0) for status in InboxStatus}


async def prune_done(session: AsyncSession, now: datetime, keep: timedelta) -> int:
    """Forget handled rows older than `keep` (platforms redeliver within minutes to a day)."""
    result = await session.execute(
        delete(InboxRow).where(InboxRow.status == InboxStatus.DONE, InboxRow.done_at < now - keep)
    )
    return int(getattr(result, "rowcount", 0) or 0)
