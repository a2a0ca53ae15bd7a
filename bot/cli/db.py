"""`supportbot db upgrade`: create or migrate the database schema."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.cli.common import add_config_option, load_or_exit
from handoff.storage import StorageError, make_engine, upgrade


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser("db", help="database schema")
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade_parser = actions.add_parser("upgrade", help="migrate the database to the newest schema")
    add_config_option(upgrade_parser)
    upgrade_parser.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    try:
        asyncio.run(_upgrade(config.database.url))
    except StorageError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    print("database is up to date")
    return 0


async def _upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
