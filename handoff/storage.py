"""Database setup: the async engine (SQLite in WAL mode or PostgreSQL), sessions,
migrations, and the one SQL helper the query modules share."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table, TextualSelect, bindparam, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import QueuePool

from handoff import sqlite_inline

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant, the same in every supportbot process: the key of the migration lock.
_MIGRATION_LOCK = 5_170_701


READERS = 2  # SQLite connections for reads beside the one writer (see make_reader)
# Rows to one INSERT statement: any count up to INSERT_EXACT, else a power of two up to
# INSERT_CHUNK (see `_insert_sizes`), so that few statement shapes are ever cached.
INSERT_CHUNK = 64
INSERT_EXACT = 8

# What the query modules run statements on: a connection (the hot path) or a session.
Db = AsyncConnection | AsyncSession


class StorageError(Exception):
    """The database cannot be reached or prepared; the message says which and why."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_writer_pragmas(dbapi_connection: Any, record: Any) -> None:
    """The writer runs on the event loop (handoff/sqlite_inline.py): it waits for another
    process's lock only briefly and leaves checkpoints to `checkpoint`."""
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(sqlite_inline.LOCK_WAIT_SECONDS * 1000)}")
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def make_engine(url: str, *, workers: int = 8) -> AsyncEngine:
    """The engine for `url`; a URL no async driver serves is a StorageError.

    SQLite writes one transaction at a time, and a writer that finds the file locked
    sleeps and polls (`busy_timeout`): connections competing for the lock waste most of
    their time asleep. So SQLite gets one connection, which callers wait for in turn,
    in order, without polling, and whose calls run on the event loop's thread
    (handoff/sqlite_inline.py); reads that need no transaction use `make_reader`'s
    connections. On PostgreSQL the pool holds a connection for each of
    `workers` conversations handled at once, plus a few for receiving, delivery and
    health checks; no round trip checks a connection before each use: a connection the
    server dropped fails its statement as an outage, is discarded, and the work is
    retried on a new one (bot/outage.py)."""
    try:
        if url.startswith("sqlite"):
            engine = create_async_engine(
                url,
                async_creator=sqlite_inline.connect(make_url(url).database or ":memory:"),
                pool_size=1,
                max_overflow=0,
                pool_timeout=300,
            )
            event.listen(engine.sync_engine, "connect", _sqlite_writer_pragmas)
            return engine
        return create_async_engine(url, pool_size=workers + 4, max_overflow=0)
    except (SQLAlchemyError, ImportError) as exc:
        raise StorageError(
            f"database {_shown(url)}: unusable URL ({_cause(exc)}); "
            "use sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DATABASE"
        ) from exc


async def open_pool(engine: AsyncEngine) -> list[str]:
    """Open the connections the pool holds now, at start, rather than when a burst first
    needs them; why those that did not open failed (they open on demand, as before).

    A PostgreSQL connection costs several round trips and the driver's set-up: opened on
    demand, a dozen of them are opened while the first burst's customers wait."""
    size = engine.pool.size() if isinstance(engine.pool, QueuePool) else 0
    opened = await asyncio.gather(
        *(engine.connect().start() for _ in range(size)), return_exceptions=True
    )
    await asyncio.gather(*(conn.close() for conn in opened if isinstance(conn, AsyncConnection)))
    return [_cause(exc) for exc in opened if isinstance(exc, Exception)]


