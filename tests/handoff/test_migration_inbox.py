"""Upgrading a database of the previous release to the inbox schema keeps what matters:
events it had handled stay known (a late redelivery is ignored), and a conversation
that a double click gave two open tickets keeps only the one it points at."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text
from sqlalchemy.engine import Connection

from handoff.storage import MIGRATIONS, make_engine, upgrade

BEFORE_INBOX = "0002"


def _to_revision(connection: Connection, revision: str) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _seed_old_rows(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO conversations (id, platform, chat_id, user_id, display_name, locale,"
            " state, misses, ticket_id, created_at, updated_at) VALUES (1, 'slack', 'D1',"
            " 'U1', 'Ann', 'en', 'queued', 0, 2, '2026-11-01', '2026-11-01')"
        )
    )
    for ticket_id in (1, 2):
        connection.execute(
            text(
                "INSERT INTO tickets (id, conversation_id, status, reason, priority,"
                " card_platform, card_chat_id, created_at) VALUES"
                f" ({ticket_id}, 1, 'open', 'asked', 'normal', 'slack', 'CSTAFF', '2026-11-01')"
            )
        )
    connection.execute(
        text(
            "INSERT INTO seen_events (platform, chat_id, event_id, seen_at)"
            " VALUES ('slack', 'D1', '1700000000.1', '2026-11-01')"
        )
    )


async def test_upgrade_keeps_handled_events_and_closes_stray_tickets(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_to_revision, BEFORE_INBOX)
            await connection.run_sync(_seed_old_rows)
        await upgrade(engine)
        async with engine.connect() as connection:
            inbox = (
                await connection.execute(text("SELECT chat_id, event_key, status FROM inbox"))
            ).all()
            statuses = (
                await connection.execute(text("SELECT id, status FROM tickets ORDER BY id"))
            ).all()
    finally:
        await engine.dispose()

    assert [tuple(row) for row in inbox] == [("D1", "m:1700000000.1", "done")]
    assert [tuple(row) for row in statuses] == [(1, "resolved"), (2, "open")]
