"""The Discord adapter on the real discord.py, against tests/fakes/discord_api.py."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.discord import DiscordAdapter
from bot.config import DiscordSection, StaffSection
from bot.contract import Event, NotStored
from tests.fakes.discord_api import TOKEN, FakeDiscord


class RecordingCore:
    """A core that keeps what it is handed; raises for an Inbound whose text ends in "boom".

    While `refusing` is set it raises NotStored, as the core does when the database is
    unreachable, and keeps nothing (`refused` counts the attempts).
    """

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.refusing = False
        self.refused = 0
        self._changed = asyncio.Condition()

    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        if self.refusing:
            async with self._changed:
                self.refused += 1
                self._changed.notify_all()
            raise NotStored("the database is unreachable")
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()
        if getattr(event, "text", "").endswith("boom"):
            raise RuntimeError("the core failed")

    async def wait_until(self, condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(condition)

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
async def start_adapter(
    fake: FakeDiscord, core: RecordingCore, tmp_path: Path
) -> AsyncIterator[StartAdapter]:
    """Start an adapter (section fields as keyword overrides); all are stopped afterwards.
    Each has a spool folder of its own unless `spool_dir` is given."""
    started: list[DiscordAdapter] = []
    folders = (tmp_path / f"spool-{n}" for n in itertools.count())

    async def start(**overrides: Any) -> DiscordAdapter:
        overrides.setdefault("spool_dir", next(folders))
        section = discord_section(fake, **overrides)
        adapter = DiscordAdapter(section, staff_section(fake))
        await adapter.start(core)
        started.append(adapter)
        return adapter

    yield start
    for adapter in started:
        await adapter.stop()


@pytest.fixture
async def adapter(start_adapter: StartAdapter) -> DiscordAdapter:
    return await start_adapter()
