"""handoff/faq_feedback.py on SQLite and PostgreSQL: what is read back for `faq gaps`
and `faq learn` (since a date, choices confirmed or taken back, the question that opened
a resolved ticket and the agent's replies in it), and the privacy commands covering it."""

from __future__ import annotations

from datetime import datetime, timedelta

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from handoff import faq_feedback, privacy
from handoff.faq_feedback import Candidate
from handoff.models import Conversation, FaqFeedback, FeedbackKind, Message, Ticket
from handoff.privacy import Person
from handoff.states import MessageKind, QuestionOutcome, TicketReason, TicketStatus
from handoff.storage import MIGRATIONS, upgrade

T0 = datetime(2026, 11, 24, 9, 0)
NEAR = [Candidate("returns", 52.34), Candidate("shipping", 41.0)]


async def _conversation(db: AsyncConnection, user_id: str) -> int:
    result = await db.execute(
        insert(Conversation).returning(Conversation.id),
        {
            "platform": "test",
            "chat_id": f"dm-{user_id}",
            "user_id": user_id,
            "display_name": user_id,
            "locale": "en",
            "state": "bot",
            "misses": 0,
            "created_at": T0,
            "updated_at": T0,
        },
    )
    return int(result.scalar_one())


async def _record(
    db: AsyncConnection,
    conversation: int,
    kind: FeedbackKind,
    text: str,
    at: datetime,
    candidates: list[Candidate] = NEAR,
) -> None:
    await faq_feedback.record(
        db,
        conversation_id=conversation,
        kind=kind,
        locale="en",
        text=text,
        candidates=candidates,
        now=at,
    )


async def test_misses_and_unhelpful_answers_are_the_gaps(engine: AsyncEngine) -> None:
    async with engine.begin() as db:
        dana = await _conversation(db, "dana")
        await _record(db, dana, FeedbackKind.MISS, "old question", T0 - timedelta(days=9))
        await _record(db, dana, FeedbackKind.SUGGESTED, "payment", T0)
        await _record(db, dana, FeedbackKind.MISS, "do you ship to mars", T0)
        await _record(db, dana, FeedbackKind.UNHELPFUL, "where is my parcel", T0)
    async with engine.connect() as db:
        every = await faq_feedback.unanswered(db)
        recent = await faq_feedback.unanswered(db, T0 - timedelta(days=1))

    assert [r.text for r in every] == ["old question", "do you ship to mars", "where is my parcel"]
    assert [(r.kind, r.text) for r in recent] == [
        (FeedbackKind.MISS, "do you ship to mars"),
        (FeedbackKind.UNHELPFUL, "where is my parcel"),
    ]
    assert recent[0].candidates == (Candidate("returns", 52.3), Candidate("shipping", 41.0))


async def test_a_choice_counts_until_its_answer_is_marked_unhelpful(engine: AsyncEngine) -> None:
    async with engine.begin() as db:
        dana = await _conversation(db, "dana")
        olaf = await _conversation(db, "olaf")
        nobody_asked = await faq_feedback.chose(db, dana, "returns")
        await _record(db, dana, FeedbackKind.SUGGESTED, "send it back", T0)
        gift = [Candidate("gift-cards", 45.0)]
        await _record(db, dana, FeedbackKind.SUGGESTED, "voucher?", T0, gift)
        await _record(db, olaf, FeedbackKind.SUGGESTED, "not chosen", T0)
        await _record(db, olaf, FeedbackKind.SUGGESTED, "where is it", T0)
        never_offered = await faq_feedback.chose(db, dana, "newsletter")
        # A button of an earlier offer: the latest offer that listed the entry takes it.
        assert await faq_feedback.chose(db, dana, "shipping")
        assert await faq_feedback.chose(db, dana, "returns")  # a later pick replaces it
        await faq_feedback.chose(db, olaf, "shipping")  # on olaf's last suggestion
    async with engine.connect() as db:
        before = await faq_feedback.confirmed(db)
    async with engine.begin() as db:
        await faq_feedback.rejected(db, dana, "shipping")  # not the entry chosen
        await faq_feedback.rejected(db, olaf, "shipping")
    async with engine.connect() as db:
        after = await faq_feedback.confirmed(db)

    assert not nobody_asked and not never_offered
    assert [(r.text, r.entry_id) for r in before] == [
        ("send it back", "returns"),
        ("where is it", "shipping"),
    ]
    assert [(r.text, r.entry_id) for r in after] == [("send it back", "returns")]


