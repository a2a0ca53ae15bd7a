from __future__ import annotations

import pytest

from adapters.discord import buttons
from adapters.discord.render import escape, render, render_messages, render_span
from bot.contract import Span, Style, plain


def test_markdown_in_customer_text_shows_literally() -> None:
    assert escape("**bold** _it_ ~~s~~ ||spoiler|| `code`") == (
        r"\*\*bold\*\* \_it\_ \~\~s\~\~ \|\|spoiler\|\| \`code\`"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("# Heading", r"\# Heading"),
        ("> quote", r"\> quote"),
        ("- item", r"\- item"),
        ("[click](https://evil.example)", r"\[click](https://evil.example)"),
        ("back\\slash", "back\\\\slash"),
    ],
)
def test_block_markup_and_masked_links_are_escaped(text: str, shown: str) -> None:
    assert escape(text) == shown


def test_everyone_here_and_user_and_role_mentions_are_broken() -> None:
    shown = escape("@everyone @here <@123456789012345678> <@&123456789012345678>")
    assert "@everyone" not in shown
    assert "@here" not in shown
    assert "<@1" not in shown
    assert "<@&1" not in shown
    assert shown.replace("\u200b", "") == (
        "@everyone @here <@123456789012345678> <@&123456789012345678>"
    )


def test_links_stay_usable() -> None:
    assert escape("see https://example.com/a_b_c") == "see https://example.com/a_b_c"


def test_styles_wrap_the_escaped_text_with_spaces_outside() -> None:
    rich = (Span("Ticket ", Style.BOLD), Span("*x*"), Span(" note ", Style.ITALIC))
    assert render(rich) == r"**Ticket** \*x\* *note* "


def test_neighbouring_spans_in_one_style_are_one_run() -> None:
    rich = (Span("Ticket #", Style.BOLD), Span("1", Style.BOLD), Span(": "), Span("x"))
    assert render(rich) == "**Ticket #1**: x"


def test_code_cannot_be_left_by_a_backtick() -> None:
    shown = render_span(Span("a`b @everyone", Style.CODE))
    assert shown.startswith("`") and shown.endswith("`")
    assert shown[1:-1].count("`") == 0
    assert "@everyone" not in shown


def test_blank_styled_span_gets_no_markers() -> None:
    assert render((Span("  ", Style.BOLD),)) == "  "


def test_bold_customer_name_cannot_close_the_bold_early() -> None:
    assert render((Span("**evil** @here", Style.BOLD),)) == "**\\*\\*evil\\*\\* @\u200bhere**"


def test_long_text_becomes_messages_within_the_limit_in_order() -> None:
    words = " ".join(f"w{i}" for i in range(1500))
    messages = render_messages(plain(words), 2000)
    assert len(messages) > 1
    assert all(len(m) <= 2000 for m in messages)
    assert " ".join(m.strip() for m in messages) == words


def test_escaping_that_outgrows_the_limit_is_cut_again() -> None:
    messages = render_messages(plain("*" * 2000), 2000)
    assert all(len(m) <= 2000 for m in messages)
    assert "".join(messages) == "\\*" * 2000
    assert len(messages) == 2


def test_escaped_text_is_cut_into_few_messages() -> None:
    text = "word *bold* @everyone " * 2000  # 44,000 characters, about 50,000 rendered
    messages = render_messages(plain(text), 2000)
    assert all(len(m) <= 2000 for m in messages)
    assert len(messages) <= sum(len(m) for m in messages) // 1800 + 1


def test_empty_text_is_one_empty_message() -> None:
    assert render_messages((), 2000) == [""]


def test_custom_id_round_trip() -> None:
    encoded = buttons.encode("rate", "5")
    assert encoded == "sb:rate:5"
    assert buttons.decode(encoded) == ("rate", "5")
    assert buttons.decode("sb:human:") == ("human", "")


def test_foreign_custom_ids_are_not_ours() -> None:
    assert buttons.decode("other:claim:1") is None
    assert buttons.decode("sb:Claim:1") is None


@pytest.mark.parametrize(("action", "value"), [("claim", "a:b"), ("claim", "x" * 100), ("A", "")])
def test_unencodable_buttons_are_refused(action: str, value: str) -> None:
    with pytest.raises(ValueError, match="custom_id"):
        buttons.encode(action, value)
