"""What the FAQ did not settle: questions it had no answer for, "did you mean" offers and
what the customer chose, "this didn't help" presses (the `faq_feedback` table).

Written in the customer's turn, one statement per event, and only for those events: an
answered question writes nothing here. Read by `supportbot faq gaps` and `faq learn`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update

from handoff.models import Conversation, FaqFeedback, FeedbackKind, Message, Ticket
from handoff.states import MessageKind, TicketStatus
from handoff.storage import Db

TABLE = cast(Table, FaqFeedback.__table__)
_INSERT = insert(TABLE)


@dataclass(frozen=True)
class Candidate:
    """An FAQ entry the matcher ranked for a question, with its score (0-100)."""

    entry_id: str
    score: float


@dataclass(frozen=True)
class Feedback:
    """One `faq_feedback` row as read back."""

    id: int
    conversation_id: int
    kind: FeedbackKind
    locale: str
    text: str
    candidates: tuple[Candidate, ...]
    entry_id: str | None
    unhelpful: bool
    created_at: datetime


@dataclass(frozen=True)
class ResolvedTicket:
    """A ticket an agent resolved: the customer's question that opened it (their last
    question to the bot before it opened) and what the agent replied in it."""

    ticket_id: int
    conversation_id: int
    locale: str
    question: str
    replies: tuple[str, ...]
    resolved_at: datetime


def _stored(candidates: Sequence[Candidate]) -> list[dict[str, Any]]:
    return [{"id": c.entry_id, "score": round(c.score, 1)} for c in candidates]


def _read(candidates: Any) -> tuple[Candidate, ...]:
    if not isinstance(candidates, list):
        return ()
    return tuple(
        Candidate(str(c["id"]), float(c["score"]))
        for c in candidates
        if isinstance(c, dict) and "id" in c and "score" in c
    )


async def record(
    db: Db,
    *,
    conversation_id: int,
    kind: FeedbackKind,
    locale: str,
    text: str,
    candidates: Sequence[Candidate],
    now: datetime,
    entry_id: str | None = None,
) -> None:
    """One row (one statement)."""
    await db.execute(
        _INSERT,
        {
            "conversation_id": conversation_id,
            "kind": kind,
            "locale": locale,
            "text": text,
            "candidates": _stored(candidates),
            "entry_id": entry_id,
            "unhelpful": False,
            "created_at": now,
        },
    )


# A press on a "did you mean" button is looked for among this many latest offers.
RECENT_OFFERS = 5


async def chose(db: Db, conversation_id: int, entry_id: str) -> bool:
    """The customer picked `entry_id` from a "did you mean": the conversation's latest
    offer (of the last RECENT_OFFERS) that listed it records the choice; a later pick
    replaces an earlier one. Whether there was such an offer."""
    offers = await db.execute(
        select(FaqFeedback.id, FaqFeedback.candidates)
        .where(
            FaqFeedback.conversation_id == conversation_id,
            FaqFeedback.kind == FeedbackKind.SUGGESTED,
        )
        .order_by(FaqFeedback.id.desc())
        .limit(RECENT_OFFERS)
    )
    for offer_id, candidates in offers.tuples():
        if any(c.entry_id == entry_id for c in _read(candidates)):
            await db.execute(
                update(FaqFeedback)
                .where(FaqFeedback.id == offer_id)
                .values(entry_id=entry_id, unhelpful=False)
                .execution_options(synchronize_session=False)
            )
            return True
    return False


async def rejected(db: Db, conversation_id: int, entry_id: str) -> None:
    """`entry_id` did not help: the conversation's latest choice of it from a "did you
    mean" is not a confirmed one any more (one statement)."""
    latest = (
        select(func.max(FaqFeedback.id))
        .where(
            FaqFeedback.conversation_id == conversation_id,
            FaqFeedback.kind == FeedbackKind.SUGGESTED,
            FaqFeedback.entry_id == entry_id,
        )
        .scalar_subquery()
    )
    await db.execute(
        update(FaqFeedback)
        .where(FaqFeedback.id == latest)
        .values(unhelpful=True)
        .execution_options(synchronize_session=False)
    )


