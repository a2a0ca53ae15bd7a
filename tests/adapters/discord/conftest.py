"""The Discord adapter on the real discord.py, against tests/fakes/discord_api.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.discord import DiscordAdapter
from bot.config import DiscordSection, StaffSection
from bot.contract import Event
from tests.fakes.discord_api import TOKEN, FakeDiscord


class RecordingCore:
    """A core that keeps what it is handed; raises for an Inbound whose text ends in "boom"."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    async def handle(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()
        if getattr(event, "text", "").endswith("boom"):
            raise RuntimeError("the core failed")

    async def wait_for(self, count: int = 1, *, timeout: float = 5.0) -> Event:
        """The `count`-th event, once it has arrived."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.events) >= count)
        return self.events[count - 1]


def discord_section(fake: FakeDiscord, **overrides: Any) -> DiscordSection:
    values: dict[str, Any] = {
        "enabled": True,
        "token": SecretStr(TOKEN),
        "api_base_url": fake.api_url,
        "staff_role_id": str(fake.staff_role_id),
        "support_channel_id": str(fake.support_channel_id),
        "guild_ready_timeout": 0.05,
    }
    return DiscordSection(**(values | overrides))


def staff_section(fake: FakeDiscord) -> StaffSection:
    return StaffSection(platform="discord", chat_id=str(fake.staff_channel_id))


StartAdapter = Callable[..., Awaitable[DiscordAdapter]]


@pytest.fixture
async def fake(no_proxy: None) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def start_adapter(fake: FakeDiscord, core: RecordingCore) -> AsyncIterator[StartAdapter]:
    """Start an adapter (section fields as keyword overrides); all are stopped afterwards."""
    started: list[DiscordAdapter] = []

    async def start(**overrides: Any) -> DiscordAdapter:
        adapter = DiscordAdapter(discord_section(fake, **overrides), staff_section(fake))
        await adapter.start(core)
        started.append(adapter)
        return adapter

    yield start
    for adapter in started:
        await adapter.stop()


@pytest.fixture
async def adapter(start_adapter: StartAdapter) -> DiscordAdapter:
    return await start_adapter()
