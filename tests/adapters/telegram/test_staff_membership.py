"""The staff-group membership check and its one-minute cache."""

from __future__ import annotations

import pytest
from telegram.error import NetworkError

from adapters.telegram.staff import StaffMembership


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
