"""The outbox: messages decided inside a transaction, delivered afterwards.

A row is written in the same transaction as the state change that decided it, so a
crash between deciding and sending loses nothing: the row is still pending and the
next worker (in this or another process) sends it. Workers lease rows for a short
while and renew the lease while a send is in progress; an expired lease means the
worker died and the row is up for grabs again.

Every lease and due time is read and written on the database's clock, never a worker's:
two workers whose clocks disagree, or a clock set back an hour, can neither take the
same row nor hold a chat back. A new row has no due time (due at once), so the clock of
the process that decided it does not matter either. Functions that compare or set times
take `now=None` for the database's clock; tests pin a moment instead.

Finding rows costs the same whatever the backlog. A row's `ready_at` says when a lease
may take it (new: at once; leased: when the lease ends; backing off: when due; waiting
behind an earlier row of its lane: never, until that row is finished), and a lease pass
reads the index of pending rows by `ready_at` up to now, a bounded window of it
(`lease_due`). The worker leases the rows the intake hands it by id (`lease_rows`), sets
aside those that must wait for their lane (`hold_back`), and finishing a row (sent or
parked) brings its lane's next row forward and returns it, to be leased by id as well.

The delivery worker runs these on a connection (`Db`), once per message or so: every
statement is Core, built once (building and keying a statement costs more than running
it; only its parameters change), and leased rows come back as `OutboxRecord`s, not ORM
objects.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Boolean,
    CompoundSelect,
    CursorResult,
    DateTime,
    Float,
    FromClause,
    Integer,
    Select,
    String,
    Table,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import ReturningUpdate
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from handoff.models import OUTBOX_BEHIND, OUTBOX_NEW, OutboxRow
from handoff.states import OutboxStatus, OutboxTarget
from handoff.storage import Db, changed_one, dialect_name

BACKOFF_CAP_SECONDS = 300.0

TABLE = cast(Table, OutboxRow.__table__)


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A leased row, as the worker sends it (the columns `_RECORD` reads, in order)."""

    id: int
    target: OutboxTarget
    platform: str
    chat_id: str
    thread_id: str | None
    ticket_id: int | None
    lane: str
    payload: dict[str, Any]
    attempts: int
    in_doubt: bool


_RECORD = tuple(TABLE.c[field.name] for field in fields(OutboxRecord))


class _DbNow(FunctionElement[datetime]):
    """The database's current time in naive UTC (as the columns hold it), plus seconds
    when given (a seconds parameter, then the same as an SQLite modifier)."""

    type = DateTime()
    inherit_cache = True
    name = "db_now"


@compiles(_DbNow, "postgresql")
def _db_now_postgresql(element: _DbNow, compiler: SQLCompiler, **kw: Any) -> str:
    if not element.clauses.clauses:
        return "timezone('utc', now())"
    seconds, _ = element.clauses
    return f"(timezone('utc', now()) + make_interval(secs => {compiler.process(seconds, **kw)}))"


@compiles(_DbNow, "sqlite")
def _db_now_sqlite(element: _DbNow, compiler: SQLCompiler, **kw: Any) -> str:
    # Microseconds, in the text format SQLAlchemy stores datetimes in, so they compare.
    modifiers = element.clauses.clauses[1:]
    formatted = func.strftime("%Y-%m-%d %H:%M:%f000", "now", *modifiers)
    return compiler.process(formatted, **kw)


def lane_of(
    target: OutboxTarget, platform: str, chat_id: str, thread_id: str | None, ticket_id: int | None
) -> str:
    """A row's destination: rows of one lane go out in order, one at a time.

    A ticket's card, relays and card edits share the ticket's lane (its thread exists
    only once the card is out); anything else goes to the chat and thread given."""
    if ticket_id is not None and target != OutboxTarget.ADDRESS:
        return f"{platform}:{chat_id}:ticket:{ticket_id}"
    return f"{platform}:{chat_id}:thread:{thread_id or ''}"


WINDOW = 64
"""How many rows of each kind a lease pass reads: the oldest new rows, and the rows ready
longest among the others (a backoff or a lease that ran out)."""

MARK_CHUNK = 32
"""Sent marks to one statement; a batch is padded to a power of two (at most this), so
few statement shapes are compiled and cached."""

