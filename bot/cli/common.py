"""What several subcommands share: the --config option and loading it (and the support
hours it sets) with a clear error; the --since value."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time
from pathlib import Path

from bot.config import Config, ConfigError, load_config
from bot.hours.schedule import SupportHours


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("config.example.yaml"),
        help="configuration file (default: config.example.yaml)",
    )


def load_or_exit(path: Path, *, for_shell: bool = False) -> Config:
    """The configuration, or exit 2 with every problem of the file listed."""
    try:
        return load_config(path, for_shell=for_shell)
    except ConfigError as exc:
        print(f"supportbot: configuration error:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def hours_or_exit(config: Config, path: Path) -> SupportHours:
    """The configured support hours, or exit 2 naming the problem."""
    try:
        return SupportHours.from_config(config.hours)
    except ConfigError as exc:
        print(f"supportbot: configuration error:\n{path}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def since_value(value: str) -> datetime:
    """A --since value: a day (YYYY-MM-DD, its midnight) or an ISO 8601 moment, as given
    (naive unless it names its offset); what naive means is the command's to say."""
    try:
        return datetime.combine(date.fromisoformat(value), time())
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'"{value}" is not a date (YYYY-MM-DD) or ISO 8601 moment'
        ) from None
