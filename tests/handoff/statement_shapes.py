"""The distinct SQL statements an engine runs: each one is compiled, cached and prepared
per connection for good, so a query that makes a new one per batch size grows the
process's memory and costs a round trip on PostgreSQL at every new size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements_run(engine: AsyncEngine, beginning: str) -> Iterator[set[str]]:
    """The distinct statements starting with `beginning` (any case) that `engine` runs
    inside the block."""
    statements: set[str] = set()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(beginning.upper()):
            statements.add(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
