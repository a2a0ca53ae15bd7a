"""A customer's data: found, exported, erased; and old texts purged after retention.

A customer is a platform user id (`slack:U123`). What is theirs: their conversations
(one per chat), the tickets opened for them, every transcript line of those
conversations (theirs, the bot's, the agents' replies and notes), the received events
they sent and the staff-room events in their tickets' threads (inbox), and every
message decided for them or about their tickets (outbox: replies, cards, relays).

Erasing keeps what the metrics need and nothing that names or quotes the person: the
transcript lines stay with empty text and author (kind, time and question outcome are
the metrics), the tickets stay (times, rating, agent), the conversation stays with its
user id, chat and name replaced by a random token; received events, outbox messages and
thread-message ids are deleted, and so are the questions kept for the FAQ's learning
loop (faq_feedback). Their open tickets are resolved, since no one can answer them any
more. A block in force stays, so that asking for deletion never lifts it, but keeps only
who (platform and user id), until when and by which agent: their name and the reason go;
a block that has run out is deleted. Purging after retention does the same to the texts
of conversations without an open ticket, older than the retention period: transcript
lines emptied, delivered or parked outbox messages deleted, handled events' payloads
emptied, learning loop questions deleted; and blocks that ran out before it are deleted
(a block in force stays, whatever its age).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Text, and_, cast, delete, exists, func, or_, select, update

from handoff import blocks
from handoff.models import (
    OUTBOX_BEHIND,
    OUTBOX_NEW,
    Conversation,
    FaqFeedback,
    InboxRow,
    Message,
    OutboxRow,
    ThreadMessage,
    Ticket,
)
from handoff.states import (
    ConversationState,
    InboxStatus,
    OutboxStatus,
    OutboxTarget,
    TicketStatus,
)
from handoff.storage import Db

SCAN_CHUNK = 500  # inbox rows read at a time while looking for a person's events
_OPEN = (TicketStatus.OPEN, TicketStatus.CLAIMED)


@dataclass(frozen=True)
class Person:
    platform: str
    user_id: str

    @classmethod
    def parse(cls, text: str) -> Person:
        """`platform:user_id` (the user id may itself contain colons)."""
        platform, sep, user_id = text.partition(":")
        if not sep or not platform or not user_id:
            raise ValueError(f'"{text}" is not PLATFORM:USER_ID (for example slack:U0123ABC)')
        return cls(platform, user_id)


@dataclass
class Found:
    """Where a person's data is: row ids per table."""

    conversations: list[int] = field(default_factory=list)
    tickets: list[int] = field(default_factory=list)
    inbox: list[int] = field(default_factory=list)
    outbox: list[int] = field(default_factory=list)
    feedback: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)


