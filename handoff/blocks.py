"""Blocked customers: one row per person (platform, user id), in force until `until`.

A customer's messages are checked against their block without a statement of their
own: `IN_FORCE` is a subquery the conversation's upsert returns with the conversation
(handoff/conversations.py). What the flows do about a block is bot/flows/blocking.py's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, and_, bindparam, delete, or_, select, text, update

from handoff.models import Block
from handoff.storage import Db

TABLE = cast(Table, Block.__table__)
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

_FIELDS: Sequence[str] = (
    "platform",
    "user_id",
    "display_name",
    "until",
    "reason",
    "agent_id",
    "agent_name",
    "created_at",
)


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


async def erase_person(db: Db, platform: str, user_id: str) -> list[int]:
    """Delete the person's block rows; their ids."""
    deleted = await db.execute(
        delete(TABLE)
        .where(TABLE.c.platform == platform, TABLE.c.user_id == user_id)
        .returning(TABLE.c.id)
    )
    return list(deleted.scalars())
