"""Customers' conversations: found by (platform, chat, user), created on first contact.

A conversation is read into a plain `ConversationRow` with one statement (an upsert on
first contact and every message after) and written back by `save` with only the columns
that changed: the hot path of a customer's message never goes through the ORM's unit of
work.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, column, select, text, update

from handoff.blocks import IN_FORCE
from handoff.models import Conversation
from handoff.states import ConversationState, MessageKind
from handoff.storage import Db

TABLE = cast(Table, Conversation.__table__)
# What a flow may change; `save` writes those of them that differ from what was read.
CHANGEABLE = ("thread_id", "display_name", "locale", "state", "misses", "ticket_id", "updated_at")


@dataclass(slots=True)
class ConversationRow:
    id: int
    platform: str
    chat_id: str
    thread_id: str | None
    user_id: str
    display_name: str
    locale: str
    state: ConversationState
    misses: int
    ticket_id: int | None
    created_at: datetime
    updated_at: datetime
    stored: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def changes(self) -> dict[str, Any]:
        """The changeable columns whose value differs from the stored one."""
        return {
            name: getattr(self, name)
            for name, was in zip(CHANGEABLE, self.stored, strict=True)
            if getattr(self, name) != was
        }

    def mark_stored(self) -> None:
        self.stored = tuple(getattr(self, name) for name in CHANGEABLE)


_COLUMNS = tuple(f.name for f in fields(ConversationRow) if f.name != "stored")


def _from_row(row: Row[Any]) -> ConversationRow:
    found = ConversationRow(*(row._mapping[name] for name in _COLUMNS))
    found.mark_stored()
    return found


@dataclass(frozen=True)
class Activity:
    """What the customer wrote lately: messages since a moment (held ones included) and
    messages held now (bot/flows/customer.py's flood control)."""

    written_since: int
    held: int
    # A block in force (handoff/blocks.py), and whether the customer was told of it.
    blocked: bool = False
    told_blocked: bool = False


_INSERTED = (
    "platform",
    "chat_id",
    "thread_id",
    "user_id",
    "display_name",
    "locale",
    "state",
    "misses",
    "ticket_id",
    "created_at",
    "updated_at",
)
_CUSTOMER_KINDS = f"'{MessageKind.CUSTOMER.value}', '{MessageKind.HELD.value}'"
# One statement (text: SQLAlchemy compiles its own ON CONFLICT inserts anew each time)
# for the customer's row and their recent activity, the same SQL on both databases.
_ARRIVE = (
    text(
        f"INSERT INTO conversations ({', '.join(_INSERTED)}) "  # noqa: S608 (names from code)
        f"VALUES ({', '.join(':' + name for name in _INSERTED)}) "
        "ON CONFLICT (platform, chat_id, user_id) DO UPDATE SET updated_at = excluded.updated_at "
        f"RETURNING {', '.join(_COLUMNS)}, "
        "(SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id"
        f" AND m.kind IN ({_CUSTOMER_KINDS}) AND m.created_at >= :since) AS written_since, "
        "(SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id"
        f" AND m.kind = '{MessageKind.HELD.value}') AS held, "
        f"{IN_FORCE} AS blocked"
    )
    .bindparams(
        *(bindparam(name, type_=TABLE.c[name].type) for name in _INSERTED),
        bindparam("since", type_=TABLE.c.created_at.type),
        bindparam("now", type_=TABLE.c.created_at.type),
    )
    .columns(
        *(TABLE.c[name] for name in _COLUMNS),
        column("written_since"),
        column("held"),
        column("blocked"),
    )
)


async def arrive(
    db: Db,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    display_name: str,
    locale: str,
    now: datetime,
    since: datetime,
    thread_id: str | None = None,
) -> tuple[ConversationRow, Activity]:
    """The customer's conversation in this chat, created if new, its `updated_at` now,
    what they wrote since `since` and whether they are blocked: one statement either
    way. A new conversation is with the bot, in `locale` and `thread_id`."""
    values = {
        "platform": platform,
        "chat_id": chat_id,
        "thread_id": thread_id,
        "user_id": user_id,
        "display_name": display_name[:200] or user_id,
        "locale": locale,
        "state": ConversationState.BOT,
        "misses": 0,
        "ticket_id": None,
        "created_at": now,
        "updated_at": now,
        "since": since,
        "now": now,
    }
    row = (await db.execute(_ARRIVE, values)).one()
    activity = Activity(
        int(row.written_since), int(row.held), row.blocked is not None, row.blocked == 1
    )
    return _from_row(row), activity


async def get_conversation(db: Db, conversation_id: int) -> ConversationRow:
    """The conversation as the database has it now."""
    row = (await db.execute(select(TABLE).where(TABLE.c.id == conversation_id))).first()
    if row is None:
        raise LookupError(f"conversation {conversation_id} does not exist")
    return _from_row(row)


async def save(db: Db, conversation: ConversationRow) -> None:
    """Write what changed since the conversation was read (nothing: no statement)."""
    changes = conversation.changes()
    if not changes:
        return
    await db.execute(update(TABLE).where(TABLE.c.id == conversation.id).values(**changes))
    conversation.mark_stored()
