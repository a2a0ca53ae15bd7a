"""The inbox: every received event is a row before the platform is acknowledged.

A row is written in a short transaction of its own; the platform is told "got it"
only after that commit, so a crash loses nothing. Rows are processed per lane (one
conversation's chat or thread) in id order, one at a time, and a row is marked done
in the same transaction as the state change it caused: an event is handled exactly
once, however often the platform delivers it and however many processes receive it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, func, select, update

from handoff.models import InboxRow
from handoff.states import InboxStatus
from handoff.storage import Db, changed_one, insert_returning

TABLE = cast(Table, InboxRow.__table__)


# Built once (building and keying a statement costs more than running it).
_TAKE_NEXT = (
    update(TABLE)
    .where(
        TABLE.c.id
        == select(TABLE.c.id)
        .where(TABLE.c.lane == bindparam("in_lane"), TABLE.c.status == InboxStatus.PENDING)
        .order_by(TABLE.c.id)
        .limit(1)
        .scalar_subquery(),
        TABLE.c.status == InboxStatus.PENDING,
    )
    .values(status=InboxStatus.DONE, done_at=bindparam("done_now"))
    .returning(TABLE.c.id, TABLE.c.payload)
)


@dataclass(frozen=True)
class Received:
    """An event as `store` takes it."""

    platform: str
    chat_id: str
    event_key: str
    lane: str
    payload: dict[str, Any]


async def store(db: Db, events: Sequence[Received], now: datetime) -> list[int | None]:
    """Insert `events` in one statement; for each, its new row id, or None when it was
    stored before (or earlier in `events`)."""
    if not events:
        return []
    rows = [
        {
            "received_at": now,
            "platform": event.platform,
            "chat_id": event.chat_id,
            "event_key": event.event_key,
            "lane": event.lane,
            "payload": event.payload,
            "status": InboxStatus.PENDING,
            "attempts": 0,
        }
        for event in events
    ]
    stored = await insert_returning(
        db,
        TABLE,
        rows,
        on_conflict="ON CONFLICT (platform, chat_id, event_key) DO NOTHING",
        returning=("id", "platform", "chat_id", "event_key"),
    )
    new = {(platform, chat_id, key): row_id for row_id, platform, chat_id, key in stored}
    return [new.pop((event.platform, event.chat_id, event.event_key), None) for event in events]


async def take_next(db: Db, lane: str, now: datetime) -> tuple[int, dict[str, Any]] | None:
    """Mark the oldest pending row of `lane` done inside the transaction that handles it;
    its id and payload, or None when the lane is empty. One statement.

    The row stays locked until that transaction ends, so a lane is handled by one
    process at a time, in order: another process trying the same lane waits for the
    lock and then finds the row done (None: it leaves the lane to the first)."""
    row = (await db.execute(_TAKE_NEXT, {"in_lane": lane, "done_now": now})).first()
    return None if row is None else (row[0], row[1])


async def take(db: Db, row_id: int, now: datetime) -> bool:
    """Mark a pending row done inside the transaction that handles it; False if it
    was not pending (another process handled it first)."""
    result = await db.execute(
        update(TABLE)
        .where(TABLE.c.id == row_id, TABLE.c.status == InboxStatus.PENDING)
        .values(status=InboxStatus.DONE, done_at=now)
    )
    return changed_one(result)


async def record_failure(
    db: Db, row_id: int, error: str, now: datetime, *, give_up_after: int
) -> bool:
    """Count a failed attempt; after `give_up_after` the row is parked. True if parked."""
    gives_up = TABLE.c.attempts + 1 >= give_up_after
    status = (
        await db.execute(
            update(TABLE)
            .where(TABLE.c.id == row_id, TABLE.c.status == InboxStatus.PENDING)
            .values(
                attempts=TABLE.c.attempts + 1,
                last_error=error[:2000],
                status=case((gives_up, InboxStatus.FAILED.value), else_=InboxStatus.PENDING.value),
                done_at=case((gives_up, now), else_=None),
            )
            .returning(TABLE.c.status)
        )
    ).scalar()
    return status == InboxStatus.FAILED


async def probe_write(db: Db) -> None:
    """A write that changes nothing: rewrites the newest row's attempts as they are."""
    newest = select(func.max(InboxRow.id)).scalar_subquery()
    await db.execute(
        update(InboxRow).where(InboxRow.id == newest).values(attempts=InboxRow.attempts)
    )


async def pending_lanes(db: Db, limit: int) -> Sequence[str]:
    """Lanes with pending rows, those waiting longest first (recovery after a crash)."""
    lanes = await db.scalars(
        select(InboxRow.lane)
        .where(InboxRow.status == InboxStatus.PENDING)
        .group_by(InboxRow.lane)
        .order_by(func.min(InboxRow.id))
        .limit(limit)
    )
    return list(lanes)


async def counts(db: Db) -> dict[str, int]:
    rows = await db.execute(select(InboxRow.status, func.count()).group_by(InboxRow.status))
    found = {str(status): int(number) for status, number in rows.tuples()}
    return {status.value: found.get(status.value, 0) for status in InboxStatus}


async def prune_done(db: Db, now: datetime, keep: timedelta) -> int:
    """Forget handled rows older than `keep` (platforms redeliver within minutes to a day)."""
    result = await db.execute(
        delete(InboxRow).where(InboxRow.status == InboxStatus.DONE, InboxRow.done_at < now - keep)
    )
    return int(getattr(result, "rowcount", 0) or 0)
