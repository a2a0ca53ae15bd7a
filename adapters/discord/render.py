"""Rich text -> Discord message markdown.

Every span is escaped before its style is applied, so text can never become markup,
and mentions are neutralized with a zero-width space (`@\u200beveryone`). The adapter
also sends every message with `AllowedMentions.none()`: escaping alone keeps the text
readable, the allowed-mentions setting is what guarantees nobody is pinged.
"""

from __future__ import annotations

import re
from itertools import groupby
from urllib.parse import quote

import discord.utils

from bot.contract import Rich, Span, Style
from bot.text import fit_for_edit, split_rich

# A bracket not escaped yet (escape_markdown escapes one only where it starts a link).
_BRACKET = re.compile(r"(?<!\\)([\[\]])")
_WRAP = {Style.BOLD: "**", Style.ITALIC: "*", Style.CODE: "`"}


def escape(text: str) -> str:
    """Make `text` show literally: markdown escaped, @everyone/@here/<@id> broken."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def _escape_code(text: str) -> str:
    # Backslashes show literally inside inline code, so markdown escaping would garble
    # it; the only way out of a code span is a backtick, which is replaced.
    return discord.utils.escape_mentions(text.replace("`", "\u02cb"))


def render_span(span: Span) -> str:
    if span.style is Style.LINK and span.url:
        label = _BRACKET.sub(r"\\\1", escape(span.text))
        return f"[{label}]({_link_target(span.url)})"
    text = _escape_code(span.text) if span.style is Style.CODE else escape(span.text)
    wrap = _WRAP.get(span.style)
    core = text.strip()
    if wrap is None or not core:
        return text
    # Markdown ignores a marker next to whitespace ("** x**"), so spaces stay outside.
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{wrap}{core}{wrap}{trail}"


def _link_target(url: str) -> str:
    """A masked link's target, with what would end it (')', spaces, '<>') percent-encoded."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~")


def render(rich: Rich) -> str:
    # Neighbours in one style are joined first: "**a****b**" would not read as bold.
    joined = (
        Span("".join(s.text for s in run), style, url) for (style, url), run in groupby(rich, _look)
    )
    return "".join(render_span(span) for span in joined)


def _look(span: Span) -> tuple[Style, str | None]:
    return span.style, span.url


def render_messages(rich: Rich, limit: int) -> list[str]:
    """Render `rich` as messages of at most `limit` characters each, in order.

    Escaping lengthens text, so a piece that fits before rendering may not after; such
    a piece is cut again, shorter by the share it overflowed, and the rest of the text
    starts the next message.
    """
    messages: list[str] = []
    rest = rich
    while True:
        cut_at = limit
        while True:
            first, *others = split_rich(rest, cut_at)
            text = render(first)
            if len(text) <= limit or cut_at == 1:
                break
            cut_at = max(1, min(cut_at - 1, cut_at * limit // len(text)))
        messages.append(text)
        if not others:
            return messages
        rest = tuple(span for piece in others for span in piece)


def render_edit(rich: Rich, limit: int) -> str:
    """`rich` as the one message an edit replaces, cut by `bot.text.fit_for_edit` (marked
    with '…'); cut shorter still when escaping makes it outgrow `limit`."""
    budget = limit
    while True:
        text = render(fit_for_edit(rich, budget))
        if len(text) <= limit or budget == 1:
            return text
        budget = max(1, min(budget - 1, budget * limit // len(text)))
