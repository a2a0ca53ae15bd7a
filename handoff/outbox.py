"""The outbox: messages decided inside a transaction, delivered afterwards.

A row is written in the same transaction as the state change that decided it, so a
crash between deciding and sending loses nothing: the row is still pending and the
next worker (in this or another process) sends it. Workers lease rows for a short
while and renew the lease while a send is in progress; an expired lease means the
worker died and the row is up for grabs again.

Every lease and due time is read and written on the database's clock (`db_now`), never
a worker's: two workers whose clocks disagree, or a clock set back an hour, can neither
take the same row nor hold a chat back. A new row has no due time (due at once), so the
clock of the process that decided it does not matter either. Functions that compare or
set times take `now=None` for the database's clock; tests pin a moment instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Float, String, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from handoff.models import OutboxRow
from handoff.states import OutboxStatus, OutboxTarget

BACKOFF_CAP_SECONDS = 300.0


class _DbNow(FunctionElement[datetime]):
    """The database's current time in naive UTC (as the columns hold it), plus seconds."""

    type = DateTime()
    inherit_cache = True
    name = "db_now"


@compiles(_DbNow, "postgresql")
def _db_now_postgresql(element: _DbNow, compiler: SQLCompiler, **kw: Any) -> str:
    seconds, _ = element.clauses
    return f"(timezone('utc', now()) + make_interval(secs => {compiler.process(seconds, **kw)}))"


@compiles(_DbNow, "sqlite")
def _db_now_sqlite(element: _DbNow, compiler: SQLCompiler, **kw: Any) -> str:
    # Microseconds, in the text format SQLAlchemy stores datetimes in, so they compare.
    _, modifier = element.clauses
    formatted = func.strftime("%Y-%m-%d %H:%M:%f000", "now", modifier)
    return compiler.process(formatted, **kw)


def db_now(seconds: float = 0.0) -> ColumnElement[datetime]:
    """The database's clock, `seconds` ahead."""
    return _DbNow(literal(seconds, Float), literal(f"{seconds:+.6f} seconds", String))


def _clock(now: datetime | None, seconds: float = 0.0) -> ColumnElement[datetime]:
    """`now` + `seconds` as SQL: the database's clock unless a test pins the moment."""
    if now is None:
        return db_now(seconds)
    return literal(now + timedelta(seconds=seconds), DateTime)


def lane_of(
    target: OutboxTarget, platform: str, chat_id: str, thread_id: str | None, ticket_id: int | None
) -> str:
    """A row's destination: rows of one lane go out in order, one at a time.

    A ticket's card, relays and card edits share the ticket's lane (its thread exists
    only once the card is out); anything else goes to the chat and thread given."""
    if ticket_id is not None and target != OutboxTarget.ADDRESS:
        return f"{platform}:{chat_id}:ticket:{ticket_id}"
    return f"{platform}:{chat_id}:thread:{thread_id or ''}"


def enqueue(
    session: AsyncSession,
    *,
    target: OutboxTarget,
    platform: str,
    chat_id: str,
    payload: dict[str, Any],
    now: datetime,
    thread_id: str | None = None,
    ticket_id: int | None = None,
) -> OutboxRow:
    """Add a row, due at once; `now` (the deciding process's clock) is only its
    `created_at`, so a skewed clock cannot delay it."""
    row = OutboxRow(
        target=target,
        platform=platform,
        chat_id=chat_id,
        thread_id=thread_id,
        ticket_id=ticket_id,
        lane=lane_of(target, platform, chat_id, thread_id, ticket_id),
        payload=payload,
        status=OutboxStatus.PENDING,
        attempts=0,
        due_at=None,
        created_at=now,
    )
    session.add(row)
    return row