async def last_question(db: Db, conversation_id: int) -> str | None:
    """The customer's last message that was a question to the bot (what an answer they
    press "this didn't help" on answered), or None."""
    rows = await db.execute(
        select(Message.text)
        .where(
            Message.conversation_id == conversation_id,
            Message.kind == MessageKind.CUSTOMER,
            Message.outcome.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def _rows(db: Db, *conditions: Any) -> list[Feedback]:
    rows = await db.execute(
        select(TABLE).where(FaqFeedback.text != "", *conditions).order_by(FaqFeedback.id)
    )
    return [
        Feedback(
            id=row.id,
            conversation_id=row.conversation_id,
            kind=FeedbackKind(row.kind),
            locale=row.locale,
            text=row.text,
            candidates=_read(row.candidates),
            entry_id=row.entry_id,
            unhelpful=bool(row.unhelpful),
            created_at=row.created_at,
        )
        for row in rows
    ]


async def unanswered(db: Db, since: datetime | None = None) -> list[Feedback]:
    """Questions the FAQ had no answer for, and answers that did not help, oldest first."""
    kinds = FaqFeedback.kind.in_((FeedbackKind.MISS, FeedbackKind.UNHELPFUL))
    if since is None:
        return await _rows(db, kinds)
    return await _rows(db, kinds, FaqFeedback.created_at >= since)


async def confirmed(db: Db, since: datetime | None = None) -> list[Feedback]:
    """Suggestions the customer chose an entry from and did not mark unhelpful."""
    conditions = [
        FaqFeedback.kind == FeedbackKind.SUGGESTED,
        FaqFeedback.entry_id.is_not(None),
        FaqFeedback.unhelpful.is_(False),
    ]
    if since is not None:
        conditions.append(FaqFeedback.created_at >= since)
    return await _rows(db, *conditions)


async def resolved_tickets(db: Db, since: datetime | None = None) -> list[ResolvedTicket]:
    """Tickets resolved (since `since`) whose opening question is still on record."""
    query = select(Ticket.id, Ticket.conversation_id, Ticket.created_at, Ticket.resolved_at)
    query = query.where(Ticket.status == TicketStatus.RESOLVED)
    if since is not None:
        query = query.where(Ticket.resolved_at >= since)
    tickets = list((await db.execute(query.order_by(Ticket.id))).tuples())
    if not tickets:
        return []
    conversation_ids = sorted({t[1] for t in tickets})
    lines = await db.execute(
        select(
            Message.conversation_id,
            Message.ticket_id,
            Message.kind,
            Message.text,
            Message.created_at,
        )
        .where(
            Message.conversation_id.in_(conversation_ids),
            Message.text != "",
            (Message.kind == MessageKind.AGENT)
            | ((Message.kind == MessageKind.CUSTOMER) & Message.outcome.is_not(None)),
        )
        .order_by(Message.created_at, Message.id)
    )
    questions: dict[int, list[tuple[datetime, str]]] = {}
    replies: dict[int, list[str]] = {}
    for conversation_id, ticket_id, kind, text, created_at in lines.tuples():
        if kind == MessageKind.AGENT and ticket_id is not None:
            replies.setdefault(ticket_id, []).append(text)
        elif kind == MessageKind.CUSTOMER:
            questions.setdefault(conversation_id, []).append((created_at, text))
    locales = await _locales(db, conversation_ids)
    found = []
    for ticket_id, conversation_id, created_at, resolved_at in tickets:
        asked = [text for at, text in questions.get(conversation_id, []) if at <= created_at]
        if asked and resolved_at is not None:
            found.append(
                ResolvedTicket(
                    ticket_id=ticket_id,
                    conversation_id=conversation_id,
                    locale=locales.get(conversation_id, ""),
                    question=asked[-1],
                    replies=tuple(replies.get(ticket_id, ())),
                    resolved_at=resolved_at,
                )
            )
    return found


async def _locales(db: Db, conversation_ids: Sequence[int]) -> dict[int, str]:
    rows = await db.execute(
        select(Conversation.id, Conversation.locale).where(Conversation.id.in_(conversation_ids))
    )
    return {conversation_id: locale for conversation_id, locale in rows.tuples()}
