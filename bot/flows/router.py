"""The router: an event from the inbox, handed to the flow it belongs to.

It runs inside the transaction in which bot/intake.py takes the event's inbox row, and
replies are outbox rows written in that same transaction (bot/flows/turn.py), so an
event is handled exactly once and what it decided is either all kept or all undone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.agents import acts_as_agent, in_staff_room
from bot.config import Config
from bot.contract import Action, Answered, Event, Inbound
from bot.flows.customer import CustomerFlow
from bot.flows.staff import StaffFlow
from bot.flows.turn import Turn


def utc_now() -> datetime:
    return datetime.now(UTC)


class Router:
    def __init__(
        self,
        *,
        config: Config,
        customers: CustomerFlow,
        staff: StaffFlow,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._config = config
        self._customers = customers
        self._staff = staff
        self._now = now

    async def route(self, conn: AsyncConnection, event: Event) -> list[int]:
        """Decide what `event` means inside the caller's transaction (bot/intake.py's,
        which also marks the inbox row done): state changes and outbox rows commit or
        roll back together. The ids of the outbox rows written."""
        turn = Turn(conn, self._now().astimezone(UTC).replace(tzinfo=None))
        await self._decide(turn, event)
        return await turn.finish()

    async def _decide(self, turn: Turn, event: Event) -> None:
        if acts_as_agent(self._config.staff, event):
            await self._staff_event(turn, event)
        elif in_staff_room(self._config.staff, event):
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
        """Someone in the staff room who is not an agent: refuse actions and commands
        ("/resolve" and "!resolve" alike) with a reply only they see where the platform
        allows (Outbound.private_to)."""
        if isinstance(event, Action) or event.text.lstrip().startswith(("/", "!")):
            press = event.event_id if isinstance(event, Action) else ""
            turn.tell_privately(
                event.address,
                event.sender.user_id,
                Answered(event.message_id, press),
                self._customers.templates.render("not_staff", self._config.bot.default_locale),
            )