async def lease_due(
    session: AsyncSession,
    owner: str,
    now: datetime | None,
    lease_seconds: float,
    limit: int,
) -> list[OutboxRow]:
    """Take up to `limit` deliverable rows, oldest first, for `owner`, in one statement.

    A row is deliverable when it is the oldest pending row of its lane, due, and unleased
    (or its lease expired: its worker died, so it is taken in doubt). Rows are locked as
    they are picked (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite):
    two workers never hold the same row, and neither can skip ahead of a row the other is
    leasing, since that row is still pending. The pass walks pending rows in id order and
    stops at `limit` heads, through indexes, so its cost follows the number of lanes
    ahead, not the backlog: a long queue to one chat does not stall the others.
    """
    moment = _clock(now)
    head, earlier = aliased(OutboxRow), aliased(OutboxRow)
    heads = (
        select(head.id)
        .where(
            head.status == OutboxStatus.PENDING,
            or_(head.due_at.is_(None), head.due_at <= moment),
            or_(head.lease_until.is_(None), head.lease_until < moment),
            ~exists().where(
                earlier.lane == head.lane,
                earlier.status == OutboxStatus.PENDING,
                earlier.id < head.id,
            ),
        )
        .order_by(head.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=head)
    )
    taken = await session.scalars(
        update(OutboxRow)
        .where(OutboxRow.id.in_(heads))
        .values(
            lease_owner=owner,
            lease_until=_clock(now, lease_seconds),
            # A lease that ran out means its worker died mid-send.
            in_doubt=OutboxRow.in_doubt | OutboxRow.lease_owner.is_not(None),
        )
        .returning(OutboxRow)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(taken, key=lambda row: row.id)


async def renew(
    session: AsyncSession,
    owner: str,
    row_ids: Sequence[int],
    now: datetime | None,
    lease_seconds: float,
) -> None:
    """Extend `owner`'s leases on rows it is still sending (the worker's heartbeat), so a
    short lease frees a dead worker's rows fast but never a live worker's."""
    await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id.in_(row_ids),
            OutboxRow.lease_owner == owner,
            OutboxRow.status == OutboxStatus.PENDING,
        )
        .values(lease_until=_clock(now, lease_seconds))
        .execution_options(synchronize_session=False)
    )


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows by status: pending, sent, parked."""
    rows = await session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
    return {str(status): int(n) for status, n in rows.all()}


async def pending_count(session: AsyncSession) -> int:
    return (await counts(session)).get(OutboxStatus.PENDING, 0)


async def card_parked(session: AsyncSession, ticket_id: int) -> bool:
    """Whether the ticket's card failed for good (its thread will never exist)."""
    parked = await session.scalar(
        select(OutboxRow.id).where(
            OutboxRow.ticket_id == ticket_id,
            OutboxRow.target == OutboxTarget.TICKET_CARD,
            OutboxRow.status == OutboxStatus.PARKED,
        )
    )
    return parked is not None


async def mark_sent(session: AsyncSession, row_id: int, message_id: str) -> None:
    await mark_sent_many(session, {row_id: message_id})


async def mark_sent_many(session: AsyncSession, message_ids: Mapping[int, str]) -> None:
    """Mark rows sent, with the platform's message id each got, in one round trip."""
    if not message_ids:
        return
    await session.execute(
        update(OutboxRow),
        [
            {
                "id": row_id,
                "status": OutboxStatus.SENT,
                "sent_message_id": message_id,
                "lease_owner": None,
                "lease_until": None,
                "in_doubt": False,
            }
            for row_id, message_id in message_ids.items()
        ],
    )


async def mark_failed(
    session: AsyncSession,
    row_id: int,
    attempts: int,
    error: str,
    now: datetime | None,
    *,
    retry_after: float | None,
    permanent: bool,
    max_attempts: int,
    maybe_sent: bool = False,
    backoff_seconds: float = 0.5,
) -> None:
    """Back off exponentially from `backoff_seconds` (or as the platform asked); park after
    `max_attempts`.

    `maybe_sent` (a timeout after the request went out) marks the row in doubt, so the
    next attempt asks the adapter to check before sending again."""
    attempts += 1
    parked = permanent or attempts >= max_attempts
    delay = min(BACKOFF_CAP_SECONDS, backoff_seconds * 2 ** (attempts - 1))
    if retry_after is not None:
        delay = max(delay, retry_after)
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == row_id)
        .values(
            status=OutboxStatus.PARKED if parked else OutboxStatus.PENDING,
            attempts=attempts,
            last_error=error[:2000],
            due_at=_clock(now, delay),
            in_doubt=OutboxRow.in_doubt | maybe_sent,
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )


async def defer(session: AsyncSession, row_id: int, now: datetime | None, seconds: float) -> None:
    """Not deliverable yet (the ticket's thread does not exist yet): try again soon."""
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == row_id)
        .values(due_at=_clock(now, seconds), lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
