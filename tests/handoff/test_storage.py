"""Database setup: migrations on both databases, SQLite's WAL mode, clear connection errors."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from handoff import inbox
from handoff.conversations import arrive
from handoff.models import Base, Conversation
from handoff.storage import (
    MIGRATIONS,
    StorageError,
    checkpoint,
    make_engine,
    make_reader,
    make_sessions,
    open_pool,
    upgrade,
)
from tests.handoff.statement_shapes import statements_run

TABLES = {
    "alembic_version",
    "blocks",
    "conversations",
    "faq_feedback",
    "messages",
    "outbox",
    "inbox",
    "thread_messages",
    "tickets",
}
NOW = datetime(2026, 3, 2, 10, 0)


def schema_state(connection: Connection) -> tuple[set[str], str | None, list[object]]:
    """(tables, current revision, differences between the migrated schema and the models)."""
    context = MigrationContext.configure(connection)
    tables = set(inspect(connection).get_table_names())
    return tables, context.get_current_revision(), compare_metadata(context, Base.metadata)


async def test_upgrade_creates_the_schema_the_models_describe(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            tables, revision, differences = await connection.run_sync(schema_state)
    finally:
        await engine.dispose()

    assert tables == TABLES
    assert revision == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert differences == []


async def test_upgrade_twice_changes_nothing_and_keeps_the_rows(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with make_sessions(engine)() as session, session.begin():
            await arrive(
                session,
                platform="slack",
                chat_id="D1",
                user_id="U1",
                display_name="Ana",
                locale="en",
                now=NOW,
                since=NOW,
            )
        await upgrade(engine)
        async with engine.connect() as connection:
            tables, revision, _ = await connection.run_sync(schema_state)
            kept = await connection.scalar(select(func.count()).select_from(Conversation))
    finally:
        await engine.dispose()

    assert tables == TABLES
    assert revision == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert kept == 1


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            journal = await connection.scalar(text("PRAGMA journal_mode"))
            busy_ms = await connection.scalar(text("PRAGMA busy_timeout"))
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
            autocheckpoint = await connection.scalar(text("PRAGMA wal_autocheckpoint"))
    finally:
        await engine.dispose()

    # The writer runs on the event loop: it waits for another process's lock only briefly
    # and leaves checkpoints (which sync the disk) to `checkpoint`, in a thread.
    assert (journal, busy_ms, foreign_keys, autocheckpoint) == ("wal", 200, 1, 0)
    header = (tmp_path / "bot.db").read_bytes()[:20]
    assert header[18:20] == b"\x02\x02"  # the file itself is marked WAL for every opener


async def test_sqlite_readers_answer_while_the_writer_holds_a_transaction(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    writer = make_engine(url)
    reader = make_reader(url, writer)
    try:
        await upgrade(writer)
        async with writer.connect() as writing, writing.begin():
            await arrive(
                writing,
                platform="slack",
                chat_id="D1",
                user_id="U1",
                display_name="Ann",
                locale="en",
                now=NOW,
                since=NOW,
            )
            # The writer's only connection is taken and its transaction is open: a read
            # through the writer would wait; the reader sees the last committed state.
            async with reader.connect() as reading:
                seen = await asyncio.wait_for(
                    reading.scalar(select(func.count()).select_from(Conversation)), 5
                )
                with pytest.raises(Exception, match="readonly"):
                    await reading.execute(text("DELETE FROM conversations"))
    finally:
        await reader.dispose()
        await writer.dispose()

    assert seen == 0
    assert reader is not writer


async def test_the_sqlite_writer_runs_on_the_loops_thread(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    threads = threading.active_count()
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(text("SELECT 41 + 1"))
            during = threading.active_count()
    finally:
        await engine.dispose()

    assert found == 42
    assert during == threads


def pages_in_file(path: Path) -> int:
    """The database size in the main file's header (the write-ahead log not counted)."""
    return int.from_bytes(path.read_bytes()[28:32], "big")


async def test_a_checkpoint_copies_the_log_into_the_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    writer = make_engine(url)
    reader = make_reader(url, writer)
    try:
        await upgrade(writer)
        before = pages_in_file(tmp_path / "bot.db")
        await checkpoint(url, reader)
        after = pages_in_file(tmp_path / "bot.db")
    finally:
        await reader.dispose()
        await writer.dispose()

    assert before <= 1
    assert after > 5


async def test_postgresql_reads_share_the_writers_pool(postgres_url: str) -> None:
    writer = make_engine(postgres_url)
    try:
        assert make_reader(postgres_url, writer) is writer
    finally:
        await writer.dispose()


