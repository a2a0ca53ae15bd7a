"""Receiving: store every event first, then handle each lane's events in order.

`receive` is what adapters call (the core of the adapter contract): one short
transaction inserting the inbox row, after which the adapter acknowledges the platform.
Handling runs behind it: one task per busy lane (a customer's chat, a ticket's thread)
takes the lane's oldest pending row, and handles it and marks it done in one
transaction, so one conversation's events run one at a time in arrival order while
different conversations run in parallel, at most `concurrency` at once (sized to the
connection pool). A task gives its slot back after every event, so a customer who
floods one lane cannot hold back anybody else's.

While the database is away everything waits with backoff (see bot/outage.py); rows
pending after a crash or in another process's lanes are picked up by `recover`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.arrivals import Arrivals
from bot.contract import Event
from bot.event_codec import UnreadableEvent, decode_event, lane_of
from bot.inbox_writer import InboxWriter
from bot.outage import Backoff, Outage, describe, is_outage
from bot.retry_later import RetryLater
from handoff import inbox

log = logging.getLogger("bot.intake")

# Handles one event in the caller's transaction; the ids of the outbox rows it wrote.
Handler = Callable[[AsyncConnection, Event], Awaitable[Sequence[int]]]

GIVE_UP_AFTER = 5  # attempts at an event the flows keep failing on, then it is parked
RECOVER_BATCH = 1000


class Intake:
    def __init__(
        self,
        engine: AsyncEngine,
        handle: Handler,
        *,
        concurrency: int,
        outage: Outage,
        on_handled: Callable[[Sequence[int]], None] = lambda ids: None,
    ) -> None:
        """`on_handled` gets the outbox rows of each handled event once committed."""
        self._engine = engine
        self._handle = handle
        self._slots = asyncio.Semaphore(concurrency)
        self._outage = outage
        self._on_handled = on_handled
        self._writer = InboxWriter(engine, outage)
        self._arrivals = Arrivals()  # a lane's events are stored in the order received
        self._active: set[str] = set()
        self._again: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        """Store `event` as an inbox row (or find it stored), then schedule its lane.

        Events of one lane are stored in the order `receive` was called for them."""
        lane = lane_of(event)
        place = self._arrivals.enter(lane)
        try:
            await place.turn()
            new_id = await self._writer.store(event, lane, patience)
        finally:
            place.leave()
        if new_id is not None:
            self.schedule(lane)

    def schedule(self, lane: str) -> None:
        """Make sure a task works on `lane` (a running one takes another look)."""
        if lane in self._active:
            self._again.add(lane)
            return
        self._active.add(lane)
        self._idle.clear()
        task = asyncio.create_task(self._work(lane), name=f"lane {lane}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def recover(self) -> int:
        """Schedule every lane with pending rows (after a crash, or left by another
        process); the number of lanes scheduled."""
        backoff = Backoff()
        while True:
            try:
                async with self._engine.connect() as conn:
                    lanes = await inbox.pending_lanes(conn, RECOVER_BATCH)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self._outage.failed(exc)
                await backoff.wait()
                continue
            break
        for lane in lanes:
            self.schedule(lane)
        return len(lanes)

    async def watch(self, every: float) -> None:
        """Recover now and then: lanes a dead process left, rows a peer left behind;
        during an outage, see every second whether the database takes writes again."""
        waited = 0.0
        while True:
            await asyncio.sleep(1.0)
            waited += 1.0
            if self._outage.ongoing:
                await self.probe()
            if waited < every:
                continue
            waited = 0.0
            try:
                await self.recover()
            except Exception:
                log.exception("looking for pending inbox rows failed")

    async def probe(self) -> None:
        """One small write: when it works, the outage is over (a full disk still lets
        reads through, so only a write can tell)."""
        try:
            async with self._engine.begin() as conn:
                await inbox.probe_write(conn)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self._outage.failed(exc)
            return
        self._outage.recovered()

    async def idle(self) -> None:
        """Until every scheduled lane is empty (the shell and tests wait on this)."""
        await self._idle.wait()

    async def stop(self) -> None:
        await self._writer.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("lane worker failed", exc_info=task.exception())
        if not self._tasks:
            self._idle.set()

    async def _work(self, lane: str) -> None:
        try:
            while True:
                self._again.discard(lane)
                while True:
                    if not await self._step(lane):
                        break
                    # SQLite's statements run without yielding (handoff/sqlite_inline.py):
                    # a backlog must not keep the adapters and delivery from running.
                    await asyncio.sleep(0)
                if lane not in self._again:
                    return
        finally:
            self._active.discard(lane)

    async def _step(self, lane: str) -> bool:
        """Handle the lane's oldest pending row; False when the lane is empty."""
        backoff = Backoff()
        waited = 0
        async with self._slots:
            while True:
                row_id: int | None = None
                written: Sequence[int] = ()
                try:
                    async with self._engine.begin() as conn:
                        taken = await inbox.take_next(conn, lane, _utc_now())
                        if taken is not None:
                            row_id, payload = taken
                            written = await self._handle(conn, decode_event(payload))
                    found = taken is not None
                except RetryLater as later:
                    waited += 1
                    if waited < later.attempts or row_id is None:
                        await asyncio.sleep(later.delay)
                        continue
                    log.warning("inbox row %d: %s; gave up waiting", row_id, later)
                    written = await self._give_up_waiting(row_id, later)
                    found = True
                except Exception as exc:
                    if is_outage(exc):
                        self._outage.failed(exc)
                        await backoff.wait()
                        continue
                    if row_id is None:
                        raise
                    await self._failed(row_id, exc)
                    await backoff.wait()
                    continue
                self._outage.recovered()
                if written:
                    self._on_handled(written)
                return found

    async def _give_up_waiting(self, row_id: int, later: RetryLater) -> Sequence[int]:
        """The event is done with: its flow's fallback runs in the transaction that
        takes it."""
        backoff = Backoff()
        while True:
            try:
                async with self._engine.begin() as conn:
                    if await inbox.take(conn, row_id, _utc_now()):
                        return await later.fallback(conn)
                return ()
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self._outage.failed(exc)
                await backoff.wait()

    async def _failed(self, row_id: int, exc: Exception) -> None:
        """The flows raised on this event: count it; an event that keeps failing (or
        cannot be read at all) is parked with its error, so the lane moves on."""
        give_up = 1 if isinstance(exc, UnreadableEvent) else GIVE_UP_AFTER
        error = describe(exc)
        try:
            async with self._engine.begin() as conn:
                parked = await inbox.record_failure(
                    conn, row_id, error, _utc_now(), give_up_after=give_up
                )
        except Exception as second:
            if not is_outage(second):
                raise
            self._outage.failed(second)
            return
        if parked:
            log.error("inbox row %d parked after repeated failures: %s", row_id, error)
        else:
            log.warning("handling inbox row %d failed (%s); will retry", row_id, error)


def _utc_now() -> datetime:
    """Naive UTC, as every time in the schema is stored."""
    return datetime.now(UTC).replace(tzinfo=None)
