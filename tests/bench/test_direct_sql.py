"""The direct-SQL baseline does the engine's work for an FAQ question: the event stored
(done), one conversation per customer, both transcript lines, the reply sent."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.direct_sql import Answers, Handler, direct_engine, run_direct
from bench.engine_bench import EXAMPLE_FAQ, faq_questions
from faq.loader import load_faq
from handoff.storage import make_engine, upgrade


async def _migrated(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _rows(engine: AsyncEngine, query: str) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(query))]


def test_the_best_phrasing_names_its_entry() -> None:
    answers = Answers(load_faq(EXAMPLE_FAQ))
    assert answers.best("How do I reset my password?").id == "reset-password"
    assert answers.best("how do i reset my pasword").id == "reset-password"


async def test_every_question_is_stored_answered_and_sent(database_url: str) -> None:
    await _migrated(database_url)
    questions = faq_questions()

    result = await run_direct(database_url, load_faq(EXAMPLE_FAQ), questions, 3, 4)

    assert result.messages == 12
    assert result.seconds > 0 and result.cpu_seconds > 0
    engine = direct_engine(database_url, 1)
    try:
        assert await _rows(engine, "SELECT status, COUNT(*) FROM inbox GROUP BY status") == [
            ("done", 12)
        ]
        assert await _rows(engine, "SELECT COUNT(*) FROM conversations") == [(3,)]
        kinds = await _rows(engine, "SELECT kind, COUNT(*) FROM messages GROUP BY kind")
        assert sorted(kinds) == [("bot", 12), ("customer", 12)]
        sent = await _rows(
            engine,
            "SELECT status, COUNT(*), COUNT(sent_message_id) FROM outbox GROUP BY status",
        )
        assert sent == [("sent", 12, 12)]
        lanes = await _rows(engine, "SELECT DISTINCT lane FROM outbox ORDER BY lane")
        assert lanes == [("test:D0:thread:",), ("test:D1:thread:",), ("test:D2:thread:",)]
    finally:
        await engine.dispose()


async def test_a_redelivered_event_is_handled_once(database_url: str) -> None:
    await _migrated(database_url)
    engine = direct_engine(database_url, 1)
    handler = Handler(engine, Answers(load_faq(EXAMPLE_FAQ)))
    try:
        for _ in range(2):
            await handler.handle("D1", "U1", "U1-1", "Where is my order?")
        assert await _rows(engine, "SELECT COUNT(*) FROM inbox") == [(1,)]
        assert await _rows(engine, "SELECT COUNT(*) FROM outbox") == [(1,)]
        assert await _rows(engine, "SELECT COUNT(*) FROM messages") == [(2,)]
    finally:
        await engine.dispose()
