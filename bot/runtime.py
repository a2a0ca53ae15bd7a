"""Assembly and lifecycle: database, FAQ, engine, delivery worker, adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Config
from bot.contract import Adapter
from bot.customer_flow import CustomerFlow
from bot.delivery import Delivery
from bot.engine import Engine, utc_now
from bot.faq_settings import match_settings
from bot.handoff_flow import Handoff
from bot.hours import SupportHours
from bot.i18n import Templates
from bot.staff_flow import StaffFlow
from bot.storage import make_engine, make_sessions, upgrade
from faq.store import FaqStore
from handoff import outbox

logger = logging.getLogger("bot.runtime")


class Runtime:
    def __init__(
        self,
        config: Config,
        adapters: Sequence[Adapter],
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.adapters = list(adapters)
        self._now = now or utc_now
        self._db = make_engine(config.database.url)
        self._sessions = make_sessions(self._db)
        templates = Templates.load(config.bot.default_locale)
        self.faq = FaqStore(
            config.faq.path,
            match_settings(config.faq),
            config.bot.default_locale,
            config.faq.reload_seconds,
        )
        handoff = Handoff(config, templates, SupportHours.from_config(config.hours))
        self.delivery = Delivery(
            self._sessions,
            {a.platform: a for a in self.adapters},
            self._now,
            lease_seconds=config.delivery.lease_seconds,
            retry_seconds=config.delivery.retry_seconds,
        )
        self.core = Engine(
            config=config,
            sessions=self._sessions,
            customers=CustomerFlow(config, templates, self.faq, handoff),
            staff=StaffFlow(templates, handoff),
            on_outbox=self.delivery.wake,
            now=self._now,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._started: list[Adapter] = []
        self._delivering = False

    async def start(self, *, deliver: bool = True) -> None:
        """Migrate, then start the workers and every adapter.

        `deliver=False` leaves sending to explicit `delivery.drain()` calls (the shell
        and tests use it to see each reply before the next message)."""
        await upgrade(self._db)
        self._tasks.append(asyncio.create_task(self.faq.watch(), name="faq-reload"))
        for adapter in self.adapters:
            await adapter.start(self.core)
            self._started.append(adapter)
            logger.info("%s adapter started", adapter.platform)
        if deliver:
            self._tasks.append(asyncio.create_task(self.delivery.run(), name="delivery"))
            self._delivering = True

    async def health(self) -> dict[str, Any]:
        """What `/healthz` reports: 'ok' when the database answers."""
        report: dict[str, Any] = {
            "adapters": [a.platform for a in self._started],
            "faq_entries": len(self.faq.faq.entries),
            "faq_error": None if self.faq.last_error is None else str(self.faq.last_error),
        }
        try:
            async with self._sessions() as session:
                report["outbox"] = await outbox.counts(session)
        except (OSError, SQLAlchemyError) as exc:
            report["status"] = "database unreachable"
            report["error"] = type(exc).__name__
            return report
        report["status"] = "ok"
        return report

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop gracefully: give the delivery worker (if running) a few seconds to send
        what is decided, then stop the adapters; whatever is left stays in the outbox."""
        if self._delivering:
            await self.delivery.drain(drain_seconds)
        for adapter in reversed(self._started):
            try:
                await adapter.stop()
            except Exception:
                logger.exception("stopping the %s adapter failed", adapter.platform)
        self._started.clear()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._delivering = False
        await self._db.dispose()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
