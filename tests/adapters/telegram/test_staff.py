"""The staff-group membership check, its one-minute cache, and its retries."""

from __future__ import annotations

import pytest
from telegram.error import NetworkError

from adapters.telegram import TelegramAdapter
from adapters.telegram.staff import LOOKUP_ATTEMPTS, StaffMembership
from bot.contract import Action
from tests.adapters.telegram.conftest import AGENT, RecordingCore, ticket_card
from tests.fakes.telegram_api import FakeTelegramApi


class Directory:
    """Answers getChatMember from a dict and counts the lookups."""

    def __init__(self, statuses: dict[int, str]) -> None:
        self.statuses = statuses
        self.lookups: list[int] = []
        self.down = False

    async def status(self, user_id: int) -> str:
        self.lookups.append(user_id)
        if self.down:
            raise NetworkError("unreachable")
        return self.statuses.get(user_id, "left")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("status", "staff"),
    [
        ("creator", True),
        ("administrator", True),
        ("member", True),
        ("restricted", False),
        ("left", False),
        ("kicked", False),
    ],
)
async def test_who_counts_as_staff(status: str, staff: bool) -> None:
    membership = StaffMembership(Directory({7: status}).status)

    assert await membership.is_staff(7) is staff


async def test_answers_are_cached_for_a_minute() -> None:
    directory, clock = Directory({7: "member"}), Clock()
    membership = StaffMembership(directory.status, clock=clock)

    assert await membership.is_staff(7)
    directory.statuses[7] = "kicked"
    clock.now += 59
    assert await membership.is_staff(7)
    clock.now += 2
    assert not await membership.is_staff(7)
    assert directory.lookups == [7, 7]


async def test_failed_lookups_are_not_cached() -> None:
    directory = Directory({7: "member"})
    membership = StaffMembership(directory.status)
    directory.down = True

    with pytest.raises(NetworkError):
        await membership.is_staff(7)
    directory.down = False

    assert await membership.is_staff(7)
    assert directory.lookups == [7, 7]


@pytest.mark.parametrize(
    ("status", "description"), [(502, "Bad Gateway"), (500, "Internal Server Error")]
)
async def test_a_passing_lookup_failure_is_retried(
    adapter: TelegramAdapter,
    fake: FakeTelegramApi,
    core: RecordingCore,
    status: int,
    description: str,
) -> None:
    _, message = await ticket_card(adapter, fake)
    fake.fail_next("getChatMember", times=2, status=status, description=description)

    fake.press(AGENT, message, "Claim")
    event = await core.next_event()

    assert isinstance(event, Action)
    assert event.from_staff_room
    assert len(fake.calls_of("getChatMember")) == 3


async def test_a_429_on_the_lookup_is_retried(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    _, message = await ticket_card(adapter, fake)
    fake.fail_next("getChatMember", times=1, status=429, retry_after=1)

    fake.press(AGENT, message, "Claim")
    event = await core.next_event()

    assert isinstance(event, Action)
    assert event.from_staff_room


async def test_a_lookup_that_keeps_failing_leaves_the_press_unconfirmed(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    _, message = await ticket_card(adapter, fake)
    fake.fail_next("getChatMember", times=LOOKUP_ATTEMPTS * 2, status=502)

    fake.press(AGENT, message, "Claim")
    update_id = fake.pending_updates[-1]
    event = await core.next_event(timeout=10)

    assert isinstance(event, Action)
    assert event.from_staff_room
    assert core.events == [event]
    assert len(fake.calls_of("getChatMember")) == LOOKUP_ATTEMPTS * 2 + 1
    # Held back while the look-up failed: no getUpdates went past it before.
    first_past = await fake.wait_for_call(
        "getUpdates", lambda call: int(call.params.get("offset", "0")) > update_id
    )
    assert first_past.index > fake.calls_of("getChatMember")[-1].index
    assert len(fake.calls_of("answerCallbackQuery")) == 1
