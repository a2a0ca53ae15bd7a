"""The `supportbot` command: one subcommand module per job, each with `register()`.

The CLI assembles the program: bot/cli/ is the one place in bot/ that imports adapters.
Each command is the module of its name (bot/cli/NAME.py); running one imports that
module alone, so `supportbot faq check` does not load the platform libraries and the
database layer (a second of start-up).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = ("shell", "run", "doctor", "faq", "snippets", "hours", "db", "report", "privacy")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command` alone when it is one."""
    parser = argparse.ArgumentParser(
        prog="supportbot",
        description="A customer-support bot for Slack, Discord and Telegram: answers from "
        "an FAQ, hands the rest to your team.",
        epilog="Run `supportbot COMMAND --help` for a command's options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (command,) if command in COMMANDS else COMMANDS:
        importlib.import_module(f"bot.cli.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(arguments[0] if arguments else None).parse_args(arguments)
    code: int = args.run(args)
    return code
