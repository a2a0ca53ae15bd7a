"""The delivery worker: sends outbox rows through the adapters, with retries.

A row is leased, sent, then marked sent; a failure backs off (the platform's
`retry_after` when it gave one) and a permanent failure parks the row. Rows to one
destination (lane) go out in order, one at a time; rows to different lanes go out side
by side, each as a task of its own, so a slow lane (a send sleeping out a 429, a group's
per-minute limit) never holds back another. A ticket's thread messages wait until its
card is out.

Leases are short and renewed while a send is in progress, so the rows of a worker that
died are retried (in doubt) within one lease, while a live worker keeps its rows however
long a send takes. Lease and due times are the database's clock (see handoff/outbox.py).

Rows are found three ways. The intake hands over the rows each transaction wrote once
it commits (`committed`); they are leased by id, without reading the rest of the outbox.
A sent mark brings the next row of its lane forward and leases it in the same
transaction, and the task that sent the row goes on with it (a parked row, or a row
sent by a `drain`, hands its lane's next row over as the intake does). A scan every
`IDLE_SECONDS` (or at once after `wake`) finds the others: rows of a dead worker or
another process, backoffs that ran out, deferred rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.contract import Adapter, Address, DeliveryError, Outbound, SentRef
from bot.logs import scrub
from bot.outage import Backoff, Outage, is_outage
from bot.outbox_codec import decode, decode_private
from handoff import outbox, tickets
from handoff.models import Ticket
from handoff.outbox import OutboxRecord
from handoff.states import OutboxTarget
from handoff.storage import make_sessions

logger = logging.getLogger("bot.delivery")

MAX_ATTEMPTS = 12
BATCH = 20
CONCURRENCY = 32
IDLE_SECONDS = 0.5  # between scans of the outbox
HANDED_MAX = 10_000  # row ids kept to lease by id; beyond, the oldest are left to the scan
THREAD_WAIT_SECONDS = 0.5


class _NotYet(Exception):
    """The row depends on a card that is not delivered yet."""


@dataclass(frozen=True, slots=True)
class _Sent:
    """A row sent, waiting for its mark; `goes_on`: its task sends the lane's next row."""

    row: OutboxRecord
    ref: SentRef
    goes_on: bool


