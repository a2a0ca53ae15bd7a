"""`supportbot hours`: is support open at a given moment, that day's hours, and when it
next opens or closes, worded as customers of a locale would read it."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from bot.cli.common import add_config_option, hours_or_exit, load_or_exit
from bot.hours.datefmt import (
    format_date,
    format_time,
    format_when,
    format_windows,
    resolve_locale,
)
from bot.hours.schedule import SupportHours

_LABELS = {
    "en": {
        "open": "open",
        "closed": "closed",
        "today": "Hours today",
        "opens": "Opens",
        "closes": "Closes",
        "never": "never",
    },
    "de": {
        "open": "geöffnet",
        "closed": "geschlossen",
        "today": "Zeiten heute",
        "opens": "Öffnet",
        "closes": "Schließt",
        "never": "nie",
    },
    "id": {
        "open": "buka",
        "closed": "tutup",
        "today": "Jam hari ini",
        "opens": "Buka",
        "closes": "Tutup",
        "never": "tidak pernah",
    },
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "hours",
        help="is support open now (or at --at), today's hours, next opening or closing",
        description=__doc__,
    )
    parser.add_argument(
        "--at",
        type=_moment,
        metavar="DATETIME",
        help="ISO 8601 moment (default: now); without an offset it is support-zone time",
    )
    add_config_option(parser)
    parser.add_argument(
        "--locale", help="en, de or id (default: the configuration's bot.default_locale)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    hours = hours_or_exit(config, args.config)
    at: datetime = args.at or datetime.now(hours.timezone)
    if at.tzinfo is None:
        at = at.replace(tzinfo=hours.timezone)
    locale = resolve_locale(args.locale or config.bot.default_locale)
    try:
        lines = describe(hours, at.astimezone(hours.timezone), locale)
    except OverflowError:
        print(
            f"supportbot: {at.isoformat()} is too close to the edge of the calendar"
            " (years 1 to 9999) to look for the next opening or closing",
            file=sys.stderr,
        )
        return 2
    print("\n".join(lines))
    return 0


def describe(hours: SupportHours, at: datetime, locale: str) -> list[str]:
    """The report's lines: status at `at`, that day's hours, the next change."""
    labels = _LABELS[locale]
    is_open = hours.is_open(at)
    moment = f"{format_date(at.date(), locale, with_year=True)}, {format_time(at, locale)}"
    status = labels["open"] if is_open else labels["closed"]
    today = format_windows(hours.windows_on(at.date()), locale)
    holiday = hours.holiday_name(at.date(), locale)
    if holiday:
        today = f"{today} ({holiday})"
    change = hours.next_closing(at) if is_open else hours.next_opening(at)
    change_text = format_when(change, locale, now=at) if change else labels["never"]
    return [
        f"{moment} ({hours.timezone.key}): {status}",
        f"{labels['today']}: {today}",
        f"{labels['closes' if is_open else 'opens']}: {change_text}",
    ]


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'"{text}" is not an ISO 8601 date and time '
            "(e.g. 2026-11-24T09:30 or 2026-11-24T09:30+01:00)"
        ) from None
