"""start / stop / restart, and what reaches the logs."""

from __future__ import annotations

import pytest

from adapters.telegram import TelegramAdapter
from bot.config import ConfigError, StaffSection
from bot.contract import Inbound
from tests.adapters.telegram.conftest import (
    CUSTOMER,
    RecordingCore,
    staff_section,
    telegram_section,
)
from tests.fakes.telegram_api import FakeTelegramApi


async def test_stop_is_idempotent_and_safe_before_start(fake: FakeTelegramApi) -> None:
    never_started = TelegramAdapter(telegram_section(fake), staff_section())
    await never_started.stop()

    running = TelegramAdapter(telegram_section(fake), staff_section())
    await running.start(RecordingCore())
    await running.stop()
    await running.stop()

    assert [c.method for c in fake.calls][:3] == ["getMe", "getChat", "deleteWebhook"]
    last_poll = fake.calls_of("getUpdates")[-1]
    assert last_poll.params["timeout"] == "0"


async def test_restart_picks_up_what_arrived_meanwhile_and_nothing_twice(
    fake: FakeTelegramApi,
) -> None:
    core = RecordingCore()
    running = TelegramAdapter(telegram_section(fake), staff_section())
    await running.start(core)
    fake.user_writes(CUSTOMER, "before the restart")
    await core.next_event()
    await running.stop()

    fake.user_writes(CUSTOMER, "while stopped")
    await running.start(core)
    try:
        event = await core.next_event()
    finally:
        await running.stop()

    assert isinstance(event, Inbound)
    assert [e.text for e in core.events if isinstance(e, Inbound)] == [
        "before the restart",
        "while stopped",
    ]


async def test_a_missing_staff_group_is_a_clear_configuration_error(
    fake: FakeTelegramApi,
) -> None:
    running = TelegramAdapter(
        telegram_section(fake), StaffSection(platform="telegram", chat_id="-100404")
    )

    with pytest.raises(ConfigError, match=r"staff.chat_id: .*-100404"):
        await running.start(RecordingCore())
    await running.stop()

    assert fake.calls_of("getUpdates") == []
