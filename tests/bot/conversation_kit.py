"""A running bot on a recording platform, with a customer and two agents."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import parse_config
from bot.contract import Sender
from bot.runtime import Runtime
from tests.conftest import EXAMPLE_FAQ
from tests.fakes.recording_adapter import Person, RecordingAdapter, Sent

STAFF_ROOM = "staff"
CUSTOMER_CHAT = "dm-1"
# A Tuesday, 10:00 in Berlin: inside the example support hours.
OPEN_TIME = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def make_config(database_url: str, **overrides: Any) -> Any:
    data: dict[str, Any] = {
        "faq": {"path": str(EXAMPLE_FAQ), "misses_before_handoff": 2},
        "hours": {
            "timezone": "Europe/Berlin",
            "weekly": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        },
        "staff": {"platform": "test", "chat_id": STAFF_ROOM},
        "database": {"url": database_url},
    }
    for key, value in overrides.items():
        data[key] = {**data.get(key, {}), **value}
    return parse_config(data, "test")


@dataclass
class Clock:
    """Starts at `start` and runs at real speed, so backoffs still expire."""

    start: datetime = OPEN_TIME
    _origin: float = field(default_factory=time.monotonic)

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)


@dataclass
class Bot:
    runtime: Runtime
    platform: RecordingAdapter
    clock: Clock
    customer: Person
    alex: Person
    sam: Person

    async def settle(self) -> None:
        assert await self.runtime.settle(5.0), "the outbox did not drain"

    def to_customer(self) -> list[Sent]:
        return self.platform.to_chat(CUSTOMER_CHAT)

    def staff_room(self) -> list[Sent]:
        return self.platform.to_chat(STAFF_ROOM)

    def card(self) -> Sent:
        cards = [s for s in self.staff_room() if s.out.open_thread]
        return cards[-1]

    def card_now(self) -> Sent:
        """The newest version of the latest card (after edits)."""
        card = self.card()
        versions = [s for s in self.staff_room() if s.ref.message_id == card.ref.message_id]
        return versions[-1]

    async def claimed_by_alex(self) -> Sent:
        """Dana asks for a person and Alex claims the ticket; its card."""
        await self.customer.says("talk to a human")
        await self.settle()
        card = self.card()
        await self.alex.presses(card, "claim")
        await self.settle()
        return card

    def thread(self) -> list[Sent]:
        card = self.card()
        return [
            s
            for s in self.staff_room()
            if s.ref.thread_id == card.ref.thread_id and not s.out.open_thread and not s.edited
        ]


@asynccontextmanager
async def running_bot(
    database_url: str, *, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[Bot]:
    config = make_config(database_url, **overrides)
    platform = RecordingAdapter()
    clock = clock or Clock()
    runtime = Runtime(config, [platform], now=clock)
    await runtime.start(deliver=False)
    try:
        yield Bot(
            runtime,
            platform,
            clock,
            Person(platform, CUSTOMER_CHAT, Sender("cust-1", "Dana", "en")),
            Person(platform, STAFF_ROOM, Sender("agent-alex", "Alex"), staff=True),
            Person(platform, STAFF_ROOM, Sender("agent-sam", "Sam"), staff=True),
        )
    finally:
        await runtime.stop()
