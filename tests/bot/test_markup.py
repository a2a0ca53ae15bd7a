"""Agents' markup per platform -> styled spans, and the helpers around it."""

from __future__ import annotations

import time

import pytest

from bot.contract import Span, Style
from bot.markup import cleaned, parse, splice, tail

B, IT, C = Style.BOLD, Style.ITALIC, Style.CODE


def link(label: str, url: str) -> Span:
    return Span(label, Style.LINK, url)


def test_slack_mrkdwn() -> None:
    assert parse("*checking* your order `ORD-1` now", "slack") == (
        Span("checking", B),
        Span(" your order "),
        Span("ORD-1", C),
        Span(" now"),
    )
    assert parse("_soon_ see <https://x.io/a?b=1&amp;c=2|the page> &lt;3", "slack") == (
        Span("soon", IT),
        Span(" see "),
        link("the page", "https://x.io/a?b=1&c=2"),
        Span(" <3"),
    )


def test_slack_keeps_words_that_only_look_like_markup() -> None:
    assert parse("2*3*4 snake_case_name a * b * c ~gone~", "slack") == (
        Span("2*3*4 snake_case_name a * b * c gone"),
    )


def test_slack_mentions_and_broadcasts_become_plain_text() -> None:
    assert parse("ask <@U123> or <!here>, see <#C1|general>", "slack") == (
        Span("ask @U123 or @here, see general"),
    )


def test_discord_markdown() -> None:
    assert parse("**bold** *it* _it2_ `code` [label](https://e.com) \\*lit\\*", "discord") == (
        Span("bold", B),
        Span(" "),
        Span("it", IT),
        Span(" "),
        Span("it2", IT),
        Span(" "),
        Span("code", C),
        Span(" "),
        link("label", "https://e.com"),
        Span(" *lit*"),
    )
    assert parse("```py\nprint(1)\n```", "discord") == (Span("print(1)\n", C),)


def test_telegram_markdown_v2_as_the_adapter_hands_it_over() -> None:
    text = "*bold* _it_ `ORD-1` \\!resolve [x](https://e.com/a\\)b) fine\\."
    assert parse(text, "telegram") == (
        Span("bold", B),
        Span(" "),
        Span("it", IT),
        Span(" "),
        Span("ORD-1", C),
        Span(" !resolve "),
        link("x", "https://e.com/a)b"),
        Span(" fine."),
    )


@pytest.mark.parametrize("platform", ["slack", "discord", "telegram"])
def test_only_safe_link_schemes_become_links(platform: str) -> None:
    written = {
        "slack": "<javascript:alert(1)|click>",
        "discord": "[click](javascript:alert(1))",
        "telegram": "[click](javascript:alert\\(1\\))",
    }[platform]
    spans = parse(written, platform)
    assert all(span.style is not Style.LINK for span in spans)
    assert "click" in "".join(span.text for span in spans)


def test_list_lines_become_bullets() -> None:
    assert parse("Steps:\n- one\n* two\n• three", "slack") == (
        Span("Steps:\n• one\n• two\n• three"),
    )


def test_a_platform_without_a_dialect_is_plain() -> None:
    assert parse("*not bold*", "console") == (Span("*not bold*"),)


def test_tail_cleaned_and_splice() -> None:
    words = parse("!reply  *hi* there ", "slack")
    assert cleaned(tail(words, len("!reply"))) == (Span("hi", B), Span(" there"))
    assert cleaned((Span(" \x07a\u0301"), Span(" ", B))) == (Span("á"),)
    signed = splice((Span("Alex", B), Span(": "), Span("@@")), "@@", (Span("x", C),))
    assert signed == (Span("Alex", B), Span(": "), Span("x", C))


@pytest.mark.parametrize("platform", ["slack", "discord", "telegram"])
@pytest.mark.parametrize("unit", ["*a ", "`a ", "[a](", "[a](b", "**a_ ", "<a|"])
def test_hostile_runs_of_markers_parse_in_linear_time(platform: str, unit: str) -> None:
    """40,000 characters (beyond any platform's message) that open and never close: these
    took up to 18 s with naive scanning; now tens of milliseconds."""
    text = (unit * (40_000 // len(unit)))[:40_000]
    started = time.perf_counter()
    spans = parse(text, platform)
    assert time.perf_counter() - started < 2.0
    assert len("".join(span.text for span in spans)) <= len(text)
