"""Assembly and lifecycle: database, FAQ, router, delivery worker, adapters."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import flood, ticket_life
from bot.agents import AgentDirectory, lister_of
from bot.config import Config
from bot.contract import Adapter
from bot.delivery import Delivery
from bot.faq_settings import match_settings
from bot.flows.customer import CustomerFlow
from bot.flows.handoff import HandoffFlow
from bot.flows.router import Router, utc_now
from bot.flows.snippets import Canned
from bot.flows.staff import StaffFlow
from bot.heap import trim_periodically
from bot.hours.schedule import SupportHours
from bot.i18n import Templates
from bot.intake import Intake
from bot.outage import Outage, is_outage
from bot.retention import purge_periodically
from faq.e5 import E5Embedder
from faq.snippets import SnippetStore
from faq.store import FaqStore
from handoff import inbox, outbox
from handoff.storage import (
    checkpoint,
    make_engine,
    make_reader,
    make_sessions,
    open_pool,
    upgrade,
)

logger = logging.getLogger("bot.runtime")

RECOVER_SECONDS = 5.0  # how often pending inbox rows left by a dead process are looked for
PRUNE_SECONDS = 3600.0
CHECKPOINT_SECONDS = 1.0  # SQLite: how often the write-ahead log is copied into the file
GIL_SWITCH_SECONDS = 0.001
"""How long a thread holding the GIL keeps it once another thread asks (Python's default
is 5 ms). FAQ matches run in threads, and the event loop waits for the GIL like any
thread: at 5 ms, a match delayed the loop by up to 5 ms (a 1 ms ticker on the loop while
1,000 queries were matched on 10,000 phrasings: late by up to 4.7 ms, against 0.4-0.7 ms
at 1 ms). Put back when the bot stops."""


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
        self._db = make_engine(config.database.url, workers=config.database.workers)
        self._sessions = make_sessions(self._db)
        self._reader = make_reader(config.database.url, self._db)
        templates = Templates.load(config.bot.default_locale)
        self.faq = FaqStore(
            config.faq.path,
            match_settings(config.faq),
            config.bot.default_locale,
            config.faq.reload_seconds,
            semantic=E5Embedder() if config.faq.semantic else None,
        )
        self._hours = SupportHours.from_config(config.hours)
        handoff = HandoffFlow(config, templates, self._hours)
        self.snippets = SnippetStore(
            config.snippets_path, config.bot.default_locale, config.faq.reload_seconds
        )
        self.outage = Outage()
        self.agent_directory = AgentDirectory(
            config.staff.platform,
            frozenset(config.staff.agents),
            lister_of(self.adapters, config.staff.platform),
        )
        self.delivery = Delivery(
            self._db,
            {a.platform: a for a in self.adapters},
            lease_seconds=config.delivery.lease_seconds,
            retry_seconds=config.delivery.retry_seconds,
            outage=self.outage,
        )
        self.router = Router(
            config=config,
            customers=CustomerFlow(config, templates, self.faq, handoff),
            staff=StaffFlow(
                templates, handoff, Canned(self.snippets, self.faq), self.agent_directory
            ),
            now=self._now,
        )
        # What the adapters call: `receive` stores each event before they acknowledge it.
        self.core = Intake(
            self._db,
            self.router.route,
            concurrency=_handled_at_once(config),
            outage=self.outage,
            on_handled=self.delivery.committed,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._started: list[Adapter] = []
        self._delivering = False
        self._switch_interval = sys.getswitchinterval()  # put back by stop

    async def start(self, *, deliver: bool = True) -> None:
        """Migrate, then start the workers and every adapter.

        `deliver=False` leaves sending to explicit `delivery.drain()` calls (the shell
        and tests use it to see each reply before the next message)."""
        await upgrade(self._db)
        unopened = await open_pool(self._db)
        if unopened:
            logger.warning(
                "%d database connections did not open at start (%s); they open when needed",
                len(unopened),
                unopened[0],
            )
        self._tasks.append(asyncio.create_task(self.faq.watch(), name="faq-reload"))
        self._tasks.append(asyncio.create_task(self.snippets.watch(), name="snippets-reload"))
        pending = await self.core.recover()
        if pending:
            logger.info("handling events received before a restart in %d chats", pending)
        self._tasks.append(
            asyncio.create_task(self.core.watch(RECOVER_SECONDS), name="inbox-recovery")
        )
        self._tasks.append(asyncio.create_task(self._prune_inbox(), name="inbox-pruning"))
        self._tasks.append(asyncio.create_task(trim_periodically(), name="heap-trim"))
        if self.config.database.url.startswith("sqlite"):
            self._tasks.append(asyncio.create_task(self._checkpoint(), name="sqlite-checkpoint"))
        if self.config.privacy.retention_days is not None:
            retention = timedelta(days=self.config.privacy.retention_days)
            purging = purge_periodically(self._sessions, retention, self._utc_now, self.outage)
            self._tasks.append(asyncio.create_task(purging, name="retention-purge"))
        window = timedelta(seconds=self.config.limits.window_seconds)
        self._tasks.append(
            asyncio.create_task(
                flood.sweep(self._sessions, self.core, window, self._utc_now), name="flood-sweep"
            )
        )
        tickets = self.config.tickets
        if tickets.remind_unclaimed_minutes is not None or tickets.auto_close_hours is not None:
            timers = ticket_life.sweep(
                self._sessions, self.core, tickets, self._hours, self._utc_now
            )
            self._tasks.append(asyncio.create_task(timers, name="ticket-timers"))
        for adapter in self.adapters:
            await adapter.start(self.core)
            self._started.append(adapter)
            logger.info("%s adapter started", adapter.platform)
        directory = self.agent_directory.keep_fresh()
        self._tasks.append(asyncio.create_task(directory, name="agent-directory"))
        if deliver:
            self._tasks.append(asyncio.create_task(self.delivery.run(), name="delivery"))
            self._delivering = True
        # What is alive now (modules, config, the FAQ index) lives as long as the process:
        # the collector stops walking it, so a full collection (a reload makes one) stays
        # short and does not hold the event loop.
        gc.freeze()
        sys.setswitchinterval(GIL_SWITCH_SECONDS)

    async def health(self) -> dict[str, Any]:
        """What `/healthz` reports: 'ok' when the database answers."""
        report: dict[str, Any] = {
            "adapters": [a.platform for a in self._started],
            "faq_entries": len(self.faq.faq.entries),
            "faq_error": None if self.faq.last_error is None else str(self.faq.last_error),
        }
        try:
            async with self._reader.connect() as connection:
                staff = self.config.staff
                report["outbox"], report["parked_for_staff_room"] = await outbox.counts(
                    connection, staff.platform, staff.chat_id
                )
                report["inbox"] = await inbox.counts(connection)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.outage.failed(exc)
        if self.outage.ongoing:
            await self.core.probe()
        if self.outage.ongoing:
            report["status"] = "database unreachable"
            report["error"] = self.outage.reason
            return report
        report["status"] = "ok"
        return report

    async def settle(self, seconds: float = 10.0) -> bool:
        """Handle every received event, then deliver every reply (the shell and tests
        call this when delivery is not running in the background)."""
        await self.core.idle()
        return await self.delivery.drain(seconds)

    def _utc_now(self) -> datetime:
        """Naive UTC, as the schema stores times."""
        return self._now().astimezone(UTC).replace(tzinfo=None)

    async def _checkpoint(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            try:
                await checkpoint(self.config.database.url, self._reader)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self.outage.failed(exc)

    async def _prune_inbox(self) -> None:
        keep = timedelta(days=self.config.database.keep_handled_days)
        while True:
            await asyncio.sleep(PRUNE_SECONDS)
            try:
                async with self._sessions() as session, session.begin():
                    await inbox.prune_done(session, self._utc_now(), keep)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self.outage.failed(exc)

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop gracefully: give the workers (if running) a few seconds to handle what
        was received and send what is decided, then stop the adapters; whatever is left
        stays in the inbox and the outbox for the next start."""
        if self._delivering:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.core.idle(), drain_seconds)
            await self.delivery.drain(drain_seconds)
        for adapter in reversed(self._started):
            try:
                await adapter.stop()
            except Exception:
                logger.exception("stopping the %s adapter failed", adapter.platform)
        self._started.clear()
        await self.core.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._delivering = False
        sys.setswitchinterval(self._switch_interval)
        await self._db.dispose()
        if self._reader is not self._db:
            await self._reader.dispose()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _handled_at_once(config: Config) -> int:
    """SQLite writes one transaction at a time and does not queue its writers fairly (the
    one that just committed wins the lock again while the others sleep), so a customer
    flooding one lane would starve the rest. One handler at a time, taking lanes in turn
    (the intake's slots are first come, first served), is both fair and as fast."""
    return 1 if config.database.url.startswith("sqlite") else config.database.workers
