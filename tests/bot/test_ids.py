"""Numbers from platform input: ASCII digits within the column's range, or nothing."""

from __future__ import annotations

import pytest

from bot.ids import MAX_ID, parse_id, parse_rating


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0",
        "-1",
        "+1",
        " 1",
        "1_000",
        "²",
        "٣",
        "1.0",
        "99999999999999999999999999",
        str(MAX_ID + 1),
    ],
)
def test_ids_refused(raw: str) -> None:
    assert parse_id(raw) is None


def test_ids_accepted() -> None:
    assert parse_id("1") == 1
    assert parse_id(str(MAX_ID)) == MAX_ID


@pytest.mark.parametrize("raw", ["0", "6", "²", "３", "-3", "3.0", "33"])
def test_ratings_refused(raw: str) -> None:
    assert parse_rating(raw) is None


def test_ratings_accepted() -> None:
    assert [parse_rating(r) for r in ("1", " 3 ", "5")] == [1, 3, 5]
