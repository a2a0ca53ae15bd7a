"""What a started bot sets for the whole process, and puts back when it stops."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from bot.runtime import GIL_SWITCH_SECONDS
from tests.bot.conversation_kit import running_bot


@pytest.fixture
def default_switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # Python's default
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.mark.usefixtures("default_switch_interval")
async def test_a_started_bot_gets_the_gil_back_from_a_matching_thread_within_a_ms(
    sqlite_url: str,
) -> None:
    async with running_bot(sqlite_url) as bot:
        await bot.customer.says("Where is my order?")
        assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_SECONDS)
    assert GIL_SWITCH_SECONDS <= 0.001
    assert sys.getswitchinterval() == pytest.approx(0.005)
