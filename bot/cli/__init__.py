"""The `supportbot` command: one subcommand module per job, each with `register()`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

# The CLI assembles the program: bot/cli/ is the one place in bot/ that imports adapters.
from bot.cli import db, faq, hours, run, shell


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="supportbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (shell, run, faq, hours, db):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code
