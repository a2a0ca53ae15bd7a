"""SQLite's writer connection, run on the event loop's own thread.

aiosqlite runs every call (each statement, fetch, commit) in a worker thread and
wakes the event loop for each result: about four thread hops per statement, which
measured as 60% of the CPU a message costs (7.6 ms against 2.5 ms inline, issue 12).
A statement on a local SQLite file in WAL mode takes microseconds and a commit does
not wait for the disk (`synchronous=NORMAL` syncs only at checkpoints), so the one
writer connection runs its calls directly instead. The two calls that can wait are
kept off the loop: checkpoints (the writer's automatic checkpoint is turned off; the
runtime checkpoints from a reader connection in a thread, see `checkpoint`) and the
busy wait for another process's write lock, which is bounded by `LOCK_WAIT_SECONDS`.

The class keeps aiosqlite's interface, which SQLAlchemy's aiosqlite dialect drives
(`create_async_engine(..., async_creator=...)`); only how a call is run changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.ext.asyncio import AsyncEngine

# How long a write waits for the lock another process holds (a `supportbot` command run
# beside the bot) before failing as an outage to be retried; it holds the event loop.
LOCK_WAIT_SECONDS = 0.2


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run in the calling thread, no worker thread."""

    def __await__(self) -> Any:
        return self._connect().__await__()

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def connect(database: str) -> Callable[[], Any]:
    """The `async_creator` for an engine whose connections are `InlineConnection`s."""

    async def creator() -> InlineConnection:
        connector = partial(
            sqlite3.connect, database, timeout=LOCK_WAIT_SECONDS, check_same_thread=False
        )
        return await InlineConnection(connector, iter_chunk_size=64)._connect()

    return creator


async def checkpoint(reader: AsyncEngine) -> None:
    """Copy what the write-ahead log holds into the database file (and sync it), on one
    of the reader engine's connections, whose calls run in a worker thread. PASSIVE: it
    never waits for the writer, whatever it cannot copy now goes next time."""
    async with reader.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        await connection.rollback()