class Delivery:
    """`lease_seconds`: how long a lease lasts unless renewed (it is renewed every third
    of it while the row is being sent), so how soon a dead worker's rows are retaken, by
    any worker, as maybe sent; `retry_seconds`: the first backoff, doubling;
    `concurrency`: how many rows are sent at once. `clock` pins the database's clock to a
    moment a test controls; left out, the database's own clock is used.

    Every lease and mark runs on a connection of `engine`, in Core statements (see
    handoff/outbox.py); only a ticket's rows (rare next to plain replies) read and write
    through an ORM session."""

    def __init__(
        self,
        engine: AsyncEngine,
        adapters: Mapping[str, Adapter],
        *,
        clock: Callable[[], datetime] | None = None,
        lease_seconds: float = 10.0,
        retry_seconds: float = 0.5,
        concurrency: int = CONCURRENCY,
        outage: Outage | None = None,
    ) -> None:
        self._engine = engine
        self._sessions = make_sessions(engine)
        self._outage = outage or Outage()
        self._backoff = Backoff()
        self._adapters = adapters
        self._clock = clock
        self._lease_seconds = lease_seconds
        self._retry_seconds = retry_seconds
        self._concurrency = concurrency
        self._owner = uuid.uuid4().hex
        self._wake = asyncio.Event()
        self._handed: deque[int] = deque(maxlen=HANDED_MAX)
        self._scan_wanted = True
        self._sending: set[int] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self._sent: dict[int, _Sent] = {}  # by row id
        self._marking = asyncio.Lock()
        # By the id of a row marked sent: the next row of its lane, leased by the mark.
        self._following: dict[int, OutboxRecord] = {}

    def committed(self, row_ids: Sequence[int]) -> None:
        """Outbox rows whose transaction has committed: lease them by id, soon.

        Call it on the worker's event loop, after the commit (a row not yet committed is
        not found, and is left to the scan). It only notes the ids and wakes the worker:
        it never waits and never touches the database. Each row is leased if it may go
        now (the oldest pending row of its lane, not leased by anyone); a row behind an
        earlier pending row of its lane is set aside and goes once that row is finished.
        Ids of rows already taken, sent or gone are skipped. Ids are a hint, not a duty:
        when more than `HANDED_MAX` wait (the worker is behind, or not running), the
        oldest are forgotten, and rows never handed over are found by the scan."""
        self._handed.extend(row_ids)
        self._wake.set()

    def wake(self) -> None:
        """Scan the outbox at once (for rows written without `committed`)."""
        self._scan_wanted = True
        self._wake.set()

    def _now(self) -> datetime | None:
        """The pinned moment in naive UTC, or None: the database's clock."""
        if self._clock is None:
            return None
        return self._clock().astimezone(UTC).replace(tzinfo=None)

    async def run(self) -> None:
        """Deliver until cancelled.

        Rows leased are sent by tasks of their own (at most `concurrency`), each going on
        down its lane while its sent marks lease the next row; meanwhile the loop keeps
        leasing the heads of other lanes: rows handed over (`committed`, and the next row
        of a lane whose row was parked) as they come, and whatever a scan finds every
        `IDLE_SECONDS` (a backoff may have run out) or after `wake`."""
        running: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        next_scan = loop.time()

        def finished(task: asyncio.Task[None]) -> None:
            running.discard(task)
            self._wake.set()

        try:
            while True:
                self._wake.clear()
                room = self._concurrency - len(running)
                rows: list[OutboxRecord] = []
                if room > 0:
                    scan = self._scan_wanted or loop.time() >= next_scan
                    if scan:
                        self._scan_wanted = False
                        next_scan = loop.time() + IDLE_SECONDS
                    rows = await self._lease_or_log(room, scan)
                for row in rows:
                    task = asyncio.create_task(self._deliver(row, True), name=f"outbox-{row.id}")
                    running.add(task)
                    task.add_done_callback(finished)
                # SQLite's statements run without yielding (handoff/sqlite_inline.py):
                # let the sends and the adapters run between passes.
                await asyncio.sleep(0)
                if len(running) < self._concurrency:
                    if self._handed or self._scan_wanted:
                        continue
                    timeout: float | None = max(0.0, next_scan - loop.time())
                else:
                    timeout = None  # a task finishing wakes the loop
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
                # cancellation that arrives as the wake-up does, and the loop never ends.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
        finally:
            # The rows stay leased: once the lease runs out they are retried in doubt.
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def deliver_once(self) -> int:
        """Lease up to `BATCH` rows, send them side by side and wait for all of them;
        returns how many were attempted (for `drain` and tests). The next rows of their
        lanes are handed over for a later pass, so a `drain` keeps to its deadline."""
        rows = await self._lease(BATCH, scan=True)
        await asyncio.gather(*(self._deliver(row, False) for row in rows))
        return len(rows)

    async def drain(self, seconds: float = 10.0) -> bool:
        """Deliver until nothing is pending (True) or `seconds` pass (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            if not await self.deliver_once():
                async with self._engine.connect() as conn:
                    if await outbox.pending_count(conn) == 0:
                        return True
                await asyncio.sleep(0.05)
        return False

    async def _lease(self, limit: int, scan: bool) -> list[OutboxRecord]:
        """Up to `limit` rows, in one transaction: (`scan`) what a scan finds, then those
        handed over, by id. The scan goes first, so rows waiting for it (a backoff that ran
        out) get their turn however many are handed over; it takes the oldest rows, handed
        over or not. The ids handed over are taken once the connection is in hand, so
        those handed over while it was awaited (SQLite has one) are leased together."""
        if not (scan or self._handed):
            return []
        now = self._now()
        async with self._engine.begin() as conn:
            rows = await self._scan(conn, limit, now) if scan else []
            if len(rows) < limit:
                rows += await self._lease_handed(conn, limit - len(rows), now)
        return rows

    async def _scan(
        self, conn: AsyncConnection, limit: int, now: datetime | None
    ) -> list[OutboxRecord]:
        """Lease what a pass over the outbox's ready rows finds, and set aside the rows it
        finds waiting behind their lane's head (no pass reads them again). When the pass
        filled `limit` or set rows aside, another one is due at once."""
        rows = await outbox.lease_due(conn, self._owner, now, self._lease_seconds, limit)
        set_aside = await outbox.hold_back(conn, now) if len(rows) < limit else 0
        if len(rows) == limit or set_aside:
            self._scan_wanted = True
        return rows

    async def _lease_handed(
        self, conn: AsyncConnection, limit: int, now: datetime | None
    ) -> list[OutboxRecord]:
        """Lease rows handed over, by id; those waiting behind their lane's head are set
        aside (the worker that finishes the head is handed the next row)."""
        ids = [self._handed.popleft() for _ in range(min(limit, len(self._handed)))]
        if not ids:
            return []
        rows = await outbox.lease_rows(conn, self._owner, ids, now, self._lease_seconds)
        if len(rows) < len(ids):
            taken = {row.id for row in rows}
            waiting = [row_id for row_id in ids if row_id not in taken]
            await outbox.hold_back(conn, now, waiting)
        return rows

    async def _lease_or_log(self, limit: int, scan: bool) -> list[OutboxRecord]:
        """Lease rows; while the database is away, wait with backoff (one warning per
        outage, through `Outage`) and lease nothing (the rows handed over meanwhile are
        leased, or found by a scan, once it is back). Any other failure is logged and
        tried again after the same backoff (the ids handed over may still be waiting)."""
        try:
            rows = await self._lease(limit, scan)
        except Exception as exc:
            if is_outage(exc):
                self._outage.failed(exc)
            else:
                logger.exception("leasing outbox rows failed; trying again")
            await self._backoff.wait()
            return []
        self._backoff = Backoff()
        if rows:  # a lease that took rows wrote to the database: it is back
            self._outage.recovered()
        return rows

    async def _deliver(self, row: OutboxRecord, goes_on: bool) -> None:
        """Send one row while its lease is kept alive; when it `goes_on`, then the next
        rows of its lane as long as each sent mark could lease the next one."""
        self._sending.add(row.id)
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._renew_leases(), name="outbox-leases")
        try:
            while True:
                try:
                    following = await self._attempt(row, goes_on)
                except Exception as exc:
                    if not is_outage(exc):
                        raise
                    # The row stays leased; once the lease runs out it is retried, in doubt.
                    self._outage.failed(exc)
                    return
                if following is None:
                    return
                self._sending.add(following.id)
                self._sending.discard(row.id)
                row = following
        finally:
            self._sending.discard(row.id)
            if not self._sending and self._heartbeat is not None:
                self._heartbeat.cancel()
                self._heartbeat = None

    async def _renew_leases(self) -> None:
        """The heartbeat: while rows are being sent, push their leases out every third of a
        lease, so only a worker that stopped beating loses its rows."""
        while True:
            await asyncio.sleep(self._lease_seconds / 3)
            try:
                async with self._engine.begin() as conn:
                    await outbox.renew(
                        conn, self._owner, list(self._sending), self._now(), self._lease_seconds
                    )
            except Exception as exc:
                if is_outage(exc):
                    self._outage.failed(exc)
                else:
                    logger.warning("renewing outbox leases failed: %s", type(exc).__name__)

    async def _attempt(self, row: OutboxRecord, goes_on: bool) -> OutboxRecord | None:
        """Send the row and mark how it went; the next row of its lane when the sent mark
        leased it."""
        adapter = self._adapters.get(row.platform)
        try:
            if adapter is None:
                raise DeliveryError(f"no {row.platform} adapter is running", permanent=True)
            ref = await self._send(adapter, row)
        except _NotYet:
            async with self._engine.begin() as conn:
                await outbox.defer(
                    conn, row.id, self._now(), THREAD_WAIT_SECONDS, owner=self._owner
                )
            return None
        except DeliveryError as exc:
            await self._failed(row, str(exc), exc.retry_after, exc.permanent, exc.maybe_sent)
            return None
        except Exception as exc:
            logger.exception("sending outbox row %d to %s failed", row.id, row.platform)
            await self._failed(row, f"{type(exc).__name__}: {exc}", None, False, True)
            return None
        return await self._mark_sent(row, ref, goes_on)

    async def _send(self, adapter: Adapter, row: OutboxRecord) -> SentRef:
        text, buttons, open_thread = decode(row.payload)
        private = decode_private(row.payload)

        def outbound(to: Address, thread_title: str | None = None) -> Outbound:
            return Outbound(to, text, buttons, thread_title, f"sb{row.id}", row.in_doubt, **private)

        if row.target == OutboxTarget.ADDRESS:
            to = Address(row.platform, row.chat_id, row.thread_id)
            return await adapter.send(outbound(to))
        if row.target == OutboxTarget.TICKET_CARD:
            to = Address(row.platform, row.chat_id)
            return await adapter.send(outbound(to, open_thread))
        ticket = await self._ticket(row)
        if ticket.card_message_id is None:
            async with self._engine.connect() as conn:
                if await outbox.card_parked(conn, ticket.id):
                    raise DeliveryError(
                        f"ticket {ticket.id}'s card was never delivered", permanent=True
                    )
            raise _NotYet
        if row.target == OutboxTarget.CARD_EDIT:
            ref = SentRef(row.platform, row.chat_id, ticket.card_message_id, ticket.thread_id)
            await adapter.edit(ref, Outbound(Address(row.platform, row.chat_id), text, buttons))
            return ref
        to = Address(row.platform, row.chat_id, ticket.thread_id)
        return await adapter.send(outbound(to))

    async def _ticket(self, row: OutboxRecord) -> Ticket:
        ticket = None
        if row.ticket_id is not None:
            async with self._sessions() as session:
                ticket = await tickets.get_ticket(session, row.ticket_id)
        if ticket is None:
            raise DeliveryError(
                f"outbox row {row.id}: ticket {row.ticket_id} is gone", permanent=True
            )
        return ticket

    async def _mark_sent(
        self, row: OutboxRecord, ref: SentRef, goes_on: bool
    ) -> OutboxRecord | None:
        """Group commit: rows that finish while a mark is being written are marked
        together in the next transaction. Each caller returns once its row is written
        (by itself or by the caller holding the lock before it), with the next row of its
        lane when the mark leased it (`goes_on`, see `_write_sent`). A caller whose row
        was written before it got the lock writes nothing: the rows sent meanwhile are
        left to their own callers, to be marked together rather than one at a time."""
        self._sent[row.id] = _Sent(row, ref, goes_on)
        async with self._marking:
            if row.id in self._sent:
                await self._write_marks()
        return self._following.pop(row.id, None)

    def _take_marks(self) -> list[_Sent]:
        batch, self._sent = list(self._sent.values()), {}
        return batch

    async def _write_marks(self) -> None:
        """Write the sent marks waiting, in one transaction. They are taken once the
        connection is in hand, so rows sent while it was awaited are marked too."""
        batch: list[_Sent] = []
        try:
            async with self._engine.begin() as conn:
                batch = self._take_marks()
                leased, handed = await self._write_sent(conn, batch)
        except Exception as exc:
            batch = batch or self._take_marks()
            if is_outage(exc):
                # They stay leased: resent in doubt once the database is back.
                self._outage.failed(exc)
                return
            logger.warning("marking %d outbox rows sent at once failed; one by one", len(batch))
            for one in batch:
                await self._write_sent_or_log(one)
            return
        self._hand_on(batch, leased, handed)

    async def _write_sent(
        self, conn: AsyncConnection, batch: list[_Sent]
    ) -> tuple[list[OutboxRecord], list[int]]:
        """Mark the batch sent and bring the next rows of their lanes forward; the rows
        leased and the ids to hand over. When every row of the batch goes on down its lane
        (sent by `run`'s tasks), the next rows are leased at once, in this transaction;
        otherwise (a `drain`, which must keep to its deadline) they are handed over. (A
        row brought forward is its lane's head; one that cannot go now, backing off or
        leased by another worker, is found by a scan once ready.)"""
        following = await outbox.mark_sent_many(
            conn, {sent.row.id: sent.ref.message_id for sent in batch}
        )
        await self._remember(conn, batch)
        if not all(sent.goes_on for sent in batch):
            return [], following
        leased = await outbox.lease_rows(
            conn, self._owner, following, self._now(), self._lease_seconds
        )
        return leased, []

    def _hand_on(self, batch: list[_Sent], leased: list[OutboxRecord], handed: list[int]) -> None:
        """Once the marks are committed: each row leased goes to the task that sent the
        row before it in its lane; the ids are handed over, to be leased by id."""
        if handed:
            self.committed(handed)
        by_lane = {row.lane: row for row in leased}
        for sent in batch:
            if sent.row.lane in by_lane:
                self._following[sent.row.id] = by_lane[sent.row.lane]

    async def _write_sent_or_log(self, one: _Sent) -> None:
        """A row that cannot be marked stays leased: once its lease runs out it is resent
        in doubt (the adapter looks for the message first where the platform allows)."""
        try:
            async with self._engine.begin() as conn:
                leased, handed = await self._write_sent(conn, [one])
        except Exception:
            logger.exception("marking outbox row %d sent failed", one.row.id)
            return
        self._hand_on([one], leased, handed)

    async def _remember(self, conn: AsyncConnection, batch: list[_Sent]) -> None:
        """Note where a ticket's messages went (its card, and each message in its staff
        chat), in the transaction of their sent marks, through a session on `conn`."""
        kept = [
            (sent.row, sent.ref, sent.row.ticket_id)
            for sent in batch
            if sent.row.ticket_id is not None and sent.row.target != OutboxTarget.CARD_EDIT
        ]
        if not kept:
            return
        async with self._sessions(bind=conn) as session:
            for row, ref, ticket_id in kept:
                if row.target == OutboxTarget.TICKET_CARD:
                    await tickets.card_delivered(session, ticket_id, ref.message_id, ref.thread_id)
                await tickets.remember_thread_message(
                    session, row.platform, row.chat_id, ref.message_id, ticket_id
                )
            await session.flush()

    async def _failed(
        self,
        row: OutboxRecord,
        error: str,
        retry_after: float | None,
        permanent: bool,
        maybe_sent: bool,
    ) -> None:
        error = scrub(error)  # library error texts may carry a token (in a request URL)
        logger.warning(
            "outbox row %d to %s failed (attempt %d): %s",
            row.id,
            row.platform,
            row.attempts + 1,
            error,
        )
        async with self._engine.begin() as conn:
            following = await outbox.mark_failed(
                conn,
                row.id,
                row.attempts,
                error,
                self._now(),
                owner=self._owner,
                retry_after=retry_after,
                permanent=permanent,
                max_attempts=MAX_ATTEMPTS,
                maybe_sent=maybe_sent,
                backoff_seconds=self._retry_seconds,
            )
        self.committed(following)  # a parked row lets its lane's next row go