async def _line(
    db: AsyncConnection,
    conversation: int,
    kind: MessageKind,
    text: str,
    at: datetime,
    *,
    ticket: int | None = None,
    outcome: QuestionOutcome | None = None,
) -> None:
    await db.execute(
        insert(Message),
        {
            "conversation_id": conversation,
            "ticket_id": ticket,
            "kind": kind,
            "author": "x",
            "text": text,
            "outcome": outcome,
            "created_at": at,
        },
    )


async def _ticket(
    db: AsyncConnection, conversation: int, opened: datetime, resolved: datetime | None
) -> int:
    result = await db.execute(
        insert(Ticket).returning(Ticket.id),
        {
            "conversation_id": conversation,
            "status": TicketStatus.RESOLVED if resolved else TicketStatus.OPEN,
            "reason": TicketReason.NO_ANSWER,
            "priority": "normal",
            "card_platform": "test",
            "card_chat_id": "staff",
            "created_at": opened,
            "resolved_at": resolved,
        },
    )
    return int(result.scalar_one())


async def test_a_resolved_ticket_brings_its_opening_question_and_replies(
    engine: AsyncEngine,
) -> None:
    asked, later = T0, T0 + timedelta(hours=1)
    async with engine.begin() as db:
        dana = await _conversation(db, "dana")
        olaf = await _conversation(db, "olaf")
        await _line(db, dana, MessageKind.CUSTOMER, "hi", asked - timedelta(minutes=2))
        await _line(
            db,
            dana,
            MessageKind.CUSTOMER,
            "first q",
            asked - timedelta(minutes=1),
            outcome=QuestionOutcome.NONE,
        )
        await _line(
            db, dana, MessageKind.CUSTOMER, "my parcel?", asked, outcome=QuestionOutcome.HANDED_OFF
        )
        ticket = await _ticket(db, dana, asked, later)
        await _line(db, dana, MessageKind.AGENT, "It left today", later, ticket=ticket)
        await _line(db, dana, MessageKind.NOTE, "internal", later, ticket=ticket)
        await _line(
            db, dana, MessageKind.CUSTOMER, "after", later, outcome=QuestionOutcome.ANSWERED
        )
        await _line(
            db, olaf, MessageKind.CUSTOMER, "still open", asked, outcome=QuestionOutcome.HANDED_OFF
        )
        await _ticket(db, olaf, asked, None)
    async with engine.connect() as db:
        found = await faq_feedback.resolved_tickets(db)
        none_since = await faq_feedback.resolved_tickets(db, later + timedelta(seconds=1))
        question = await faq_feedback.last_question(db, dana)

    assert len(found) == 1
    assert (found[0].ticket_id, found[0].question, found[0].replies) == (
        ticket,
        "my parcel?",
        ("It left today",),
    )
    assert found[0].locale == "en"
    assert none_since == []
    assert question == "after"


async def test_privacy_exports_erases_and_purges_it(engine: AsyncEngine) -> None:
    old = T0 - timedelta(days=40)
    async with engine.begin() as db:
        dana = await _conversation(db, "dana")
        olaf = await _conversation(db, "olaf")
        waiting = await _conversation(db, "wait")
        await _ticket(db, waiting, old, None)
        await _record(db, dana, FeedbackKind.MISS, "dana's secret question", T0)
        await _record(db, olaf, FeedbackKind.MISS, "olaf old", old)
        await _record(db, olaf, FeedbackKind.MISS, "olaf recent", T0)
        await _record(db, waiting, FeedbackKind.MISS, "waiting old", old)
    async with engine.begin() as db:
        exported = await privacy.export(db, Person("test", "dana"))
        erased = await privacy.erase(db, Person("test", "dana"), T0)
    async with engine.begin() as db:
        purged = await privacy.purge(db, T0 - timedelta(days=30))
    async with engine.connect() as db:
        left = list((await db.execute(select(FaqFeedback.text).order_by(FaqFeedback.id))).scalars())

    assert [r["text"] for r in exported["faq_feedback"]] == ["dana's secret question"]
    assert len(erased.feedback) == 1
    assert purged.feedback == 1
    assert left == ["olaf recent", "waiting old"]


def _down_to_0006(connection: Connection) -> list[str]:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.downgrade(config, "0006")
    return inspect(connection).get_table_names()


async def test_the_migration_goes_down_and_up_again(engine: AsyncEngine) -> None:
    async with engine.begin() as db:
        await _record(db, await _conversation(db, "dana"), FeedbackKind.MISS, "lost", T0)
    async with engine.begin() as db:
        tables = await db.run_sync(_down_to_0006)
    await upgrade(engine)
    async with engine.connect() as db:
        again = await faq_feedback.unanswered(db)

    assert "faq_feedback" not in tables and "conversations" in tables
    assert again == []
