"""`supportbot shell`: chat with the bot in the terminal, as customer and as agent.

It runs the console adapter, which needs no platform library.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from adapters.console import HELP, ConsoleAdapter
from bot.cli.common import add_config_option, load_or_exit
from bot.config import Config
from bot.contract import Sender
from bot.runtime import Runtime
from faq.loader import FaqError
from handoff.storage import StorageError


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "shell", help="chat with the bot in the terminal (customer and agent)"
    )
    add_config_option(parser)
    parser.add_argument("--name", default="Customer", help="your name as the customer")
    parser.add_argument("--locale", default=None, help="your language as the customer: en, de, id")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config, for_shell=True)
    customer = Sender("customer-1", args.name, args.locale)
    try:
        return asyncio.run(chat(config, customer, sys.stdin, sys.stdout))
    except (FaqError, StorageError) as exc:
        print(f"supportbot: cannot start:\n{exc}", file=sys.stderr)
        return 1


async def chat(config: Config, customer: Sender, lines: TextIO, out: TextIO) -> int:
    """Read lines until EOF or /quit; every reply is shown before the next line is read."""
    staff = config.staff.model_copy(update={"platform": "console"})
    config = config.model_copy(update={"staff": staff})
    console = ConsoleAdapter(out, staff.chat_id, customer=customer, ansi=out.isatty())
    runtime = Runtime(config, [console])
    await runtime.start(deliver=False)
    out.write(f"supportbot shell ({len(runtime.faq.faq.entries)} FAQ entries)\n{HELP}\n")
    out.flush()
    try:
        await runtime.settle()
        while True:
            if lines.isatty():
                out.write("agent> " if console.as_agent else "you> ")
                out.flush()
            line = await asyncio.to_thread(lines.readline)
            if not line or not await console.type_line(line):
                break
            await runtime.settle()
    finally:
        await runtime.stop()
    return 0
