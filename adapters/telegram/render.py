"""Rich text -> Telegram HTML (parse mode "HTML").

Every span is escaped, whatever its style, so customer text can never become markup.
An '@' gets a WORD JOINER after it, so relayed text cannot mention (ping) anyone;
code spans are left alone because Telegram creates no mentions inside them.
"""

from __future__ import annotations

import html

from bot.contract import Rich, Span, Style

WORD_JOINER = "\u2060"

_TAGS = {Style.BOLD: "b", Style.ITALIC: "i", Style.CODE: "code"}


def neutralize_mentions(rich: Rich) -> Rich:
    """Break every '@name' apart; done before splitting so the length limit counts it."""
    return tuple(
        span if span.style is Style.CODE else Span(_break_at(span.text), span.style, span.url)
        for span in rich
    )


def to_html(rich: Rich) -> str:
    return "".join(_span_html(span) for span in rich)


def _break_at(text: str) -> str:
    return text.replace("@", "@" + WORD_JOINER)


def _span_html(span: Span) -> str:
    escaped = html.escape(span.text)
    if span.style is Style.LINK and span.url:
        return f'<a href="{html.escape(span.url, quote=True)}">{escaped}</a>'
    tag = _TAGS.get(span.style)
    return f"<{tag}>{escaped}</{tag}>" if tag else escaped
