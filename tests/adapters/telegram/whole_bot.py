"""The whole bot on Telegram for tests: the real Runtime (FAQ, database, outbox) with
the adapter against the fake Bot API, and a way to wait for what it sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from adapters.telegram import TelegramAdapter
from bot.config import parse_config
from bot.runtime import Runtime
from tests.conftest import EXAMPLE_FAQ
from tests.fakes.telegram_api import ApiCall, FakeTelegramApi


@asynccontextmanager
async def running_bot(
    fake: FakeTelegramApi, database_url: str, staff: dict[str, Any]
) -> AsyncIterator[Runtime]:
    """The bot on `database_url` with the staff section `staff`, started and stopped."""
    config = parse_config(
        {
            "faq": {"path": str(EXAMPLE_FAQ)},
            "hours": {"always_open": True},
            "staff": staff,
            "database": {"url": database_url},
            "telegram": {
                "enabled": True,
                "token": fake.token,
                "api_base_url": fake.base_url,
                "poll_timeout": 1,
                "request_timeout": 2,
                "rate_limit_retries": 1,
            },
        },
        "test",
    )
    runtime = Runtime(config, [TelegramAdapter(config.telegram, config.staff)])
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def said(fake: FakeTelegramApi, chat_id: int, containing: str) -> dict[str, Any]:
    """The message the bot sent to `chat_id` whose text (as shown) contains `containing`."""

    def matches(call: ApiCall) -> bool:
        return (
            call.status == 200
            and call.params["chat_id"] == str(chat_id)
            and containing in call.result["text"]
        )

    call = await fake.wait_for_call("sendMessage", matches, timeout=10)
    message: dict[str, Any] = call.result
    return message
