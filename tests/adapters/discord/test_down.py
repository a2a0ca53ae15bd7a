"""The Discord adapter tells /healthz when its gateway connection has ended for good."""

from __future__ import annotations

import asyncio

from adapters.discord import DiscordAdapter
from tests.fakes.discord_api import FakeDiscord


async def test_a_gateway_closed_for_a_disallowed_intent_is_down(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    assert await adapter.down_reason() is None

    await fake.close_gateway(4014)
    async with asyncio.timeout(5):
        while (reason := await adapter.down_reason()) is None:
            await asyncio.sleep(0.01)

    assert reason == "the gateway connection ended (PrivilegedIntentsRequired)"