# Constants written into the SQL, not bound. A prepared statement's plan (PostgreSQL's
# generic plan, SQLite's) can then use the indexes of pending rows, which are partial.
# And PostgreSQL keeps one generic plan for a statement only when its estimate is not far
# above the plans made for the values given: with the window's LIMIT and the ready_at
# markers unknown, it guessed a third of the table for each, so on a large backlog it
# planned every pass again (0.3 ms of each statement's 0.4).
_PENDING: ColumnElement[str] = literal_column(f"'{OutboxStatus.PENDING.value}'")
_WINDOW_LIMIT = literal_column(str(WINDOW), Integer)
_NEW = bindparam("ready_new", OUTBOX_NEW, type_=DateTime, literal_execute=True)
_BEHIND = bindparam("ready_behind", OUTBOX_BEHIND, type_=DateTime, literal_execute=True)

# The outbox table again, under other names, for the statements below.
_EARLIER = TABLE.alias("earlier")
_HEAD = TABLE.alias("head")
_ROW = TABLE.alias("row")
_DONE = TABLE.alias("done")
_FOLLOWING = TABLE.alias("following")
_MARKED = TABLE.alias("marked")

# The key space of the outbox's lane locks: pg_advisory_xact_lock's two-int form, which
# never meets the one-int keys of the inbox's lane locks (handoff/inbox.py).
_LANE_LOCKS = 0x0B0C


def _now(pinned: bool) -> ColumnElement[datetime]:
    """Now: the parameter `now` when a test pins the clock, else the database's clock with
    no parameter, so that PostgreSQL's generic plan estimates the rows due from the clock
    as a plan for given values does (with an unknown offset it guessed 250 of 50,000)."""
    return bindparam("now", type_=DateTime) if pinned else _DbNow()


def _now_values(now: datetime | None) -> dict[str, Any]:
    return {} if now is None else {"now": now}


def _moment(pinned: bool, name: str) -> ColumnElement[datetime]:
    """A moment given when the statement runs (`_moment_values`): the parameter `name`
    when a test pins the clock, else the database's clock plus `{name}_s` seconds. The
    statements are built once (`functools.cache`) and only their parameters change."""
    if pinned:
        return bindparam(name, type_=DateTime)
    return _DbNow(bindparam(f"{name}_s", type_=Float), bindparam(f"{name}_mod", type_=String))


def _moment_values(now: datetime | None, name: str, seconds: float = 0.0) -> dict[str, Any]:
    if now is not None:
        return {name: now + timedelta(seconds=seconds)}
    return {f"{name}_s": seconds, f"{name}_mod": f"{seconds:+.6f} seconds"}


def _earlier_in_lane(row: FromClause) -> ColumnElement[bool]:
    """Whether an earlier row of `row`'s lane is still pending (`row` waits for it)."""
    return exists().where(
        _EARLIER.c.lane == row.c.lane,
        _EARLIER.c.status == _PENDING,
        _EARLIER.c.id < row.c.id,
    )


def _unleased(row: FromClause, moment: ColumnElement[datetime]) -> ColumnElement[bool]:
    """Not leased, or its lease ran out (its worker died)."""
    return or_(row.c.lease_until.is_(None), row.c.lease_until < moment)


def _ready(row: FromClause, moment: ColumnElement[datetime]) -> ColumnElement[bool]:
    """Pending, not set aside, due, and unleased. (Not `ready_at <= moment`, which says as
    much: the planner would read that index range instead of looking the rows up.)"""
    return and_(
        row.c.status == _PENDING,
        row.c.ready_at != _BEHIND,
        or_(row.c.due_at.is_(None), row.c.due_at <= moment),
        _unleased(row, moment),
    )


def _window(moment: ColumnElement[datetime]) -> CompoundSelect[tuple[int]]:
    """The rows a lease pass looks at, read from the index of pending rows by `ready_at`:
    the `WINDOW` oldest new rows and the `WINDOW` rows ready longest among the others.
    Rows leased, backing off or waiting behind their lane's head are not ready, so they
    are never read: a pass costs the same whatever the backlog."""
    pending = TABLE.c.status == _PENDING
    order = (TABLE.c.ready_at, TABLE.c.id)
    new = (
        select(TABLE.c.id)
        .where(pending, TABLE.c.ready_at <= _NEW)
        .order_by(*order)
        .limit(_WINDOW_LIMIT)
        .subquery()
    )
    again = (
        select(TABLE.c.id)
        .where(pending, TABLE.c.ready_at > _NEW, TABLE.c.ready_at <= moment)
        .order_by(*order)
        .limit(_WINDOW_LIMIT)
        .subquery()
    )
    return union_all(select(new.c.id), select(again.c.id))


