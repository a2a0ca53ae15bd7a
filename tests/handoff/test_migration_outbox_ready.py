"""Upgrading a database with pending outbox rows to 0005 (`ready_at`) sorts them as the
outbox functions would have: a lane's later rows wait behind its oldest pending row, a
leased row is ready when its lease ends, a backing-off row when it is due, a new row at
once; the delivery worker then goes on where the old one stopped. Downgrading and
upgrading again works too."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection

from handoff import outbox
from handoff.models import OUTBOX_BEHIND, OUTBOX_NEW
from handoff.storage import MIGRATIONS, make_engine, make_sessions, upgrade

BEFORE_READY_AT = "0004"
LEASED_UNTIL = datetime(2026, 11, 1, 10, 0, 30)
DUE = datetime(2026, 11, 1, 10, 5)
# id, lane, status, due_at, lease_owner, lease_until
ROWS = [
    (1, "a", "pending", None, "old-worker", LEASED_UNTIL),
    (2, "a", "pending", None, None, None),
    (3, "a", "pending", None, None, None),
    (4, "b", "pending", DUE, None, None),
    (5, "c", "pending", None, None, None),
    (6, "d", "sent", None, None, None),
    (7, "d", "pending", None, None, None),
]


def _alembic(connection: Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _to_revision(connection: Connection, revision: str) -> None:
    command.upgrade(_alembic(connection), revision)


def _down_to(connection: Connection, revision: str) -> None:
    command.downgrade(_alembic(connection), revision)


def _seed_old_rows(connection: Connection) -> None:
    for row_id, lane, status, due_at, owner, until in ROWS:
        connection.execute(
            text(
                "INSERT INTO outbox (id, target, platform, chat_id, lane, payload, status,"
                " attempts, in_doubt, due_at, lease_owner, lease_until, created_at) VALUES"
                " (:id, 'address', 'slack', :chat, :lane, '{}', :status, 0, false, :due,"
                " :owner, :until, '2026-11-01 10:00:00.000000')"
            ).bindparams(bindparam("due", type_=DateTime), bindparam("until", type_=DateTime)),
            {
                "id": row_id,
                "chat": lane,
                "lane": f"slack:{lane}:thread:",
                "status": status,
                "due": due_at,
                "owner": owner,
                "until": until,
            },
        )


async def test_upgrade_sorts_pending_rows_into_their_lanes(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_to_revision, BEFORE_READY_AT)
            await connection.run_sync(_seed_old_rows)
        await upgrade(engine)
        async with engine.connect() as connection:
            ready = dict(
                (await connection.execute(text("SELECT id, ready_at FROM outbox"))).tuples().all()
            )
        sessions = make_sessions(engine)
        async with sessions() as session, session.begin():
            after_lease = datetime(2026, 11, 1, 10, 1)
            leased = await outbox.lease_due(session, "new-worker", after_lease, 10.0, 10)
    finally:
        await engine.dispose()

    def as_datetime(value: object) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

    assert {row_id: as_datetime(value) for row_id, value in ready.items()} == {
        1: LEASED_UNTIL,
        2: OUTBOX_BEHIND,
        3: OUTBOX_BEHIND,
        4: DUE,
        5: OUTBOX_NEW,
        6: OUTBOX_NEW,
        7: OUTBOX_NEW,
    }
    assert [(row.id, row.in_doubt) for row in leased] == [(1, True), (5, False), (7, False)]


async def test_downgrade_and_upgrade_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.run_sync(_down_to, BEFORE_READY_AT)
            await connection.run_sync(_seed_old_rows)
        await upgrade(engine)
        async with engine.connect() as connection:
            behind = (
                await connection.execute(
                    text("SELECT id FROM outbox WHERE ready_at > :now ORDER BY id").bindparams(
                        bindparam("now", type_=DateTime)
                    ),
                    {"now": datetime(2027, 1, 1)},
                )
            ).scalars()
            waiting = list(behind)
    finally:
        await engine.dispose()

    assert waiting == [2, 3]
