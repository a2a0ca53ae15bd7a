"""The `supportbot` command: one subcommand module per job, each with `register()`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

# The CLI assembles the program: bot/cli/ is the one place in bot/ that imports adapters.
from bot.cli import db, doctor, faq, hours, privacy, report, run, shell, snippets


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supportbot",
        description="A customer-support bot for Slack, Discord and Telegram: answers from "
        "an FAQ, hands the rest to your team.",
        epilog="Run `supportbot COMMAND --help` for a command's options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (shell, run, doctor, faq, snippets, hours, db, report, privacy):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code