def _among(
    by_id: bool, moment: ColumnElement[datetime]
) -> BindParameter[list[int]] | CompoundSelect[tuple[int]]:
    """The rows a statement considers: the parameter `ids`, or a lease pass's window."""
    return bindparam("ids", expanding=True) if by_id else _window(moment)


def _lock_lanes(row: FromClause) -> ColumnElement[None]:
    """Hold the lock of `row`'s lane until the transaction ends (PostgreSQL)."""
    return func.pg_advisory_xact_lock(_LANE_LOCKS, func.hashtext(row.c.lane))


def _owned(picked: ColumnElement[bool]) -> ColumnElement[bool]:
    """The rows `picked` says, while the parameter `owner` leases them (and they are
    pending): a worker whose lease was taken over leaves the row to its new owner."""
    return and_(
        picked, TABLE.c.lease_owner == bindparam("owner", type_=String), TABLE.c.status == _PENDING
    )


@functools.cache
def _lease_statement(pinned: bool, by_id: bool) -> ReturningUpdate[Any]:
    moment = _now(pinned)
    heads = (
        select(_HEAD.c.id)
        .where(_HEAD.c.id.in_(_among(by_id, moment)), _ready(_HEAD, moment))
        .where(~_earlier_in_lane(_HEAD))
        .order_by(_HEAD.c.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True, of=_HEAD)
    )
    until = _moment(pinned, "until")
    return (
        update(TABLE)
        .where(TABLE.c.id.in_(heads))
        .values(
            lease_owner=bindparam("owner", type_=String),
            lease_until=until,
            ready_at=until,
            # A lease that ran out means its worker died mid-send.
            in_doubt=TABLE.c.in_doubt | TABLE.c.lease_owner.is_not(None),
        )
        .returning(*_RECORD)
    )


async def _lease(
    db: Db,
    owner: str,
    now: datetime | None,
    lease_seconds: float,
    row_ids: Sequence[int] | None,
    limit: int,
) -> list[OutboxRecord]:
    """Lease up to `limit` rows that may go now, oldest first, in one statement: among
    `row_ids`, or (None) a lease pass's window."""
    params = {
        "owner": owner,
        "limit": limit,
        **_now_values(now),
        **_moment_values(now, "until", lease_seconds),
    }
    if row_ids is not None:
        params["ids"] = _padded(row_ids)
    statement = _lease_statement(now is not None, row_ids is not None)
    taken = [OutboxRecord(*row) for row in await db.execute(statement, params)]
    taken.sort(key=lambda record: record.id)
    return taken


async def lease_due(
    db: Db,
    owner: str,
    now: datetime | None,
    lease_seconds: float,
    limit: int,
) -> list[OutboxRecord]:
    """Take up to `limit` deliverable rows, oldest first, for `owner`, in one statement:
    the pass that finds rows nobody handed over (`lease_rows`): a dead worker's, another
    process's, rows whose backoff ran out.

    A row is deliverable when it is the oldest pending row of its lane, due, and unleased
    (or its lease expired: its worker died, so it is taken in doubt). Rows are locked as
    they are picked (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite):
    two workers never hold the same row, and neither can skip ahead of a row the other is
    leasing, since that row is still pending. The pass reads only rows ready now (see
    `_window`), so its cost does not follow the backlog; rows it finds waiting behind
    their lane's head are set aside by `hold_back`.
    """
    return await _lease(db, owner, now, lease_seconds, None, limit)


async def lease_rows(
    db: Db,
    owner: str,
    row_ids: Sequence[int],
    now: datetime | None,
    lease_seconds: float,
) -> list[OutboxRecord]:
    """Lease these rows (just written, or brought forward in their lane) for `owner`, in
    one statement, those that may go now: pending, due, unleased, the oldest pending row
    of their lane. The others are left as they are (`hold_back` sets aside the ones that
    wait behind their lane's head)."""
    if not row_ids:
        return []
    return await _lease(db, owner, now, lease_seconds, row_ids, len(row_ids))


