"""The `supportbot` command: one subcommand module per job, each with `register()`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import cli_db, cli_faq, cli_hours, cli_run, cli_shell


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="supportbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (cli_shell, cli_run, cli_faq, cli_hours, cli_db):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
