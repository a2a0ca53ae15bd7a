"""`supportbot privacy`: a customer's data exported or erased (USER is
PLATFORM:USER_ID, e.g. telegram:123456789), and texts older than the retention period
purged. Erasing keeps anonymous metrics: ticket times, ratings and question outcomes."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.cli.common import add_config_option, load_or_exit
from bot.config import Config
from handoff import privacy
from handoff.privacy import Person
from handoff.storage import StorageError, make_engine, upgrade

T = TypeVar("T")


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "privacy", help="export or erase a customer's data; purge old texts", description=__doc__
    )
    actions = parser.add_subparsers(dest="privacy_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="everything stored about USER, as JSON")
    export.add_argument("user", type=_person, metavar="USER", help="PLATFORM:USER_ID")
    add_config_option(export)
    export.set_defaults(run=run_export)
    erase = actions.add_parser("delete", help="erase USER's data (anonymous metrics stay)")
    erase.add_argument("user", type=_person, metavar="USER", help="PLATFORM:USER_ID")
    erase.add_argument("--dry-run", action="store_true", help="only say what would be erased")
    add_config_option(erase)
    erase.set_defaults(run=run_delete)
    purge = actions.add_parser("purge", help="purge texts older than privacy.retention_days")
    purge.add_argument(
        "--days", type=float, help="this many days instead of privacy.retention_days"
    )
    add_config_option(purge)
    purge.set_defaults(run=run_purge)


def _person(text: str) -> Person:
    try:
        return Person.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def _in_transaction(
    config: Config, work: Callable[[AsyncConnection], Awaitable[T]], *, commit: bool
) -> T:
    engine = make_engine(config.database.url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            transaction = await connection.begin()
            result = await work(connection)
            if commit:
                await transaction.commit()
            else:
                await transaction.rollback()
            return result
    finally:
        await engine.dispose()


def _run(config: Config, work: Callable[[AsyncConnection], Awaitable[T]], commit: bool) -> T:
    try:
        return asyncio.run(_in_transaction(config, work, commit=commit))
    except StorageError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def run_export(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    person: Person = args.user
    found = _run(config, lambda db: privacy.export(db, person), commit=False)
    json.dump(found, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    person: Person = args.user
    found = _run(config, lambda db: privacy.erase(db, person, _now()), commit=not args.dry_run)
    if not found.conversations and not found.inbox:
        print(f"nothing stored about {person.platform}:{person.user_id}")
        return 0
    verb = "would erase" if args.dry_run else "erased"
    print(
        f"{verb} {person.platform}:{person.user_id}: {len(found.conversations)} conversations,"
        f" {len(found.tickets)} tickets (kept anonymous), {len(found.inbox)} received events,"
        f" {len(found.outbox)} outgoing messages"
    )
    return 0


def run_purge(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    days = args.days if args.days is not None else config.privacy.retention_days
    if days is None or days <= 0:
        print(
            "supportbot: no retention period: set privacy.retention_days or pass --days",
            file=sys.stderr,
        )
        return 2
    before = _now() - timedelta(days=days)
    purged = _run(config, lambda db: privacy.purge(db, before), commit=True)
    print(
        f"purged what is older than {days:g} days: {purged.messages} transcript lines emptied,"
        f" {purged.inbox} event payloads emptied, {purged.outbox} sent messages deleted,"
        f" {purged.feedback} learning loop questions and {purged.blocks} expired blocks"
        " deleted"
    )
    return 0
