"""Throw-away databases for the storage benches, migrated and ready.

SQLite: a file (WAL mode) in a temporary folder. PostgreSQL: a database created on
the server named by SUPPORTBOT_BENCH_PG for this run only, and dropped after it.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from handoff.storage import make_engine, upgrade

PG_ENV = "SUPPORTBOT_BENCH_PG"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class DatabaseUnavailable(Exception):
    """The server cannot be reached; a section reports this instead of failing."""


class Scratch(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[str]: ...


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="supportbot-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await _migrate(url)
        yield url


async def _admin(server: str, statement: str) -> None:
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    server = os.environ.get(PG_ENV, DEFAULT_PG)
    name = f"sbbench_{uuid.uuid4().hex[:12]}"
    try:
        await _admin(server, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # whatever the driver raises, the bench reports it as one line
        shown = make_url(server).render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"PostgreSQL at {shown} ({PG_ENV}): {exc}") from exc
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        await _migrate(url)
        yield url
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


DATABASES: tuple[tuple[str, Scratch], ...] = (
    ("SQLite (WAL)", sqlite_database),
    ("PostgreSQL", postgres_database),
)
