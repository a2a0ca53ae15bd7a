"""`supportbot snippets check`: validate the snippets file (faq/snippets.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import add_config_option, load_or_exit
from faq.loader import FaqError
from faq.snippets import load_snippets


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "snippets",
        help="check the snippets (canned responses) file",
        description="Validate the snippets agents send with !s NAME.",
    )
    actions = parser.add_subparsers(dest="snippets_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="report every problem of the snippets file as file:line: message",
        description="Load the snippets file: exit 1 and list the problems (unknown keys, "
        "empty texts, unknown placeholders, duplicate names), or exit 0 and list the names.",
    )
    check.add_argument(
        "path", nargs="?", type=Path, help="snippets file (default: the config's snippets path)"
    )
    add_config_option(check)
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    path: Path = args.path or config.snippets_path
    if not path.exists():
        print(f"supportbot: {path}: no such file (agents then have no snippets)", file=sys.stderr)
        return 1
    try:
        snippets = load_snippets(path, config.bot.default_locale)
    except FaqError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"{len(snippets.items)} snippets OK: {', '.join(snippets.names)}")
    return 0
