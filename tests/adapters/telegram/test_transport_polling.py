"""Polling confirms an update (a getUpdates offset past it) only once the core stored it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from adapters.telegram import TelegramAdapter
from bot.contract import Event, Inbound
from tests.adapters.telegram.conftest import (
    CUSTOMER,
    RecordingCore,
    staff_section,
    telegram_section,
)
from tests.fakes.telegram_api import FakeTelegramApi


def _confirmed_past(fake: FakeTelegramApi, update_id: int) -> bool:
    """Has any getUpdates asked for an offset past `update_id`?"""
    return any(
        int(call.params.get("offset", "0")) > update_id for call in fake.calls_of("getUpdates")
    )


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def _texts(events: list[Event]) -> list[str]:
    return [event.text for event in events if isinstance(event, Inbound)]


async def test_an_update_not_stored_is_not_confirmed_and_comes_again(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    core.refuse(3)
    fake.user_writes(CUSTOMER, "are you there?")
    update_id = fake.pending_updates[-1]

    await _until(lambda: len(core.attempts) >= 2)
    confirmed_while_refused = _confirmed_past(fake, update_id)
    pending_while_refused = update_id in fake.pending_updates
    event = await core.next_event()
    await fake.wait_for_call("getUpdates", lambda c: c.get("offset") == str(update_id + 1))

    assert not confirmed_while_refused
    assert pending_while_refused
    assert isinstance(event, Inbound)
    assert event.text == "are you there?"
    assert _texts(core.attempts) == ["are you there?"] * 4
    assert update_id not in fake.pending_updates


async def test_no_confirmation_while_the_core_is_still_storing(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    core.hold()
    fake.user_writes(CUSTOMER, "slow database")
    update_id = fake.pending_updates[-1]

    await asyncio.wait_for(core.waiting.wait(), 5)
    await asyncio.sleep(0.3)  # room for a wrong confirmation to happen
    confirmed_while_held = _confirmed_past(fake, update_id)
    core.release()
    event = await core.next_event()
    await fake.wait_for_call("getUpdates", lambda c: c.get("offset") == str(update_id + 1))

    assert not confirmed_while_held
    assert isinstance(event, Inbound)
    assert update_id not in fake.pending_updates


async def test_a_refused_update_holds_back_the_ones_after_it(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.user_writes(CUSTOMER, "one")
    await core.next_event()
    core.refuse(2)
    for text in ("two", "three", "four"):
        fake.user_writes(CUSTOMER, text)

    for _ in range(3):
        await core.next_event()

    assert _texts(core.events) == ["one", "two", "three", "four"]
    assert _texts(core.attempts) == ["one", "two", "two", "two", "three", "four"]


async def test_what_was_not_stored_before_a_stop_comes_after_the_restart(
    fake: FakeTelegramApi,
) -> None:
    down = RecordingCore()
    down.refuse(1000)
    first = TelegramAdapter(telegram_section(fake), staff_section())
    await first.start(down)
    fake.user_writes(CUSTOMER, "lost?")
    await _until(lambda: len(down.attempts) >= 1)
    await first.stop()
    kept = list(fake.pending_updates)

    up = RecordingCore()
    second = TelegramAdapter(telegram_section(fake), staff_section())
    await second.start(up)
    try:
        event = await up.next_event()
    finally:
        await second.stop()

    assert len(kept) == 1
    assert down.events == []
    assert isinstance(event, Inbound)
    assert event.text == "lost?"
    assert fake.pending_updates == []
