"""Rich -> Telegram HTML: escaping, styles, mentions (checked with Telegram's own rules)."""

from __future__ import annotations

import pytest

from adapters.telegram.render import WORD_JOINER, neutralize_mentions, to_html
from bot.contract import Span, Style, plain
from tests.fakes.telegram_api import parse_html


def _shown(rich: tuple[Span, ...]) -> tuple[str, list[str]]:
    text, entities = parse_html(to_html(neutralize_mentions(rich)))
    return text, [entity["type"] for entity in entities]


def test_styles_become_tags() -> None:
    rich = (Span("a"), Span("b", Style.BOLD), Span("c", Style.ITALIC), Span("d", Style.CODE))

    assert to_html(rich) == "a<b>b</b><i>c</i><code>d</code>"


@pytest.mark.parametrize(
    "hostile",
    [
        "<b>bold?</b>",
        '<a href="tg://user?id=1">click</a>',
        "</code><script>x</script>",
        "&amp; &lt; &#60; &nbsp;",
        "5 < 6 > 4 & \"quotes\" 'single'",
    ],
)
@pytest.mark.parametrize("style", list(Style))
def test_customer_text_shows_as_written_in_every_style(hostile: str, style: Style) -> None:
    text, kinds = _shown((Span(hostile, style),))

    assert text == hostile
    assert "text_link" not in kinds
    assert "text_mention" not in kinds


@pytest.mark.parametrize("style", [Style.PLAIN, Style.BOLD, Style.ITALIC])
def test_mentions_are_broken_outside_code(style: Style) -> None:
    text, kinds = _shown((Span("hey @everyone and @support_team, mail a@b.example", style),))

    assert "mention" not in kinds
    assert text == (
        f"hey @{WORD_JOINER}everyone and @{WORD_JOINER}support_team, mail a@{WORD_JOINER}b.example"
    )


def test_code_is_left_as_is() -> None:
    assert neutralize_mentions((Span("@admin", Style.CODE),)) == (Span("@admin", Style.CODE),)


def test_neutralizing_keeps_spans_and_styles() -> None:
    rich = (Span("x@y", Style.BOLD), Span("z"))

    assert neutralize_mentions(rich) == (Span(f"x@{WORD_JOINER}y", Style.BOLD), Span("z"))
    assert neutralize_mentions(plain("")) == plain("")
