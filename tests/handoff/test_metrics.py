"""The stored facts behind the report and the expected wait, on SQLite and PostgreSQL:
question outcomes ride on transcript lines, tickets record their first agent reply
once, and migration 0006 finds the first replies of tickets answered before it."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection

from handoff import messages, metrics, tickets
from handoff.models import Conversation, Ticket
from handoff.states import MessageKind, QuestionOutcome, TicketReason, TicketStatus
from handoff.storage import MIGRATIONS, make_engine, make_sessions, upgrade
from tests.handoff.conftest import Sessions
from tests.handoff.metrics_seed import DAY, SATURDAY, seed

T0 = datetime(2026, 11, 24, 9, 0)


async def test_questions_carry_outcome_and_platform_and_honour_since(sessions: Sessions) -> None:
    await seed(sessions)
    async with sessions() as session:
        every = await metrics.questions(session)
        later = await metrics.questions(session, since=DAY.replace(hour=9, minute=30))

    assert [(q.platform, q.outcome) for q in every] == [
        ("slack", "answered"),
        ("telegram", "suggested"),
        ("telegram", "none"),
        ("discord", "handed_off"),
        ("slack", "answered"),
        ("slack", "answered"),
    ]
    assert [q.asked_at.hour for q in later] == [10, 11]


async def test_lines_without_an_outcome_are_not_questions(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        conversation = Conversation(
            platform="slack",
            chat_id="D1",
            user_id="U1",
            display_name="Ann",
            locale="en",
            created_at=T0,
            updated_at=T0,
        )
        session.add(conversation)
        await session.flush()
        line = functools.partial(
            messages.line, conversation_id=conversation.id, ticket_id=None, author="Ann", now=T0
        )
        await messages.write(
            session,
            [
                line(kind=MessageKind.CUSTOMER, text="hi"),
                line(kind=MessageKind.BOT, text="hello"),
                line(
                    kind=MessageKind.CUSTOMER,
                    text="where is my order",
                    outcome=QuestionOutcome.ANSWERED,
                ),
            ],
        )
    async with sessions() as session:
        found = await metrics.questions(session)

    assert [(q.outcome, q.asked_at) for q in found] == [("answered", T0)]


async def test_ticket_facts_and_since(sessions: Sessions) -> None:
    await seed(sessions)
    async with sessions() as session:
        every = await metrics.tickets(session)
        weekend = await metrics.tickets(session, since=SATURDAY)

    assert [(t.platform, t.status, t.agent_name, t.rating) for t in every] == [
        ("discord", "resolved", "Sam", 3),
        ("slack", "resolved", "Alex", 5),
        ("slack", "open", None, None),
        ("telegram", "resolved", "Alex", 4),
    ]
    assert [t.first_reply_at for t in weekend] == [weekend[0].created_at + timedelta(days=2)]


async def test_first_responses_are_the_newest_answered_since(sessions: Sessions) -> None:
    await seed(sessions)
    async with sessions() as session:
        all_week = await metrics.first_responses(session, since=DAY, limit=10)
        newest = await metrics.first_responses(session, since=DAY, limit=1)
        none = await metrics.first_responses(session, since=SATURDAY + timedelta(hours=1), limit=10)

    assert [replied - opened for opened, replied in all_week] == [
        timedelta(days=2),
        timedelta(minutes=2),
        timedelta(minutes=10),
    ]
    assert newest == all_week[:1]
    assert none == []


async def test_the_first_reply_is_recorded_once(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        conversation = Conversation(
            platform="slack",
            chat_id="D1",
            user_id="U1",
            display_name="Ann",
            locale="en",
            created_at=T0,
            updated_at=T0,
        )
        session.add(conversation)
        await session.flush()
        ticket = Ticket(
            conversation_id=conversation.id,
            reason=TicketReason.ASKED,
            card_platform="test",
            card_chat_id="staff",
            created_at=T0,
        )
        session.add(ticket)
        await session.flush()
        ticket_id = ticket.id
    for minutes in (3, 9):
        async with sessions() as session, session.begin():
            fresh = await tickets.get_ticket(session, ticket_id)
            assert fresh is not None
            await tickets.replied(session, fresh, T0 + timedelta(minutes=minutes))
    async with sessions() as session:
        stored = await tickets.get_ticket(session, ticket_id)

    assert stored is not None
    assert stored.first_reply_at == T0 + timedelta(minutes=3)
    assert stored.status == TicketStatus.OPEN


def _alembic(connection: Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _to_0005(connection: Connection) -> None:
    command.upgrade(_alembic(connection), "0005")


def _down_to_0005(connection: Connection) -> None:
    command.downgrade(_alembic(connection), "0005")


def _seed_before_0006(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO conversations (id, platform, chat_id, user_id, display_name, locale,"
            " state, misses, created_at, updated_at) VALUES (1, 'slack', 'D1', 'U1', 'Ann',"
            " 'en', 'agent', 0, '2026-11-24 09:00:00.000000', '2026-11-24 09:00:00.000000')"
        )
    )
    for ticket_id, status in ((1, "resolved"), (2, "claimed")):
        connection.execute(
            text(
                "INSERT INTO tickets (id, conversation_id, status, reason, priority,"
                " card_platform, card_chat_id, created_at) VALUES (:id, 1, :status, 'asked',"
                " 'normal', 'test', 'staff', '2026-11-24 09:00:00.000000')"
            ),
            {"id": ticket_id, "status": status},
        )
    for minute, kind in ((4, "customer"), (7, "agent"), (12, "agent")):
        connection.execute(
            text(
                "INSERT INTO messages (conversation_id, ticket_id, kind, author, text, created_at)"
                " VALUES (1, 1, :kind, 'x', 'y', :at)"
            ).bindparams(bindparam("at", type_=DateTime)),
            {"kind": kind, "at": datetime(2026, 11, 24, 9, minute)},
        )


async def test_migration_finds_first_replies_and_downgrades(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_to_0005)
            await connection.run_sync(_seed_before_0006)
        await upgrade(engine)
        async with make_sessions(engine)() as session:
            first = {t.id: t.first_reply_at for t in await metrics.tickets(session)}
        async with engine.begin() as connection:
            await connection.run_sync(_down_to_0005)
        await upgrade(engine)
    finally:
        await engine.dispose()

    assert first == {1: datetime(2026, 11, 24, 9, 7), 2: None}
