"""The conversation engine: one transaction per event, routed to the right flow.

Replies are outbox rows written in that same transaction (bot/turn.py); the
delivery worker sends them. A platform that redelivers a message (or two bot
processes that both receive it) gets it handled once: the event id is a row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Config
from bot.contract import Action, Event, Inbound, NotStored
from bot.customer_flow import CustomerFlow
from bot.staff_flow import StaffFlow
from bot.turn import Turn
from handoff.models import SeenEvent

logger = logging.getLogger("bot.engine")

DB_ATTEMPTS = 5


def utc_now() -> datetime:
    return datetime.now(UTC)


class Engine:
    def __init__(
        self,
        *,
        config: Config,
        sessions: async_sessionmaker[AsyncSession],
        customers: CustomerFlow,
        staff: StaffFlow,
        on_outbox: Callable[[], None] = lambda: None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._config = config
        self._sessions = sessions
        self._customers = customers
        self._staff = staff
        self._on_outbox = on_outbox
        self._now = now

    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        """Until the durable inbox lands (issue 11): handle the event right away."""
        try:
            await self.handle(event)
        except (OperationalError, DBAPIError, OSError) as exc:
            raise NotStored(type(exc).__name__) from exc

    async def handle(self, event: Event) -> None:
        """Handle one event; transient database errors are retried, then raised."""
        for attempt in range(1, DB_ATTEMPTS + 1):
            try:
                await self._handle_once(event)
            except (OperationalError, DBAPIError) as exc:
                # A unique-key race (a redelivered event, a customer's first two
                # messages at once) is settled by trying again: the rerun sees the row.
                conflict = isinstance(exc, IntegrityError)
                if attempt == DB_ATTEMPTS or not (conflict or _transient(exc)):
                    raise
                logger.warning("database busy or gone (%s); retry %d", type(exc).__name__, attempt)
                await asyncio.sleep(0.05 * 2**attempt)
            else:
                self._on_outbox()
                return

    async def _handle_once(self, event: Event) -> None:
        now = self._now().astimezone(UTC).replace(tzinfo=None)
        async with self._sessions() as session, session.begin():
            turn = Turn(session, now)
            if isinstance(event, Inbound):
                key = (event.platform, event.chat_id, event.message_id)
                if await session.get(SeenEvent, key) is not None:
                    logger.info("event %s on %s already handled", event.message_id, event.platform)
                    return
                session.add(
                    SeenEvent(
                        platform=event.platform,
                        chat_id=event.chat_id,
                        event_id=event.message_id,
                        seen_at=now,
                    )
                )
                await session.flush()
            if self._is_agent(event):
                await self._staff_event(turn, event)
            elif self._in_staff_room(event):
                await self._outsider_in_staff_room(turn, event)
            elif isinstance(event, Inbound):
                await self._customers.on_message(turn, event)
            else:
                await self._customers.on_action(turn, event)

    async def _staff_event(self, turn: Turn, event: Event) -> None:
        if isinstance(event, Inbound):
            await self._staff.on_message(turn, event)
        else:
            await self._staff.on_action(turn, event)

    async def _outsider_in_staff_room(self, turn: Turn, event: Event) -> None:
        """Someone in the staff room who is not an agent: refuse actions and commands."""
        if isinstance(event, Action) or event.text.startswith("/"):
            turn.say(
                event.address,
                self._customers.templates.render("not_staff", self._config.bot.default_locale),
            )

    def _in_staff_room(self, event: Event) -> bool:
        staff = self._config.staff
        return event.platform == staff.platform and event.chat_id == staff.chat_id

    def _is_agent(self, event: Event) -> bool:
        allowed = self._config.staff.agents
        return (
            event.from_staff_room
            and self._in_staff_room(event)
            and (not allowed or event.sender.user_id in allowed)
        )


def _transient(exc: DBAPIError) -> bool:
    message = str(exc.orig if exc.orig is not None else exc).lower()
    hints = ("locked", "busy", "connection", "closed", "terminat", "timeout")
    return exc.connection_invalidated or any(hint in message for hint in hints)
