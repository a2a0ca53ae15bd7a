"""Shared pieces for the Telegram adapter tests: the fake server, people, a recording core."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.telegram import TelegramAdapter
from bot.config import StaffSection, TelegramSection
from bot.contract import Address, Button, Event, NotStored, Outbound, SentRef, plain
from tests.fakes.telegram_api import FakeTelegramApi, FakeUser

STAFF_GROUP = -100123
OTHER_GROUP = -100999
CUSTOMER = FakeUser(1001, "Ann", "Lee", language_code="de-AT")
AGENT = FakeUser(2001, "Bob", username="bob_agent", language_code="en")
STRANGER = FakeUser(3001, "Eve")
OTHER_BOT = FakeUser(4001, "Robo", is_bot=True)


class RecordingCore:
    """A Core that records every event it stores.

    `fail_on`: receive raises RuntimeError the first time it sees that text;
    `refuse(n)`: the next n receives raise NotStored (the database is away);
    `hold()`: receive blocks until `release()`, as a slow database would.
    """

    def __init__(self, fail_on: str | None = None) -> None:
        self.events: list[Event] = []
        self.attempts: list[Event] = []
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._fail_on = fail_on
        self._refusals = 0
        self._open = asyncio.Event()
        self._open.set()
        self.waiting = asyncio.Event()

    def refuse(self, times: int) -> None:
        self._refusals = times

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        self.attempts.append(event)
        if not self._open.is_set():
            self.waiting.set()
            await self._open.wait()
        if self._refusals:
            self._refusals -= 1
            raise NotStored("the database is away")
        if self._fail_on is not None and getattr(event, "text", None) == self._fail_on:
            self._fail_on = None
            raise RuntimeError("the core broke")
        self.events.append(event)
        self._queue.put_nowait(event)

    async def next_event(self, timeout: float = 5.0) -> Event:
        return await asyncio.wait_for(self._queue.get(), timeout)


def telegram_section(fake: FakeTelegramApi, **overrides: Any) -> TelegramSection:
    values: dict[str, Any] = {
        "enabled": True,
        "token": fake.token,
        "api_base_url": fake.base_url,
        "poll_timeout": 1,
        "request_timeout": 2.0,
        "rate_limit_retries": 1,
        **overrides,
    }
    return TelegramSection.model_validate(values)


def staff_section(platform: str = "telegram") -> StaffSection:
    return StaffSection(platform=platform, chat_id=str(STAFF_GROUP))


@pytest.fixture(autouse=True)
def _direct_to_fakes(no_proxy: None) -> None:
    """Every test here talks to fake servers on 127.0.0.1: no proxy variables."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi() as api:
        api.add_group(STAFF_GROUP, "Support staff", forum=True, members={AGENT.id: "member"})
        api.add_group(OTHER_GROUP, "Random group", forum=False)
        yield api


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def adapter(fake: FakeTelegramApi, core: RecordingCore) -> AsyncIterator[TelegramAdapter]:
    """A polling adapter whose staff room is the forum group STAFF_GROUP."""
    running = TelegramAdapter(telegram_section(fake), staff_section())
    await running.start(core)
    yield running
    await running.stop()


async def ticket_card(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> tuple[SentRef, dict[str, Any]]:
    """A ticket's card with a Claim button, sent to the staff group; its ref and the
    message as the fake holds it (for presses)."""
    card = await adapter.send(
        Outbound(
            Address("telegram", str(STAFF_GROUP)),
            plain("Ticket 9"),
            buttons=(Button("Claim", "claim", "9"),),
            open_thread="Ticket 9",
        )
    )
    return card, fake.message(STAFF_GROUP, card.message_id)