@functools.cache
def _waiting_statement(pinned: bool, by_id: bool, lock: bool) -> Select[Any]:
    moment = _now(pinned)
    waiting = select(_ROW.c.id).where(
        _ROW.c.id.in_(_among(by_id, moment)),
        _ROW.c.status == _PENDING,
        _ROW.c.ready_at != _BEHIND,
        _unleased(_ROW, moment),
        _earlier_in_lane(_ROW),
    )
    if not lock:
        return waiting
    # Volatile, so PostgreSQL takes the locks after sorting: in one order for everyone.
    return waiting.add_columns(_lock_lanes(_ROW)).order_by(func.hashtext(_ROW.c.lane))


@functools.cache
def _set_aside_statement(pinned: bool) -> Update:
    moment = _now(pinned)
    return (
        update(TABLE)
        .where(
            TABLE.c.id.in_(bindparam("ids", expanding=True)),
            TABLE.c.status == _PENDING,
            TABLE.c.ready_at != _BEHIND,
            _unleased(TABLE, moment),
            _earlier_in_lane(TABLE),
        )
        .values(ready_at=OUTBOX_BEHIND)
    )


async def hold_back(db: Db, now: datetime | None, row_ids: Sequence[int] | None = None) -> int:
    """Set aside the rows that wait behind an earlier pending row of their lane, among
    `row_ids` or (None) a lease pass's window; how many. No lease pass reads them again
    until the row ahead is finished: `mark_sent_many` and `mark_failed` bring the lane's
    next row forward then.

    On PostgreSQL the lanes are locked (always in one order) before the rows are checked
    again and set aside, and a finished row's lane is locked before its next row is looked
    for, so a row is never set aside behind a row that was finished without seeing it.
    SQLite has one writer at a time."""
    params = _now_values(now)
    if row_ids is not None:
        if not row_ids:
            return 0
        params["ids"] = _padded(row_ids)
    lock = dialect_name(db) == "postgresql"
    waiting = _waiting_statement(now is not None, row_ids is not None, lock)
    ids = list((await db.execute(waiting, params)).scalars())
    if not ids:
        return 0
    result = await db.execute(
        _set_aside_statement(now is not None), {**params, "ids": _padded(ids)}
    )
    return cast(CursorResult[Any], result).rowcount


