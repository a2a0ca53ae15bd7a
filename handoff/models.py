"""Tables: every piece of conversation state is a row, so a restart loses nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from handoff.states import (
    ConversationState,
    InboxStatus,
    MessageKind,
    OutboxStatus,
    OutboxTarget,
    QuestionOutcome,
    TicketPriority,
    TicketReason,
    TicketStatus,
)

E = TypeVar("E", bound=StrEnum)

OPEN_TICKET = "status IN ('open', 'claimed')"
OUTBOX_PENDING = "status = 'pending'"
QUESTION = "outcome IS NOT NULL"
# An outbox row's `ready_at` when it is new (ready at once, on any clock) and while it
# waits behind an earlier row of its lane; stored as SQLAlchemy writes datetimes.
OUTBOX_NEW = datetime(1970, 1, 1)
OUTBOX_BEHIND = datetime(9999, 12, 31)


class EnumText(TypeDecorator[E]):
    """A StrEnum stored as its plain string (a VARCHAR, as the migrations made it):
    rows read back as enum members, and an illegal value fails before it is written."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 16) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    """One customer in one chat, in one `ConversationState`."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(8))
    state: Mapped[ConversationState] = mapped_column(
        EnumText(ConversationState), default=ConversationState.BOT
    )
    misses: Mapped[int] = mapped_column(default=0)
    ticket_id: Mapped[int | None]  # the open ticket; no FK: the two tables point at each other
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Ticket(Base):
    """A request for a human, in one `TicketStatus`.

    Claims are one conditional UPDATE on `status = 'open'`, so exactly one agent wins.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_created", "created_at"),
        # A double click or two processes cannot open a second ticket for a conversation.
        Index(
            "ux_tickets_one_open_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text(OPEN_TICKET),
            postgresql_where=text(OPEN_TICKET),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    status: Mapped[TicketStatus] = mapped_column(EnumText(TicketStatus), default=TicketStatus.OPEN)
    reason: Mapped[TicketReason] = mapped_column(EnumText(TicketReason, 32))
    priority: Mapped[TicketPriority] = mapped_column(
        EnumText(TicketPriority), default=TicketPriority.NORMAL
    )
    agent_id: Mapped[str | None] = mapped_column(String(64))
    agent_name: Mapped[str | None] = mapped_column(String(200))
    card_platform: Mapped[str] = mapped_column(String(16))
    card_chat_id: Mapped[str] = mapped_column(String(64))
    card_message_id: Mapped[str | None] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[int | None]
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    # The first agent reply relayed to the customer (first response time).
    first_reply_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]


class Message(Base):
    """The transcript: one line per message, by `MessageKind`.

    A customer's line that was a question to the bot carries its `QuestionOutcome`; a
    purge empties `text` and `author` and keeps the line, so the metrics stay."""

    __tablename__ = "messages"
    __table_args__ = (
        Index(
            "ix_messages_questions",
            "created_at",
            sqlite_where=text(QUESTION),
            postgresql_where=text(QUESTION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[MessageKind] = mapped_column(EnumText(MessageKind))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    outcome: Mapped[QuestionOutcome | None] = mapped_column(EnumText(QuestionOutcome))
    created_at: Mapped[datetime]


class ThreadMessage(Base):
    """Messages known to belong to a ticket's thread, so a reply to any of them
    (Telegram reply chains) finds its ticket."""

    __tablename__ = "thread_messages"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))


class InboxRow(Base):
    """A received event, stored before the platform was acknowledged (handoff/inbox.py).

    `lane`: the chat or thread whose events are handled one at a time, in id order.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "event_key"),
        Index("ix_inbox_lane_status", "lane", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    event_key: Mapped[str] = mapped_column(String(160))
    lane: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[InboxStatus] = mapped_column(EnumText(InboxStatus))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    done_at: Mapped[datetime | None]


class OutboxRow(Base):
    """A message decided but maybe not yet delivered: where to (`OutboxTarget`) and how
    far it got (`OutboxStatus`)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The oldest pending row of a lane is found without grouping every pending row.
        Index(
            "ix_outbox_pending_lane",
            "lane",
            "id",
            sqlite_where=text(OUTBOX_PENDING),
            postgresql_where=text(OUTBOX_PENDING),
        ),
        # A lease pass reads the rows ready now, and only those (handoff/outbox.py).
        Index(
            "ix_outbox_ready",
            "ready_at",
            "id",
            sqlite_where=text(OUTBOX_PENDING),
            postgresql_where=text(OUTBOX_PENDING),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[OutboxTarget] = mapped_column(EnumText(OutboxTarget))
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # The destination: rows of one lane go out one at a time, in id order.
    lane: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        EnumText(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # An attempt may have reached the platform (its worker died mid-send, or it timed out).
    in_doubt: Mapped[bool] = mapped_column(default=False)
    # None: due at once (a new row), whatever the writer's clock says.
    due_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    # When a lease pass may take the row: OUTBOX_NEW (a new row: at once), its lease's end,
    # its due time, or OUTBOX_BEHIND while it waits for an earlier row of its lane.
    ready_at: Mapped[datetime] = mapped_column(
        default=OUTBOX_NEW, server_default=text(f"'{OUTBOX_NEW:%Y-%m-%d %H:%M:%S.%f}'")
    )
    sent_message_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class FeedbackKind(StrEnum):
    """What a `FaqFeedback` row records (handoff/faq_feedback.py)."""

    MISS = "miss"  # the FAQ had no answer (a "none" decision)
    SUGGESTED = "suggested"  # "did you mean" buttons were offered
    UNHELPFUL = "unhelpful"  # "this didn't help" was pressed on an answer


class FaqFeedback(Base):
    """A question the FAQ did not settle, for `supportbot faq gaps` and `faq learn`.

    `candidates`: the best entries, `[{"id": ..., "score": ...}]`, best first. `entry_id`:
    for a suggestion, the entry the customer chose (None until they do); for an
    unhelpful press, the entry that did not help. `unhelpful`: a suggestion whose chosen
    entry was then marked as not helping. An answered question writes no row."""

    __tablename__ = "faq_feedback"
    __table_args__ = (
        Index("ix_faq_feedback_conversation", "conversation_id", "id"),
        Index("ix_faq_feedback_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    kind: Mapped[FeedbackKind] = mapped_column(EnumText(FeedbackKind))
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    entry_id: Mapped[str | None] = mapped_column(String(64))
    unhelpful: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class Block(Base):
    """A customer the agents blocked (handoff/blocks.py): until `until` (None: until
    unblocked), told once (`told_at`) on their first message while blocked. One row per
    person: blocking again replaces it."""

    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    # The customer's name when blocked from their ticket's thread (None: by user id).
    display_name: Mapped[str | None] = mapped_column(String(200))
    until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(300), default="")
    agent_id: Mapped[str] = mapped_column(String(64))
    agent_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    told_at: Mapped[datetime | None]