async def test_postgresql_opens_the_whole_pool_at_start(postgres_url: str) -> None:
    engine = make_engine(postgres_url, workers=3)
    try:
        assert await open_pool(engine) == []

        assert engine.pool.checkedin() == 3 + 4  # type: ignore[attr-defined]
        opened = await backend_count(engine)
        assert opened >= 3 + 4
    finally:
        await engine.dispose()


async def backend_count(engine: AsyncEngine) -> int:
    """This test's connections as the server sees them (one of them asks)."""
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = ''"
                )
            )
            or 0
        )


async def test_connections_that_do_not_open_at_start_are_named_not_raised() -> None:
    engine = make_engine("postgresql+asyncpg://bot:hunter2@127.0.0.1:1/support", workers=1)
    try:
        reasons = await open_pool(engine)
    finally:
        await engine.dispose()

    assert len(reasons) == 1 + 4
    assert all("Connect call failed" in reason or "refused" in reason.lower() for reason in reasons)


# --- errors name the database and the cause ----------------------------------------------


async def upgrade_error(url: str) -> str:
    engine = make_engine(url)
    try:
        with pytest.raises(StorageError) as caught:
            await upgrade(engine)
    finally:
        await engine.dispose()
        await sqlite_workers_stopped()
    return str(caught.value)


async def sqlite_workers_stopped() -> None:
    """Wait for aiosqlite's worker threads to end while this event loop still runs.

    After a failed connect aiosqlite stops its thread without awaiting it; a thread that
    gets there after the test's loop closed dies on "Event loop is closed"."""
    for thread in threading.enumerate():
        if thread.name.endswith("(_connection_worker_thread)"):
            await asyncio.to_thread(thread.join, 5.0)


async def test_an_unreachable_server_is_a_storage_error_without_the_password() -> None:
    message = await upgrade_error("postgresql+asyncpg://bot:hunter2@127.0.0.1:1/support")

    assert message.startswith("database postgresql+asyncpg://bot:***@127.0.0.1:1/support: ")
    assert "cannot connect" in message
    assert "Connect call failed" in message or "refused" in message.lower()
    assert "hunter2" not in message


async def test_a_missing_postgresql_database_is_named(postgres_url: str) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_database"

    message = await upgrade_error(missing)

    assert "127.0.0.1" in message
    assert 'database "no_such_database" does not exist' in message


async def test_a_sqlite_file_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    path = tmp_path / "missing-folder" / "bot.db"

    message = await upgrade_error(f"sqlite+aiosqlite:///{path}")

    assert str(path) in message
    assert "unable to open database file" in message


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("sqlite:///bot.db", "requires an async driver"),
        ("postgresql://bot:hunter2@db/support", "No module named 'psycopg2'"),
        ("nosuchdb://host/x", "Can't load plugin"),
        ("not a url at all", "Could not parse"),
    ],
)
def test_a_url_without_an_async_driver_is_a_storage_error(url: str, cause: str) -> None:
    with pytest.raises(StorageError) as caught:
        make_engine(url)

    message = str(caught.value)
    assert cause in message
    assert "sqlite+aiosqlite:///FILE or postgresql+asyncpg://" in message
    assert "hunter2" not in message


async def test_inserting_any_number_of_rows_takes_eleven_statement_shapes(
    engine: AsyncEngine,
) -> None:
    """Each distinct INSERT is compiled, cached and prepared per connection for good: the
    inbox's group commits of 1 to 71 events must not make 71 shapes (the bot's memory
    crept up with every new batch size). Statements of 1 to 8 rows, 16, 32 or 64 rows;
    an event stored before, by an earlier statement or transaction, is still None."""

    def received(n: int) -> inbox.Received:
        return inbox.Received("slack", f"C{n}", f"e{n}", f"slack:C{n}", {"n": n})

    now = datetime(2026, 1, 1)
    async with engine.begin() as conn:
        await inbox.store(conn, [received(0)], now)
    stored = 1
    with statements_run(engine, "INSERT INTO inbox") as statements:
        for count in range(1, 71):
            events = [received(stored + k) for k in range(count)]
            async with engine.begin() as conn:
                # The first event again at the end, and one stored by the last batch.
                ids = await inbox.store(conn, [*events, events[0], received(stored - 1)], now)
            assert None not in ids[:count]
            assert len(set(ids[:count])) == count
            assert ids[count:] == [None, None]
            stored += count

    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(inbox.TABLE)) == stored
    assert len(statements) == 11
