"""The Telegram adapter tells /healthz while polling fails, and stops once it works."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from adapters.telegram import TelegramAdapter
from tests.fakes.telegram_api import FakeTelegramApi


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(5):
        while not await check():
            await asyncio.sleep(0.01)


async def test_polling_that_fails_is_down_until_a_poll_succeeds(
    fake: FakeTelegramApi, adapter: TelegramAdapter
) -> None:
    assert await adapter.down_reason() is None
    fake.fail_next("getUpdates", times=2, status=401, description="Unauthorized")

    await _until(lambda: _reason_is(adapter, "getUpdates failed 2 times (InvalidToken)"))
    await _until(lambda: _reason_is(adapter, None))


async def _reason_is(adapter: TelegramAdapter, expected: str | None) -> bool:
    return await adapter.down_reason() == expected
