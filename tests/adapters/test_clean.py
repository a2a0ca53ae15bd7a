"""Platform-provided strings cleaned at the adapter boundary (adapters.common)."""

from __future__ import annotations

import logging
import sys
import unicodedata

import pytest

from adapters.common import (
    _SUSPECT_IN_TEXT,
    ID_LIMIT,
    NAME_LIMIT,
    TEXT_LIMIT,
    clean,
    clean_event,
    hand_over,
)
from bot.contract import Action, Event, Inbound, Sender

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"  # 🏳️‍🌈
CODER = "\U0001f469\U0001f3fd\u200d\U0001f4bb"  # 👩🏽‍💻
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
PERSIAN = "می\u200cخواهم سفارشم را پس بدهم"  # ZWNJ inside "می‌خواهم"


@pytest.mark.parametrize(
    "kept",
    [
        "Ann Lee",
        FAMILY,
        RAINBOW_FLAG,
        CODER,
        SCOTLAND,
        PERSIAN,
        "नमस्ते क्‍ष",  # Devanagari with a ZWJ between letters
        "Zoë 李小龍 \U0001fae8",  # U+1FAE8 is newer than some Python versions' tables
        "\ue000 private use",
    ],
)
def test_names_and_scripts_pass_unchanged(kept: str) -> None:
    assert clean(kept, NAME_LIMIT) == kept
    assert clean(kept, TEXT_LIMIT, lines=True) == kept


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Ann\u202e gnp.exe", "Ann gnp.exe"),  # right-to-left override
        ("\u2067Eve\u2069 \u202aLRE\u202c", "Eve LRE"),  # isolates, embeddings
        ("a\x1b[31mred\x07\x7f\x9b", "a[31mred"),  # ESC, BEL, DEL, C1 CSI
        ("zero\u200bwidth\ufeff\u2060 \u00adsoft", "zerowidth soft"),
        ("ad\u200dmin", "admin"),  # a joiner between ASCII letters means nothing
        ("\u200d\u200cstray\u200d", "stray"),
        (FAMILY + "\u200d", FAMILY),
        ("x\U000e0067\U000e007f", "x"),  # tags without a black flag
        ("nul\x00byte", "nul\ufffdbyte"),
        ("lone\ud800surrogate\udfff", "lone\ufffdsurrogate\ufffd"),
        ("pair \ud83d\ude00", "pair \U0001f600"),
        ("two\nlines\tand\r tab\u2028", "two lines and tab "),
    ],
)
def test_names_lose_what_could_spoof_hide_or_break(raw: str, cleaned: str) -> None:
    assert clean(raw, NAME_LIMIT) == cleaned


def test_text_keeps_its_lines_and_tabs() -> None:
    assert clean("one\r\ntwo\tthree\u2029four\x00", TEXT_LIMIT, lines=True) == (
        "one\ntwo\tthree\nfour\ufffd"
    )


def test_a_cut_keeps_character_sequences_whole() -> None:
    assert clean("x" * 150, NAME_LIMIT) == "x" * 99 + "…"
    assert clean("a" * 97 + CODER, NAME_LIMIT) == "a" * 97 + "…"
    assert clean("a" * 95 + CODER + "bc", NAME_LIMIT) == "a" * 95 + CODER + "…"
    assert clean("e\u0301" * 60, NAME_LIMIT) == "e\u0301" * 49 + "…"
    flagged = "a" * 95 + SCOTLAND
    assert clean(flagged, NAME_LIMIT) == "a" * 95 + "…"
    assert len(clean("9" * 500, ID_LIMIT)) == ID_LIMIT


def test_the_quick_check_knows_every_character_cleaning_changes() -> None:
    """Text without a match of the pattern is passed through as it is: the pattern
    must cover every control, format, surrogate and separator character."""
    kinds = ("Cc", "Cf", "Cs", "Zl", "Zp")
    missed = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in kinds
        and chr(code) not in "\n\t"
        and _SUSPECT_IN_TEXT.search(chr(code)) is None
    ]
    assert missed == []


def test_every_string_of_an_event_is_cleaned() -> None:
    sender = Sender("u\x001", "\u202eEve\x1b", "de\u200b")
    inbound = Inbound(
        "telegram", "c\u200b1", "t\x002", sender, "hi\ud800", "m" * 80, reply_to="r\u202e"
    )
    cleaned = clean_event(inbound)
    assert cleaned == Inbound(
        "telegram",
        "c1",
        "t\ufffd2",
        Sender("u\ufffd1", "Eve", "de"),
        "hi\ufffd",
        "m" * 63 + "…",
        reply_to="r",
    )
    action = Action("slack", "c", None, sender, "claim\x07", "7\u2066", "m", event_id="e\x00")
    assert clean_event(action) == Action(
        "slack", "c", None, Sender("u\ufffd1", "Eve", "de"), "claim", "7", "m", event_id="e\ufffd"
    )


def test_a_name_of_only_invisible_characters_becomes_the_user_id() -> None:
    event = Inbound("discord", "c", None, Sender("42", "\u200b\u202e "), "hi", "m")
    assert clean_event(event).sender.display_name == "42"


class Keeper:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        self.events.append(event)


async def test_hand_over_gives_the_core_the_cleaned_event() -> None:
    core = Keeper()
    event = Inbound("slack", "C1", None, Sender("U1", "Mallory\u202e"), "hello\x1b[2J", "1.2")
    assert await hand_over(core, event, logging.getLogger("test"))
    assert core.events == [clean_event(event)]
    assert core.events[0].sender.display_name == "Mallory"
