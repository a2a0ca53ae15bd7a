"""`supportbot report`: questions, deflection, tickets, first response and resolution
times (in and outside support hours), CSAT, per agent and per platform; as text, JSON
or one self-contained HTML page with charts."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import Any

from bot.cli.common import add_config_option, hours_or_exit, load_or_exit, since_value
from bot.config import Config
from bot.hours.schedule import SupportHours
from bot.report import html, json_format, text
from bot.report.load import make_report
from handoff.storage import StorageError, make_engine, upgrade

RENDER = {"text": text.render, "json": json_format.render, "html": html.render}


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "report", help="support figures: deflection, response times, CSAT", description=__doc__
    )
    parser.add_argument(
        "--since",
        type=since_value,
        metavar="DATE",
        help="from this day (YYYY-MM-DD, support-zone midnight) or ISO 8601 moment;"
        " default: everything",
    )
    parser.add_argument("--format", choices=sorted(RENDER), default="text")
    add_config_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    hours = hours_or_exit(config, args.config)
    since: datetime | None = args.since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=hours.timezone)
    try:
        page = asyncio.run(_report(config, hours, since, args.format))
    except StorageError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(page)
    return 0


async def _report(config: Config, hours: SupportHours, since: datetime | None, form: str) -> str:
    engine = make_engine(config.database.url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            report = await make_report(
                connection, hours, since=since, until=datetime.now(hours.timezone)
            )
    finally:
        await engine.dispose()
    return RENDER[form](report)
