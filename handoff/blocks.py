"""Blocked customers: one row per person (platform, user id), in force until `until`.

A customer's messages are checked against their block without a statement of their
own: `IN_FORCE` is a subquery the conversation's upsert returns with the conversation
(handoff/conversations.py). What the flows do about a block is bot/flows/blocking.py's.

A block outlives the erasure of the person's data (`strip_person`: it keeps who and
until, not their name or the reason), so asking for deletion cannot lift it; a block
that has run out goes with the rest of their data, or with the retention purge
(`purge_expired`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, and_, bindparam, delete, func, or_, select, text, update

from handoff.models import Block, Conversation, Ticket
from handoff.states import ConversationState, TicketStatus
from handoff.storage import Db

TABLE = cast(Table, Block.__table__)
_TICKETS = cast(Table, Ticket.__table__)
_CONVERSATIONS = cast(Table, Conversation.__table__)
REASON_CHARS = 300
NAME_CHARS = 200

# For the conversation upsert's RETURNING: NULL when the customer (:platform,
# :user_id) is not blocked at :now, else 0 when they have not been told yet and 1 once
# they have (one row at most). The binds, not a correlation with `conversations`: in a
# RETURNING clause SQLite would scan the table instead of using its unique index.
IN_FORCE = (
    "(SELECT CASE WHEN b.told_at IS NULL THEN 0 ELSE 1 END FROM blocks b"
    " WHERE b.platform = :platform AND b.user_id = :user_id"
    " AND (b.until IS NULL OR b.until > :now))"
)


_REPLACED = (
    "display_name",
    "until",
    "reason",
    "agent_id",
    "agent_name",
    "created_at",
    "told_at",
)
_INSERTED = ("platform", "user_id", *_REPLACED)
# One statement, the same SQL on both databases: two agents blocking at once both win
# (the later replaces the earlier) instead of one failing on the unique key.
_BLOCK = text(
    f"INSERT INTO blocks ({', '.join(_INSERTED)}) "  # noqa: S608 (names from code)
    f"VALUES ({', '.join(':' + name for name in _INSERTED)}) "
    "ON CONFLICT (platform, user_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _REPLACED)
).bindparams(*(bindparam(name, type_=TABLE.c[name].type) for name in _INSERTED))


@dataclass(frozen=True)
class BlockRow:
    platform: str
    user_id: str
    display_name: str | None
    until: datetime | None
    reason: str
    agent_id: str
    agent_name: str
    created_at: datetime


_FIELDS: Sequence[str] = tuple(field.name for field in dataclasses.fields(BlockRow))


async def block(
    db: Db,
    *,
    platform: str,
    user_id: str,
    display_name: str | None,
    until: datetime | None,
    reason: str,
    agent_id: str,
    agent_name: str,
    now: datetime,
) -> None:
    """Block the person until `until` (None: until unblocked), replacing a block they
    had; they are told once more."""
    values = {
        "platform": platform,
        "user_id": user_id,
        "display_name": None if display_name is None else display_name[:NAME_CHARS],
        "until": until,
        "reason": reason[:REASON_CHARS],
        "agent_id": agent_id[:64],
        "agent_name": agent_name[:NAME_CHARS],
        "created_at": now,
        "told_at": None,
    }
    await db.execute(_BLOCK, values)


async def unblock(db: Db, platform: str, user_id: str, now: datetime) -> bool:
    """Lift the person's block; False when none was in force."""
    person = and_(TABLE.c.platform == platform, TABLE.c.user_id == user_id)
    lifted = await db.execute(delete(TABLE).where(person).returning(TABLE.c.until))
    return any(until is None or until > now for until in lifted.scalars())


async def told(db: Db, platform: str, user_id: str, now: datetime) -> None:
    """The person got their block's notice."""
    await db.execute(
        update(TABLE)
        .where(TABLE.c.platform == platform, TABLE.c.user_id == user_id)
        .values(told_at=now)
    )


async def in_force(db: Db, now: datetime) -> list[BlockRow]:
    """The blocks in force at `now`, newest first."""
    rows = await db.execute(
        select(*(TABLE.c[name] for name in _FIELDS))
        .where(or_(TABLE.c.until.is_(None), TABLE.c.until > now))
        .order_by(TABLE.c.created_at.desc(), TABLE.c.id.desc())
    )
    return [BlockRow(*row) for row in rows]


async def of_person(db: Db, platform: str, user_id: str) -> list[Row[Any]]:
    """The person's block rows (in force or expired), every column."""
    rows = await db.execute(
        select(TABLE).where(TABLE.c.platform == platform, TABLE.c.user_id == user_id)
    )
    return list(rows)


async def close_tickets(
    db: Db, platform: str, user_id: str, agent_id: str, agent_name: str, now: datetime
) -> list[int]:
    """Resolve the person's open and claimed tickets, in all their chats, as a resolve
    records it (`resolved_at`; a claimed one stays its holder's, an unclaimed one becomes
    `agent_id`'s, claimed now); their conversations go back to the bot, no rating asked.
    The ids closed, oldest first; one a concurrent claim or resolve changed is left to it."""
    theirs = select(_CONVERSATIONS.c.id).where(
        _CONVERSATIONS.c.platform == platform, _CONVERSATIONS.c.user_id == user_id
    )
    closed = await db.execute(
        update(_TICKETS)
        .where(
            _TICKETS.c.conversation_id.in_(theirs),
            _TICKETS.c.status.in_((TicketStatus.OPEN, TicketStatus.CLAIMED)),
        )
        .values(
            status=TicketStatus.RESOLVED,
            resolved_at=now,
            agent_id=func.coalesce(_TICKETS.c.agent_id, agent_id[:64]),
            agent_name=func.coalesce(_TICKETS.c.agent_name, agent_name[:NAME_CHARS]),
            claimed_at=func.coalesce(_TICKETS.c.claimed_at, now),
        )
        .returning(_TICKETS.c.id)
    )
    ids = sorted(closed.scalars())
    if ids:
        await db.execute(
            update(_CONVERSATIONS)
            .where(_CONVERSATIONS.c.ticket_id.in_(ids))
            .values(state=ConversationState.BOT, ticket_id=None)
        )
    return ids


async def strip_person(db: Db, platform: str, user_id: str, now: datetime) -> list[int]:
    """The person's data is erased: a block in force stays, without their name or the
    reason (and is told anew, to the conversation they start from scratch); one that has
    run out is deleted. The ids of both."""
    person = and_(TABLE.c.platform == platform, TABLE.c.user_id == user_id)
    over = and_(TABLE.c.until.is_not(None), TABLE.c.until <= now)
    deleted = await db.execute(delete(TABLE).where(person, over).returning(TABLE.c.id))
    stripped = await db.execute(
        update(TABLE)
        .where(person)
        .values(display_name=None, reason="", told_at=None)
        .returning(TABLE.c.id)
    )
    return sorted([*deleted.scalars(), *stripped.scalars()])


async def purge_expired(db: Db, before: datetime) -> int:
    """Delete the blocks that ran out before `before`; how many. Blocks in force, and
    those without an end, stay whatever their age."""
    purged = await db.execute(
        delete(TABLE).where(TABLE.c.until.is_not(None), TABLE.c.until < before)
    )
    return int(getattr(purged, "rowcount", 0) or 0)
