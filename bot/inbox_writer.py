"""Writing inbox rows, many events to a transaction.

Every received event must be committed before its platform is acknowledged. Committing
each on its own makes a burst (or one customer's flood) a queue of transactions, and on
SQLite, which writes one transaction at a time, everybody waits in that queue. So the
events that arrive while a commit is under way are written together in the next one
(group commit): one transaction for a burst instead of one per event.

While the database is away the writer retries with backoff; an event whose `patience`
runs out meanwhile fails with `NotStored`, the others keep waiting.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.contract import Event, NotStored
from bot.event_codec import encode_event, event_key
from bot.outage import Backoff, Outage, is_outage
from handoff import inbox

MAX_BATCH = 500


@dataclass
class _Waiting:
    event: Event
    lane: str
    deadline: float | None
    stored: asyncio.Future[int | None]


class InboxWriter:
    def __init__(self, engine: AsyncEngine, outage: Outage) -> None:
        self._engine = engine
        self._outage = outage
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, event: Event, lane: str, patience: float | None) -> int | None:
        """The new row's id, or None when the event was stored before."""
        loop = asyncio.get_running_loop()
        deadline = None if patience is None else loop.time() + patience
        waiting = _Waiting(event, lane, deadline, loop.create_future())
        # Read the outcome even when the caller has gone (cancelled), so nothing is left
        # unretrieved.
        waiting.stored.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._waiting.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="inbox-writer")
        return await asyncio.shield(waiting.stored)

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        for waiting in self._waiting:
            if not waiting.stored.done():
                waiting.stored.set_exception(NotStored("the bot is stopping"))
        self._waiting.clear()

    async def _write(self) -> None:
        backoff = Backoff()
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                ids = await self._commit(batch)
            except Exception as exc:
                if not is_outage(exc):
                    await self._one_by_one(batch)
                    continue
                self._outage.failed(exc)
                self._waiting = self._still_patient(batch, backoff.next_wait) + self._waiting
                await backoff.wait()
                continue
            self._outage.recovered()
            backoff = Backoff()
            for waiting, new_id in zip(batch, ids, strict=True):
                _settle(waiting, result=new_id)

    async def _commit(self, batch: list[_Waiting]) -> list[int | None]:
        now = datetime.now(UTC).replace(tzinfo=None)
        events = [
            inbox.Received(
                platform=waiting.event.platform,
                chat_id=waiting.event.chat_id,
                event_key=event_key(waiting.event),
                lane=waiting.lane,
                payload=encode_event(waiting.event),
            )
            for waiting in batch
        ]
        async with self._engine.begin() as conn:
            return await inbox.store(conn, events, now)

    async def _one_by_one(self, batch: list[_Waiting]) -> None:
        """A batch failed for a reason other than an outage: write each event alone, so
        only the one the database refuses fails (its adapter logs it)."""
        for waiting in batch:
            try:
                [new_id] = await self._commit([waiting])
            except Exception as exc:
                if is_outage(exc):
                    self._waiting.insert(0, waiting)
                else:
                    _settle(waiting, error=exc)
                continue
            _settle(waiting, result=new_id)

    def _still_patient(self, batch: list[_Waiting], wait: float) -> list[_Waiting]:
        """Those of `batch` that can wait `wait` seconds more; the rest get NotStored."""
        now = asyncio.get_running_loop().time()
        patient = []
        for waiting in batch:
            if waiting.deadline is not None and now + wait > waiting.deadline:
                _settle(waiting, error=NotStored(self._outage.reason or "database unreachable"))
            else:
                patient.append(waiting)
        return patient


def _settle(
    waiting: _Waiting, *, result: int | None = None, error: BaseException | None = None
) -> None:
    if waiting.stored.done():
        return
    if error is not None:
        waiting.stored.set_exception(error)
    else:
        waiting.stored.set_result(result)
