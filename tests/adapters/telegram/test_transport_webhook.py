"""Webhook mode: Telegram POSTs updates to us, signed with the secret token."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Callable

import pytest
from pydantic import SecretStr

from adapters.telegram import TelegramAdapter
from bot.config import ConfigError, TelegramSection, parse_config
from bot.contract import Inbound
from bot.logs import ScrubbingFormatter
from tests.adapters.telegram.conftest import (
    CUSTOMER,
    RecordingCore,
    staff_section,
    telegram_section,
)
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.unreachable import free_port

SECRET = "s3cret-token_1"


def _webhook_section(fake: FakeTelegramApi) -> TelegramSection:
    port = free_port()
    return telegram_section(
        fake,
        mode="webhook",
        webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )


@pytest.fixture
async def webhook_adapter(
    fake: FakeTelegramApi, core: RecordingCore
) -> AsyncIterator[TelegramAdapter]:
    running = TelegramAdapter(_webhook_section(fake), staff_section())
    await running.start(core)
    yield running
    await running.stop()


async def test_webhook_is_registered_with_its_secret(
    webhook_adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    registered = await fake.wait_for_call("setWebhook")

    assert registered.params["url"].endswith("/telegram/hook")
    assert registered.params["secret_token"] == SECRET
    assert fake.calls_of("getUpdates") == []


async def test_update_with_the_right_secret_is_handled(
    webhook_adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    message = fake.user_writes(CUSTOMER, "hello over https", deliver=False)

    status = await fake.post_to_webhook({"message": message})

    event = await core.next_event()
    assert status == 200
    assert isinstance(event, Inbound)
    assert event.text == "hello over https"


async def test_update_with_a_wrong_or_missing_secret_is_refused(
    webhook_adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    forged = fake.user_writes(CUSTOMER, "forged", deliver=False)
    genuine = fake.user_writes(CUSTOMER, "genuine", deliver=False)

    wrong = await fake.post_to_webhook({"message": forged}, secret="guess")
    missing = await fake.post_to_webhook({"message": forged}, secret="")
    await fake.post_to_webhook({"message": genuine})

    event = await core.next_event()
    assert (wrong, missing) == (403, 403)
    assert isinstance(event, Inbound)
    assert event.text == "genuine"
    assert len(core.events) == 1


def test_webhook_mode_needs_a_url_and_a_secret() -> None:
    section = TelegramSection(
        enabled=True, token=SecretStr("1:x"), mode="webhook", webhook_url="https://bot.example/h"
    )

    with pytest.raises(ConfigError, match="webhook_secret"):
        TelegramAdapter(section, staff_section())


async def test_token_and_secret_never_reach_the_logs(fake: FakeTelegramApi) -> None:
    """Through the project's log formatter, even the libraries' DEBUG output is clean."""
    section = _webhook_section(fake)
    config = parse_config(
        {
            "telegram": section.model_dump(mode="json")
            | {"token": fake.token, "webhook_secret": SECRET}
        },
        "test",
    )
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(ScrubbingFormatter(config.secrets(), as_json=False))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        running = TelegramAdapter(config.telegram, staff_section())
        await running.start(RecordingCore())
        message = fake.user_writes(CUSTOMER, "hello", deliver=False)
        await fake.post_to_webhook({"message": message})
        await running.stop()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    logged = lines.getvalue()
    assert "setWebhook" in logged
    assert "/bot***/" in logged
    assert fake.token not in logged
    assert SECRET not in logged


async def test_an_update_not_stored_gets_a_5xx_and_is_taken_when_posted_again(
    webhook_adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    message = fake.user_writes(CUSTOMER, "first try", deliver=False)
    core.refuse(1)

    refused = await fake.post_to_webhook({"message": message})
    stored_after_refusal = list(core.events)
    accepted = await fake.post_to_webhook({"message": message})
    event = await core.next_event()

    assert refused == 503
    assert stored_after_refusal == []
    assert accepted == 200
    assert isinstance(event, Inbound)
    assert event.text == "first try"


async def test_telegram_redelivers_until_the_update_is_stored(
    webhook_adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    core.refuse(2)
    fake.user_writes(CUSTOMER, "knock knock")
    update_id = fake.pending_updates[-1]

    event = await core.next_event()
    await _until(lambda: update_id not in fake.pending_updates)

    assert isinstance(event, Inbound)
    assert event.text == "knock knock"
    assert fake.webhook_posts == [(update_id, 503), (update_id, 503), (update_id, 200)]


async def test_no_answer_while_the_core_is_still_storing(
    webhook_adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    core.hold()
    fake.user_writes(CUSTOMER, "slow database")
    update_id = fake.pending_updates[-1]

    await asyncio.wait_for(core.waiting.wait(), 5)
    await asyncio.sleep(0.3)  # room for a wrong answer to happen
    answered_while_held = list(fake.webhook_posts)
    core.release()
    await core.next_event()
    await _until(lambda: update_id not in fake.pending_updates)

    assert answered_while_held == []
    assert fake.webhook_posts == [(update_id, 200)]


async def test_a_malformed_update_is_dropped_with_a_200(
    webhook_adapter: TelegramAdapter,
    fake: FakeTelegramApi,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.telegram")

    status = await fake.post_to_webhook({"message": {"message_id": 1, "text": "no chat"}})

    assert status == 200
    assert "dropping malformed update" in caplog.text
    assert "no chat" not in caplog.text
    assert core.attempts == []


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
