"""The delivery worker: sends outbox rows through the adapters, with retries.

A row is leased, sent, then marked sent; a failure backs off (the platform's
`retry_after` when it gave one) and a permanent failure parks the row. Rows to one
destination go out in order. A ticket's thread messages wait until its card is out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.contract import Adapter, Address, DeliveryError, Outbound, SentRef
from bot.outbox_codec import decode
from handoff import outbox, tickets
from handoff.models import OutboxRow, Ticket
from handoff.states import OutboxTarget

logger = logging.getLogger("bot.delivery")

MAX_ATTEMPTS = 12
BATCH = 20
IDLE_SECONDS = 0.5
THREAD_WAIT_SECONDS = 0.5


class _NotYet(Exception):
    """The row depends on a card that is not delivered yet."""


class Delivery:
    """`lease_seconds`: how long a pass owns the rows it took (a row whose lease runs out is
    retaken, by any worker, as maybe sent); `retry_seconds`: the first backoff, doubling."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[str, Adapter],
        now: Callable[[], datetime],
        *,
        lease_seconds: float = 60.0,
        retry_seconds: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._adapters = adapters
        self._now = now
        self._lease_seconds = lease_seconds
        self._retry_seconds = retry_seconds
        self._owner = uuid.uuid4().hex
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def _utc(self) -> datetime:
        return self._now().astimezone(UTC).replace(tzinfo=None)

    async def run(self) -> None:
        """Deliver until cancelled."""
        while True:
            try:
                delivered = await self.deliver_once()
            except Exception:
                logger.exception("delivery pass failed; trying again")
                delivered = 0
            if delivered:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)

    async def deliver_once(self) -> int:
        """One pass over the due rows; returns how many were attempted."""
        async with self._sessions() as session, session.begin():
            rows = await outbox.lease_due(
                session, self._owner, self._utc(), self._lease_seconds, BATCH
            )
            session.expunge_all()
        # Each leased row heads a different destination, so they can go out at once:
        # a slow (rate-limited) chat does not hold up the others.
        await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def drain(self, seconds: float = 10.0) -> bool:
        """Deliver until nothing is pending (True) or `seconds` pass (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            if not await self.deliver_once():
                async with self._sessions() as session:
                    if await outbox.pending_count(session) == 0:
                        return True
                await asyncio.sleep(0.05)
        return False

    async def _deliver(self, row: OutboxRow) -> None:
        adapter = self._adapters.get(row.platform)
        try:
            if adapter is None:
                raise DeliveryError(f"no {row.platform} adapter is running", permanent=True)
            ref = await self._send(adapter, row)
        except _NotYet:
            async with self._sessions() as session, session.begin():
                await outbox.defer(session, row.id, self._utc(), THREAD_WAIT_SECONDS)
            return
        except DeliveryError as exc:
            await self._failed(row, str(exc), exc.retry_after, exc.permanent, exc.maybe_sent)
            return
        except Exception as exc:
            logger.exception("sending outbox row %d to %s failed", row.id, row.platform)
            await self._failed(row, f"{type(exc).__name__}: {exc}", None, False, True)
            return
        async with self._sessions() as session, session.begin():
            await outbox.mark_sent(session, row.id, ref.message_id)
            await self._remember(session, row, ref)

    async def _send(self, adapter: Adapter, row: OutboxRow) -> SentRef:
        text, buttons, open_thread = decode(row.payload)

        def outbound(to: Address, thread_title: str | None = None) -> Outbound:
            return Outbound(to, text, buttons, thread_title, f"sb{row.id}", row.in_doubt)

        if row.target == OutboxTarget.ADDRESS:
            to = Address(row.platform, row.chat_id, row.thread_id)
            return await adapter.send(outbound(to))
        if row.target == OutboxTarget.TICKET_CARD:
            to = Address(row.platform, row.chat_id)
            return await adapter.send(outbound(to, open_thread))
        ticket = await self._ticket(row)
        if ticket.card_message_id is None:
            async with self._sessions() as session:
                if await outbox.card_parked(session, ticket.id):
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

    async def _ticket(self, row: OutboxRow) -> Ticket:
        ticket = None
        if row.ticket_id is not None:
            async with self._sessions() as session:
                ticket = await tickets.get_ticket(session, row.ticket_id)
        if ticket is None:
            raise DeliveryError(
                f"outbox row {row.id}: ticket {row.ticket_id} is gone", permanent=True
            )
        return ticket

    async def _remember(self, session: AsyncSession, row: OutboxRow, ref: SentRef) -> None:
        if row.ticket_id is None or row.target == OutboxTarget.CARD_EDIT:
            return
        if row.target == OutboxTarget.TICKET_CARD:
            await tickets.card_delivered(session, row.ticket_id, ref.message_id, ref.thread_id)
        await tickets.remember_thread_message(
            session, row.platform, row.chat_id, ref.message_id, row.ticket_id
        )

    async def _failed(
        self,
        row: OutboxRow,
        error: str,
        retry_after: float | None,
        permanent: bool,
        maybe_sent: bool,
    ) -> None:
        logger.warning(
            "outbox row %d to %s failed (attempt %d): %s",
            row.id,
            row.platform,
            row.attempts + 1,
            error,
        )
        async with self._sessions() as session, session.begin():
            await outbox.mark_failed(
                session,
                row.id,
                row.attempts,
                error,
                self._utc(),
                retry_after=retry_after,
                permanent=permanent,
                max_attempts=MAX_ATTEMPTS,
                maybe_sent=maybe_sent,
                backoff_seconds=self._retry_seconds,
            )
