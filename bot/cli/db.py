"""`supportbot db upgrade`: create or migrate the database schema."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli.common import add_config_option, load_or_exit
from handoff.storage import StorageError, make_engine, upgrade

_UNKNOWN = "?"


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser("db", help="database schema")
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade_parser = actions.add_parser(
        "upgrade", help="create the database schema, or migrate it to the newest one"
    )
    add_config_option(upgrade_parser)
    upgrade_parser.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    try:
        before, after = asyncio.run(_upgrade(config.database.url))
    except StorageError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    print(
        f"{make_url(config.database.url).render_as_string(hide_password=True)}: "
        f"{outcome(before, after)}"
    )
    return 0


def outcome(before: str | None, after: str | None) -> str:
    """What an upgrade did, from the schema revision before and after it."""
    if before is None:
        return f"created the schema (revision {after})"
    if before == _UNKNOWN:
        return f"the schema is at revision {after}"
    if before != after:
        return f"upgraded the schema from revision {before} to {after}"
    return f"the schema is up to date (revision {after})"


async def _upgrade(url: str) -> tuple[str | None, str | None]:
    """The schema revision before and after the upgrade (None: no schema yet)."""
    engine = make_engine(url)
    try:
        try:
            before = await _revision(engine)
        except Exception:  # each driver has its own; upgrade() says what is wrong
            before = _UNKNOWN
        await upgrade(engine)
        return before, await _revision(engine)
    finally:
        await engine.dispose()


async def _revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
