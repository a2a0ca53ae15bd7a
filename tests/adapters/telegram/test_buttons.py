"""Buttons <-> inline keyboards and 64-byte callback data."""

from __future__ import annotations

import pytest

from adapters.telegram.buttons import decode_callback, encode_callback, inline_keyboard
from bot.contract import Button


def test_callback_data_round_trips() -> None:
    data = encode_callback(Button("Yes", "helpful", "faq:order-status"))

    assert data == "helpful:faq:order-status"
    assert decode_callback(data) == ("helpful", "faq:order-status")
    assert decode_callback("claim:") == ("claim", "")


@pytest.mark.parametrize("data", [None, "", "no-separator", ":value-only"])
def test_foreign_callback_data_is_not_ours(data: str | None) -> None:
    assert decode_callback(data) is None


def test_callback_data_is_limited_to_64_bytes() -> None:
    assert len(encode_callback(Button("x", "a", "b" * 62))) == 64
    with pytest.raises(ValueError, match="64 bytes"):
        encode_callback(Button("x", "a", "é" * 32))


def test_short_buttons_share_a_row_long_ones_get_their_own() -> None:
    rating = [Button(str(n), "rate", str(n)) for n in range(1, 6)]
    suggestions = [
        Button("How do I track my order?", "faq", "order-status"),
        Button("Can I change my delivery address?", "faq", "address"),
        Button("Talk to a person", "human"),
    ]

    rating_rows = inline_keyboard(rating)
    suggestion_rows = inline_keyboard(suggestions)

    assert rating_rows is not None
    assert suggestion_rows is not None
    assert [[b.text for b in row] for row in rating_rows.inline_keyboard] == [
        ["1", "2", "3", "4", "5"]
    ]
    assert [len(row) for row in suggestion_rows.inline_keyboard] == [1, 1, 1]
    assert suggestion_rows.inline_keyboard[2][0].callback_data == "human:"
    assert inline_keyboard([]) is None


def test_yes_no_share_a_row() -> None:
    markup = inline_keyboard(
        [Button("Yes, thanks", "helpful", "x"), Button("Not really", "unhelpful", "x")]
    )

    assert markup is not None
    assert len(markup.inline_keyboard) == 1