def _row(row: Row[Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in row._mapping.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def _conversations(db: Db, person: Person) -> list[Row[Any]]:
    rows = await db.execute(
        select(Conversation.__table__)
        .where(Conversation.platform == person.platform, Conversation.user_id == person.user_id)
        .order_by(Conversation.id)
    )
    return list(rows)


async def _tickets(db: Db, conversation_ids: Sequence[int]) -> list[Row[Any]]:
    if not conversation_ids:
        return []
    rows = await db.execute(
        select(Ticket.__table__)
        .where(Ticket.conversation_id.in_(conversation_ids))
        .order_by(Ticket.id)
    )
    return list(rows)


async def _thread_message_ids(db: Db, ticket_ids: Sequence[int]) -> set[str]:
    if not ticket_ids:
        return set()
    rows = await db.execute(
        select(ThreadMessage.message_id).where(ThreadMessage.ticket_id.in_(ticket_ids))
    )
    return set(rows.scalars())


async def _inbox(
    db: Db,
    person: Person,
    conversations: Sequence[Row[Any]],
    tickets: Sequence[Row[Any]],
    thread_messages: set[str],
) -> list[Row[Any]]:
    """Events the person sent in their chats, and staff-room events in (or replying
    into) their tickets' threads. Payloads are read in Python: JSON is not queried the
    same way on both databases, and the inbox holds days, not years."""
    staff_chats = {(t.card_platform, t.card_chat_id) for t in tickets}
    threads = {t.thread_id for t in tickets if t.thread_id is not None} | thread_messages
    places = [
        *(
            and_(InboxRow.platform == c.platform, InboxRow.chat_id == c.chat_id)
            for c in conversations
        ),
        *(and_(InboxRow.platform == p, InboxRow.chat_id == c) for p, c in staff_chats),
    ]
    if not places:
        return []
    found: list[Row[Any]] = []
    last = 0
    while True:
        rows = list(
            await db.execute(
                select(InboxRow.__table__)
                .where(or_(*places), InboxRow.id > last)
                .order_by(InboxRow.id)
                .limit(SCAN_CHUNK)
            )
        )
        if not rows:
            return found
        last = rows[-1].id
        found += [row for row in rows if _concerns(row, person, staff_chats, threads)]


def _concerns(
    row: Row[Any], person: Person, staff_chats: set[tuple[str, str]], threads: set[str | None]
) -> bool:
    """Whether an inbox row was sent by `person`, or written in one of their threads."""
    payload = row.payload if isinstance(row.payload, dict) else {}
    sender = payload.get("sender") or {}
    if (row.platform, sender.get("user_id")) == (person.platform, person.user_id):
        return True
    return (row.platform, row.chat_id) in staff_chats and (
        payload.get("thread_id") in threads or payload.get("reply_to") in threads
    )


async def _outbox(
    db: Db, conversations: Sequence[Row[Any]], ticket_ids: Sequence[int]
) -> list[Row[Any]]:
    """Messages about their tickets, and messages to their chats: the whole chat when
    it is theirs alone (a direct message), else their thread of it."""
    shared = await _shared_chats(db, conversations)
    places = []
    for c in conversations:
        to_chat = and_(
            OutboxRow.target == OutboxTarget.ADDRESS,
            OutboxRow.platform == c.platform,
            OutboxRow.chat_id == c.chat_id,
        )
        if (c.platform, c.chat_id) in shared:
            if c.thread_id is None:
                continue
            to_chat = and_(to_chat, OutboxRow.thread_id == c.thread_id)
        places.append(to_chat)
    if ticket_ids:
        places.append(OutboxRow.ticket_id.in_(ticket_ids))
    if not places:
        return []
    rows = await db.execute(select(OutboxRow.__table__).where(or_(*places)).order_by(OutboxRow.id))
    return list(rows)


async def _shared_chats(db: Db, conversations: Sequence[Row[Any]]) -> set[tuple[str, str]]:
    """Chats of these conversations where someone else writes too (a support channel)."""
    if not conversations:
        return set()
    mine = {c.id for c in conversations}
    rows = await db.execute(
        select(Conversation.platform, Conversation.chat_id).where(
            or_(
                *(
                    and_(Conversation.platform == c.platform, Conversation.chat_id == c.chat_id)
                    for c in conversations
                )
            ),
            Conversation.id.not_in(mine),
        )
    )
    return {(platform, chat) for platform, chat in rows.tuples()}


async def _messages(db: Db, conversation_ids: Sequence[int]) -> list[Row[Any]]:
    if not conversation_ids:
        return []
    rows = await db.execute(
        select(Message.__table__)
        .where(Message.conversation_id.in_(conversation_ids))
        .order_by(Message.id)
    )
    return list(rows)


async def _feedback(db: Db, conversation_ids: Sequence[int]) -> list[Row[Any]]:
    if not conversation_ids:
        return []
    rows = await db.execute(
        select(FaqFeedback.__table__)
        .where(FaqFeedback.conversation_id.in_(conversation_ids))
        .order_by(FaqFeedback.id)
    )
    return list(rows)


async def export(db: Db, person: Person) -> dict[str, Any]:
    """Everything stored about `person`, table by table, as JSON-ready values."""
    conversations = await _conversations(db, person)
    conversation_ids = [c.id for c in conversations]
    tickets = await _tickets(db, conversation_ids)
    ticket_ids = [t.id for t in tickets]
    thread_messages = await _thread_message_ids(db, ticket_ids)
    inbox = await _inbox(db, person, conversations, tickets, thread_messages)
    outbox = await _outbox(db, conversations, ticket_ids)
    return {
        "person": {"platform": person.platform, "user_id": person.user_id},
        "conversations": [_row(r) for r in conversations],
        "tickets": [_row(r) for r in tickets],
        "messages": [_row(r) for r in await _messages(db, conversation_ids)],
        "received_events": [_row(r) for r in inbox],
        "outgoing_messages": [_row(r) for r in outbox],
        "faq_feedback": [_row(r) for r in await _feedback(db, conversation_ids)],
        "blocks": [_row(r) for r in await blocks.of_person(db, person.platform, person.user_id)],
    }


async def erase(db: Db, person: Person, now: datetime) -> Found:
    """Erase `person` (see the module's docstring); what was found, by row id."""
    conversations = await _conversations(db, person)
    conversation_ids = [c.id for c in conversations]
    tickets = await _tickets(db, conversation_ids)
    ticket_ids = [t.id for t in tickets]
    thread_messages = await _thread_message_ids(db, ticket_ids)
    inbox = [r.id for r in await _inbox(db, person, conversations, tickets, thread_messages)]
    outbox = await _outbox(db, conversations, ticket_ids)
    await _delete_outbox(db, outbox)
    if inbox:
        await db.execute(delete(InboxRow).where(InboxRow.id.in_(inbox)))
    if ticket_ids:
        await db.execute(delete(ThreadMessage).where(ThreadMessage.ticket_id.in_(ticket_ids)))
        await db.execute(
            update(Ticket)
            .where(Ticket.id.in_(ticket_ids), Ticket.status.in_(_OPEN))
            .values(status=TicketStatus.RESOLVED, resolved_at=now)
        )
    feedback = [r.id for r in await _feedback(db, conversation_ids)]
    if feedback:
        await db.execute(delete(FaqFeedback).where(FaqFeedback.id.in_(feedback)))
    if conversation_ids:
        await db.execute(
            update(Message)
            .where(Message.conversation_id.in_(conversation_ids))
            .values(text="", author="")
        )
    for conversation_id in conversation_ids:
        token = f"erased-{uuid.uuid4().hex}"
        await db.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(
                user_id=token,
                chat_id=token,
                thread_id=None,
                display_name="",
                state=ConversationState.BOT,
                misses=0,
                ticket_id=None,
                updated_at=now,
            )
        )
    blocked = await blocks.strip_person(db, person.platform, person.user_id, now)
    return Found(conversation_ids, ticket_ids, inbox, [r.id for r in outbox], feedback, blocked)


async def _delete_outbox(db: Db, rows: Sequence[Row[Any]]) -> None:
    """Delete `rows`; a lane whose pending head went with them gets its next row going."""
    if not rows:
        return
    await db.execute(delete(OutboxRow).where(OutboxRow.id.in_([r.id for r in rows])))
    lanes = {r.lane for r in rows if r.status == OutboxStatus.PENDING}
    for lane in sorted(lanes):
        await _restart_lane(db, lane)


async def _restart_lane(db: Db, lane: str) -> None:
    head = (
        select(func.min(OutboxRow.id))
        .where(OutboxRow.lane == lane, OutboxRow.status == OutboxStatus.PENDING)
        .scalar_subquery()
    )
    await db.execute(
        update(OutboxRow)
        .where(OutboxRow.id == head, OutboxRow.ready_at >= OUTBOX_BEHIND)
        .values(ready_at=OUTBOX_NEW)
    )


@dataclass(frozen=True)
class Purged:
    messages: int
    outbox: int
    inbox: int
    feedback: int = 0
    blocks: int = 0


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _without_open_ticket() -> Any:
    return ~exists(
        select(Ticket.id).where(
            Ticket.conversation_id == Message.conversation_id, Ticket.status.in_(_OPEN)
        )
    )


async def purge(db: Db, before: datetime) -> Purged:
    """Purge texts older than `before` (see the module's docstring)."""
    messages = await db.execute(
        update(Message)
        .where(
            Message.created_at < before,
            or_(Message.text != "", Message.author != ""),
            _without_open_ticket(),
        )
        .values(text="", author="")
        .execution_options(synchronize_session=False)
    )
    outbox = await db.execute(
        delete(OutboxRow).where(
            OutboxRow.created_at < before,
            OutboxRow.status.in_((OutboxStatus.SENT, OutboxStatus.PARKED)),
        )
    )
    inbox = await db.execute(
        update(InboxRow)
        .where(
            InboxRow.status != InboxStatus.PENDING,
            InboxRow.done_at < before,  # handled (or parked) that long ago
            cast(InboxRow.payload, Text) != "{}",
        )
        .values(payload={})
    )
    feedback = await db.execute(
        delete(FaqFeedback).where(
            FaqFeedback.created_at < before,
            ~exists(
                select(Ticket.id).where(
                    Ticket.conversation_id == FaqFeedback.conversation_id,
                    Ticket.status.in_(_OPEN),
                )
            ),
        )
    )
    expired = await blocks.purge_expired(db, before)
    return Purged(_count(messages), _count(outbox), _count(inbox), _count(feedback), expired)
