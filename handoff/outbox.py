"""The outbox: messages decided inside a transaction, delivered afterwards.

A row is written in the same transaction as the state change that decided it, so a
crash between deciding and sending loses nothing: the row is still pending and the
next worker (in this or another process) sends it. Workers lease rows for a while;
an expired lease means the worker died and the row is up for grabs again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.models import OutboxRow
from handoff.states import OutboxStatus, OutboxTarget
from handoff.storage import changed_one

BACKOFF_CAP_SECONDS = 300.0


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
    row = OutboxRow(
        target=target,
        platform=platform,
        chat_id=chat_id,
        thread_id=thread_id,
        ticket_id=ticket_id,
        payload=payload,
        status=OutboxStatus.PENDING,
        attempts=0,
        due_at=now,
        created_at=now,
    )
    session.add(row)
    return row


# Rows to one destination go out in order: a later row waits for every earlier pending one.
# A destination is the platform and chat, then the ticket for a ticket's card, relays and
# card edits (its thread exists only once the card is out), else the thread given.
_FOR_TICKET = and_(OutboxRow.ticket_id.is_not(None), OutboxRow.target != OutboxTarget.ADDRESS)
_DESTINATION = (
    OutboxRow.platform,
    OutboxRow.chat_id,
    case((_FOR_TICKET, OutboxRow.ticket_id), else_=None),
    case((_FOR_TICKET, ""), else_=func.coalesce(OutboxRow.thread_id, "")),
)


async def lease_due(
    session: AsyncSession, owner: str, now: datetime, lease_seconds: float, limit: int
) -> list[OutboxRow]:
    """Take up to `limit` deliverable rows, oldest first, for `owner`.

    A row is deliverable when it is the oldest pending row of its destination, due, and
    unleased (or its lease expired). Each lease is a conditional UPDATE: two workers
    never hold the same row, and neither can skip ahead of a row the other is leasing.
    However long one destination's backlog, the other destinations' rows still go out.
    """
    free = or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now)
    heads = (
        select(func.min(OutboxRow.id))
        .where(OutboxRow.status == OutboxStatus.PENDING)
        .group_by(*_DESTINATION)
    )
    candidates = await session.scalars(
        select(OutboxRow)
        .where(OutboxRow.id.in_(heads), OutboxRow.due_at <= now, free)
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    taken: list[OutboxRow] = []
    for row in list(candidates):
        won = await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row.id, OutboxRow.status == OutboxStatus.PENDING, free)
            .values(
                lease_owner=owner,
                lease_until=now + timedelta(seconds=lease_seconds),
                # A lease that ran out means its worker died mid-send.
                in_doubt=OutboxRow.in_doubt | OutboxRow.lease_owner.is_not(None),
            )
            .execution_options(synchronize_session=False)
        )
        if changed_one(won):
            row.in_doubt = row.in_doubt or row.lease_owner is not None
            taken.append(row)
    return taken


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
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == row_id)
        .values(
            status=OutboxStatus.SENT,
            sent_message_id=message_id,
            lease_owner=None,
            lease_until=None,
            in_doubt=False,
        )
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
            due_at=now + timedelta(seconds=delay),
            in_doubt=OutboxRow.in_doubt | maybe_sent,
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