def _sqlite_reader_pragmas(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def make_reader(url: str, writer: AsyncEngine) -> AsyncEngine:
    """The engine for reads that need no write transaction (health checks, reports).

    On SQLite the writer's one connection may be busy with a transaction, and in WAL
    mode readers do not wait for writers: they get connections of their own, which
    refuse to write. On PostgreSQL the writer's pool serves both.
    """
    if not url.startswith("sqlite"):
        return writer
    engine = create_async_engine(
        url, connect_args={"timeout": 30}, pool_size=READERS, max_overflow=0, pool_timeout=300
    )
    event.listen(engine.sync_engine, "connect", _sqlite_reader_pragmas)
    return engine


async def checkpoint(url: str, reader: AsyncEngine) -> None:
    """SQLite: copy the write-ahead log into the database file, off the event loop (the
    writer does not, see `make_engine`). Nothing to do on PostgreSQL."""
    if url.startswith("sqlite"):
        await sqlite_inline.checkpoint(reader)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _upgrade(connection: Connection) -> None:
    # Alembic loads when a schema is migrated, not with this module: commands that never
    # open the database (`supportbot faq check`) start without it.
    from alembic import command
    from alembic.config import Config as AlembicConfig

    if connection.dialect.name == "postgresql":
        # Processes starting together migrate one at a time (the lock is held until this
        # transaction ends), so the later ones find the schema current.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (safe to run on every start)."""
    try:
        connection = await engine.connect()
    except Exception as exc:  # each driver has its own: OSError, asyncpg's, sqlite3's
        raise StorageError(f"database {engine.url!r}: cannot connect: {_cause(exc)}") from exc
    try:
        async with connection.begin():
            await connection.run_sync(_upgrade)
    finally:
        await connection.close()


def _shown(url: str) -> str:
    """The URL as messages may show it: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a URL)"


def _cause(exc: Exception) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return str(cause) or type(cause).__name__


def changed_one(result: Result[Any]) -> bool:
    """Whether a conditional UPDATE changed exactly one row (it won the race)."""
    return cast(CursorResult[Any], result).rowcount == 1


def dialect_name(db: Db) -> str:
    """ "postgresql" or "sqlite"."""
    bind = db.bind if isinstance(db, AsyncSession) else db
    return bind.dialect.name


def _insert_sizes(count: int) -> list[int]:
    """How many rows each INSERT of `count` rows takes: the count itself up to
    INSERT_EXACT, else the largest power of two that fits (at most INSERT_CHUNK), then
    the rest the same way (39 rows: 32 and 7). Sizes 1 to INSERT_EXACT and the powers
    of two up to INSERT_CHUNK: 11 shapes, whatever the batches."""
    sizes: list[int] = []
    while count > 0:
        size = count if count <= INSERT_EXACT else min(INSERT_CHUNK, 1 << (count.bit_length() - 1))
        sizes.append(size)
        count -= size
    return sizes


@cache
def _insert_text(
    table: Table, columns: tuple[str, ...], rows: int, on_conflict: str, returning: tuple[str, ...]
) -> TextualSelect:
    values = ", ".join(
        "(" + ", ".join(f":{name}_{row}" for name in columns) + ")" for row in range(rows)
    )
    # Names and clauses come from this code, never from data; values are bound.
    into = f"INSERT INTO {table.name} ({', '.join(columns)})"
    sql = f"{into} VALUES {values} {on_conflict} RETURNING {', '.join(returning)}"
    binds = [
        bindparam(f"{name}_{row}", type_=table.c[name].type)
        for row in range(rows)
        for name in columns
    ]
    return text(sql).bindparams(*binds).columns(*(table.c[name] for name in returning))


async def insert_returning(
    db: Db,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    on_conflict: str,
    returning: tuple[str, ...],
) -> list[Any]:
    """INSERT `rows` (all with the same keys) with an ON CONFLICT clause (the same SQL on
    PostgreSQL and SQLite), in order, in statements of `_insert_sizes` rows; the rows
    RETURNING gave.

    Written as text because SQLAlchemy 2.0 compiles its dialects' ON CONFLICT inserts
    anew on every execution (they have no cache key): on the hot path that compile cost
    more than the statement. A text statement is compiled once per shape, and each shape
    is kept for good (here, in SQLAlchemy's compiled cache, in every connection's
    statement cache): with one shape per row count up to 50, each rarer large group
    commit added a shape of hundreds of parameters, and the process's memory crept up
    (the inbox's 50 shapes: about 23 MB on SQLite, 16 MB on PostgreSQL). With
    `_insert_sizes` a table has 11 shapes; batches of up to 50 rows take about 1 MB."""
    if not rows:
        return []
    columns = tuple(rows[0])
    found: list[Any] = []
    start = 0
    for size in _insert_sizes(len(rows)):
        chunk = rows[start : start + size]
        start += size
        statement = _insert_text(table, columns, size, on_conflict, returning)
        params = {
            f"{name}_{number}": row[name] for number, row in enumerate(chunk) for name in columns
        }
        found.extend((await db.execute(statement, params)).all())
    return found
