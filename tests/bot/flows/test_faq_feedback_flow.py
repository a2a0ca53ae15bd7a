"""The learning loop's records, written by the running bot on SQLite and PostgreSQL: a
question without an answer, a "did you mean" and the entry chosen from it, a "this
didn't help" press; and an answered question, which writes nothing for it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from handoff.models import FaqFeedback, FeedbackKind
from tests.bot.conversation_kit import Bot, running_bot


async def _rows(bot: Bot) -> list[FaqFeedback]:
    async with bot.runtime._sessions() as session:
        return list(await session.scalars(select(FaqFeedback).order_by(FaqFeedback.id)))


async def _ask(bot: Bot, text: str) -> Any:
    await bot.customer.says(text)
    await bot.settle()
    return bot.to_customer()[-1]


async def test_an_answered_question_writes_no_feedback_statement(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        statements: list[str] = []

        def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if "faq_feedback" in statement.lower():
                statements.append(statement)

        engine = bot.runtime._db.sync_engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            answer = await _ask(bot, "Where is my order?")
            answered = list(statements)
            await _ask(bot, "qwzx vbnm plkj")
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        rows = await _rows(bot)

    assert [b.action_id for b in answer.out.buttons] == ["helpful", "unhelpful"]
    assert answered == []
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("INSERT")
    assert [(r.kind, r.text) for r in rows] == [(FeedbackKind.MISS, "qwzx vbnm plkj")]


async def test_a_miss_a_choice_and_an_unhelpful_answer_are_recorded(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        offer = await _ask(bot, "payment")
        suggested = [b for b in offer.out.buttons if b.action_id == "faq"]
        offered = [b.value for b in suggested]
        await bot.customer.presses(offer, suggested[1].label)
        await bot.settle()
        chosen = await _rows(bot)
        answer = bot.to_customer()[-1]
        await bot.customer.presses(answer, "unhelpful")
        await bot.settle()
        # The miss counter restarted with the chosen answer: one miss, no ticket yet.
        await _ask(bot, "Can I pay with seashells on the moon?")
        rows = await _rows(bot)

    suggestion = chosen[0]
    assert suggestion.kind == FeedbackKind.SUGGESTED
    assert suggestion.text == "payment"
    assert [c["id"] for c in suggestion.candidates] == offered
    assert all(40.0 <= c["score"] <= 100.0 for c in suggestion.candidates)
    assert (suggestion.entry_id, suggestion.unhelpful) == (offered[1], False)

    kinds = [(r.kind, r.text, r.entry_id, r.unhelpful) for r in rows]
    assert kinds[0] == (FeedbackKind.SUGGESTED, "payment", offered[1], True)
    assert kinds[1] == (FeedbackKind.UNHELPFUL, "payment", offered[1], False)
    assert kinds[2][:2] == (FeedbackKind.MISS, "Can I pay with seashells on the moon?")
    assert rows[2].candidates and rows[2].candidates[0]["score"] < 40.0
    assert len({r.conversation_id for r in rows}) == 1


async def test_a_miss_that_hands_off_is_recorded_too(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await _ask(bot, "qwzx vbnm plkj")
        await _ask(bot, "zzzz yyyy xxxx")
        rows = await _rows(bot)
        cards = [s for s in bot.staff_room() if s.out.open_thread]

    assert [(r.kind, r.text) for r in rows] == [
        (FeedbackKind.MISS, "qwzx vbnm plkj"),
        (FeedbackKind.MISS, "zzzz yyyy xxxx"),
    ]
    assert len(cards) == 1
