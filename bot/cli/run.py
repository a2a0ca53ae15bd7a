"""`supportbot run`: every enabled platform adapter in one process, until a signal."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from adapters.registry import enabled_adapters, start_failure
from bot import logs
from bot.cli.common import add_config_option, load_or_exit
from bot.config import Config, ConfigError
from bot.health import HealthServer, degraded_when_stuck
from bot.runtime import Runtime
from faq.loader import FaqError
from handoff.storage import StorageError

logger = logging.getLogger("bot.run")


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "run", help="run the bot on every enabled platform"
    )
    add_config_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    logs.configure(
        config.logging.level, as_json=config.logging.format == "json", secrets=config.secrets()
    )
    try:
        adapters = enabled_adapters(config)
    except ConfigError as exc:
        print(f"supportbot: configuration error:\n{exc}", file=sys.stderr)
        return 2
    if not adapters:
        print(
            "supportbot: no platform is enabled (slack/discord/telegram .enabled); "
            "try `supportbot shell` for a local chat",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(_serve(Runtime(config, adapters)))
    except (ConfigError, FaqError, StorageError) as exc:
        print(f"supportbot: cannot start:\n{logs.scrub(str(exc))}", file=sys.stderr)
        return 1
    except _StartFailed as failed:
        print(f"supportbot: cannot start: {_reason(config, failed.cause)}", file=sys.stderr)
        return 1
    return 0


class _StartFailed(Exception):
    """An adapter (or another part) failed to start: `cause` says how."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _reason(config: Config, exc: Exception) -> str:
    """One line, without a token: the platform's own explanation when it has one (a
    rejected token, a missing intent), else the error (its traceback goes to the log)."""
    known = start_failure(config, exc)
    if known is not None:
        return logs.scrub(known)
    logger.error("start-up failed", exc_info=exc)
    return logs.scrub(f"{type(exc).__name__}: {exc}".splitlines()[0])


async def _serve(runtime: Runtime) -> None:
    """Run until SIGINT/SIGTERM, then stop receiving, finish sending, and close."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    section = runtime.config.health
    report = degraded_when_stuck(runtime.health, runtime.adapters)
    health = HealthServer(report, section.listen, section.port)
    try:
        await runtime.start()
    except (ConfigError, FaqError, StorageError):
        await runtime.stop()
        raise
    except Exception as exc:
        await runtime.stop()
        raise _StartFailed(exc) from exc
    if section.enabled:
        await health.start()
        logger.info("health endpoint on http://%s:%d/healthz", section.listen, health.port)
    logger.info("running; press Ctrl+C to stop")
    try:
        await stop.wait()
    finally:
        logger.info("shutting down")
        await health.stop()
        await runtime.stop()