_LOCK_FINISHED_LANES = (
    select(_lock_lanes(TABLE))
    .where(TABLE.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(func.hashtext(TABLE.c.lane))
)
_WAITED = TABLE.c.ready_at >= _BEHIND
_NEXT_ROW = (
    select(_FOLLOWING.c.id)
    .where(_FOLLOWING.c.lane == _DONE.c.lane, _FOLLOWING.c.status == _PENDING)
    .order_by(_FOLLOWING.c.id)
    .limit(1)
    .scalar_subquery()
)
_BRING_FORWARD = (
    update(TABLE)
    .where(
        TABLE.c.id.in_(select(_NEXT_ROW).where(_DONE.c.id.in_(bindparam("ids", expanding=True)))),
        TABLE.c.status == _PENDING,
        or_(_WAITED, TABLE.c.ready_at <= _NEW),
    )
    .values(
        ready_at=case(
            (_WAITED, func.coalesce(TABLE.c.lease_until, TABLE.c.due_at, OUTBOX_NEW)),
            else_=TABLE.c.ready_at,
        )
    )
    .returning(TABLE.c.id)
)


async def _bring_forward(db: Db, finished: Sequence[int]) -> list[int]:
    """After rows left pending (sent or parked): the next pending row of each of their
    lanes, made ready if it was set aside; their ids, to lease at once (`lease_rows`).
    A next row that backs off or is leased stays as it is and is not returned."""
    params = {"ids": _padded(finished)}
    if dialect_name(db) == "postgresql":
        await db.execute(_LOCK_FINISHED_LANES, params)
    return sorted((await db.execute(_BRING_FORWARD, params)).scalars())


@functools.cache
def _renew_statement(pinned: bool) -> Update:
    until = _moment(pinned, "until")
    return (
        update(TABLE)
        .where(_owned(TABLE.c.id.in_(bindparam("ids", expanding=True))))
        .values(lease_until=until, ready_at=until)
    )


async def renew(
    db: Db,
    owner: str,
    row_ids: Sequence[int],
    now: datetime | None,
    lease_seconds: float,
) -> None:
    """Extend `owner`'s leases on rows it is still sending (the worker's heartbeat), so a
    short lease frees a dead worker's rows fast but never a live worker's."""
    if not row_ids:
        return
    until = _moment_values(now, "until", lease_seconds)
    params = {"owner": owner, "ids": _padded(row_ids), **until}
    await db.execute(_renew_statement(now is not None), params)


# Rows by status, and of each status those for the staff room (`platform`, `chat_id`):
# a ticket's card, thread or card edit, or a message addressed to the staff chat.
_FOR_STAFF = or_(
    TABLE.c.target != OutboxTarget.ADDRESS,
    and_(
        TABLE.c.platform == bindparam("platform", type_=String),
        TABLE.c.chat_id == bindparam("chat_id", type_=String),
    ),
)
_COUNTS = select(TABLE.c.status, func.count(), func.sum(case((_FOR_STAFF, 1), else_=0))).group_by(
    TABLE.c.status
)
_PENDING_COUNT = select(func.count()).select_from(TABLE).where(TABLE.c.status == _PENDING)
_CARD_PARKED = select(TABLE.c.id).where(
    TABLE.c.ticket_id == bindparam("ticket_id", type_=Integer),
    TABLE.c.target == OutboxTarget.TICKET_CARD,
    TABLE.c.status == OutboxStatus.PARKED,
)


async def counts(db: Db, staff_platform: str, staff_chat_id: str) -> tuple[dict[str, int], int]:
    """Rows by status (pending, sent, parked), and how many parked ones were for the staff
    room: the bot lost its way there, which someone must fix; the other parked rows were
    for customers who blocked the bot or left, which nobody can. One pass over the table."""
    rows = await db.execute(_COUNTS, {"platform": staff_platform, "chat_id": staff_chat_id})
    by_status: dict[str, int] = {}
    parked_for_staff = 0
    for status, n, for_staff in rows.all():
        by_status[str(status)] = int(n)
        if status == OutboxStatus.PARKED:
            parked_for_staff = int(for_staff or 0)
    return by_status, parked_for_staff


async def pending_count(db: Db) -> int:
    """Rows not yet sent nor parked (read from the index of pending rows alone)."""
    pending = (await db.execute(_PENDING_COUNT)).scalar()
    return int(pending or 0)


async def card_parked(db: Db, ticket_id: int) -> bool:
    """Whether the ticket's card failed for good (its thread will never exist)."""
    parked = (await db.execute(_CARD_PARKED, {"ticket_id": ticket_id})).first()
    return parked is not None


T = TypeVar("T")


def _padded(items: Sequence[T]) -> list[T]:
    """`items` padded with the last one again to a power-of-two length (an IN list is a
    set: the same rows). A statement then takes a handful of shapes instead of one per
    length, and each shape is prepared once per connection (a round trip on
    PostgreSQL) and kept in the driver's caches."""
    padded = list(items)
    return padded + padded[-1:] * ((1 << (len(padded) - 1).bit_length()) - len(padded))


@functools.cache
def _mark_sent_statement(size: int) -> Update:
    """Mark `size` rows sent (parameters `id_N`, `message_N`), locked in id order: one
    order for every worker, so two marks never wait for each other's rows in a cycle."""
    ids = [bindparam(f"id_{n}", type_=Integer) for n in range(size)]
    messages = [bindparam(f"message_{n}", type_=String) for n in range(size)]
    locked = (
        select(_MARKED.c.id)
        .where(_MARKED.c.id.in_(ids))
        .order_by(_MARKED.c.id)
        .with_for_update(of=_MARKED)
    )
    return (
        update(TABLE)
        .where(TABLE.c.id.in_(locked))
        .values(
            status=OutboxStatus.SENT,
            sent_message_id=case(*((TABLE.c.id == ids[n], messages[n]) for n in range(size))),
            lease_owner=None,
            lease_until=None,
            in_doubt=False,
        )
    )


async def mark_sent_many(db: Db, message_ids: Mapping[int, str]) -> list[int]:
    """Mark rows sent, with the platform's message id each got, in one statement (per
    `MARK_CHUNK` rows); then bring the next row of each of their lanes forward: those
    rows' ids (`_bring_forward`)."""
    if not message_ids:
        return []
    marks = sorted(message_ids.items())
    for start in range(0, len(marks), MARK_CHUNK):
        # Padded with the last mark again: the same row, set to the same message id.
        chunk = _padded(marks[start : start + MARK_CHUNK])
        params: dict[str, Any] = {}
        for n, (row_id, message_id) in enumerate(chunk):
            params[f"id_{n}"] = row_id
            params[f"message_{n}"] = message_id
        await db.execute(_mark_sent_statement(len(chunk)), params)
    return await _bring_forward(db, list(message_ids))


@functools.cache
def _failed_statement(pinned: bool) -> Update:
    due = _moment(pinned, "due")
    return (
        update(TABLE)
        .where(_owned(TABLE.c.id == bindparam("row_id", type_=Integer)))
        .values(
            status=bindparam("new_status", type_=TABLE.c.status.type),
            attempts=bindparam("new_attempts", type_=Integer),
            last_error=bindparam("error", type_=String),
            due_at=due,
            ready_at=due,
            in_doubt=TABLE.c.in_doubt | bindparam("maybe_sent", type_=Boolean),
            lease_owner=None,
            lease_until=None,
        )
    )


async def mark_failed(
    db: Db,
    row_id: int,
    attempts: int,
    error: str,
    now: datetime | None,
    *,
    owner: str,
    retry_after: float | None,
    permanent: bool,
    max_attempts: int,
    maybe_sent: bool = False,
    backoff_seconds: float = 0.5,
) -> list[int]:
    """Back off exponentially from `backoff_seconds` (or as the platform asked); park after
    `max_attempts`. Only while `owner` still leases the row: a worker whose lease ran out
    and was taken over leaves the row to its new owner.

    `maybe_sent` (a timeout after the request went out) marks the row in doubt, so the
    next attempt asks the adapter to check before sending again. A parked row lets its
    lane's next row go: its id is returned (`_bring_forward`)."""
    attempts += 1
    parked = permanent or attempts >= max_attempts
    delay = min(BACKOFF_CAP_SECONDS, backoff_seconds * 2 ** (attempts - 1))
    if retry_after is not None:
        delay = max(delay, retry_after)
    params = {
        "row_id": row_id,
        "owner": owner,
        "new_status": OutboxStatus.PARKED if parked else OutboxStatus.PENDING,
        "new_attempts": attempts,
        "error": error[:2000],
        "maybe_sent": maybe_sent,
        **_moment_values(now, "due", delay),
    }
    result = await db.execute(_failed_statement(now is not None), params)
    if not (parked and changed_one(result)):
        return []
    return await _bring_forward(db, [row_id])


@functools.cache
def _defer_statement(pinned: bool) -> Update:
    due = _moment(pinned, "due")
    return (
        update(TABLE)
        .where(_owned(TABLE.c.id == bindparam("row_id", type_=Integer)))
        .values(due_at=due, ready_at=due, lease_owner=None, lease_until=None)
    )


async def defer(db: Db, row_id: int, now: datetime | None, seconds: float, *, owner: str) -> None:
    """Not deliverable yet (the ticket's thread does not exist yet): try again soon. Only
    while `owner` still leases the row."""
    params = {"row_id": row_id, "owner": owner, **_moment_values(now, "due", seconds)}
    await db.execute(_defer_statement(now is not None), params)


def new_row(
    *,
    target: OutboxTarget,
    platform: str,
    chat_id: str,
    payload: dict[str, Any],
    now: datetime,
    thread_id: str | None = None,
    ticket_id: int | None = None,
) -> dict[str, Any]:
    """A row as `write` takes it: due at once; `now` (the deciding process's clock) is only
    its `created_at`, so a skewed clock cannot delay it."""
    return {
        "target": target,
        "platform": platform,
        "chat_id": chat_id,
        "thread_id": thread_id,
        "ticket_id": ticket_id,
        "lane": lane_of(target, platform, chat_id, thread_id, ticket_id),
        "payload": payload,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "in_doubt": False,
        "due_at": None,
        "created_at": now,
    }


_INSERT = insert(TABLE).returning(TABLE.c.id, sort_by_parameter_order=True)


async def write(db: Db, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert `rows` in one statement; their ids, in order."""
    if not rows:
        return []
    return list((await db.execute(_INSERT, list(rows))).scalars())
