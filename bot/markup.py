"""Agents' formatting -> the core's styled spans, per platform dialect.

An agent writes in their platform's markup: Slack mrkdwn (`*bold*`, `_italic_`,
`<https://x|label>`), Discord markdown (`**bold**`, `*italic*`, `[label](https://x)`),
or Telegram, whose entities the adapter hands over as MarkdownV2
(`Inbound.formatted`). `parse` turns any of them into `Rich`, which every adapter
renders natively, so formatting written on one platform shows on another.

Only agents' words are parsed: customer text is never markup (it stays one plain span).
Bold, italics, inline and block code, links (http, https, mailto only) and bulleted
list lines carry over; strike-through, underline and spoilers keep their text without
the style. Spans do not nest: inside bold italics, the innermost style wins.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.contract import Rich, Span, Style
from bot.text import strip_controls

SAFE_SCHEMES = ("http://", "https://", "mailto:")
BULLET = "• "


@dataclass(frozen=True)
class Dialect:
    # Paired markers, longest first: marker -> style (None: keep the text, drop the style).
    pairs: tuple[tuple[str, Style | None], ...]
    # Links: a pattern with named groups `url` and (optionally) `label`.
    link: re.Pattern[str]
    # Characters a backslash makes literal ("" for none).
    escapes: str = ""
    # Markers count only at word edges (so snake_case and 2*3*4 stay as written).
    word_edges: bool = True
    # Slack escapes &, <, > in message text.
    entities: bool = False
    # MarkdownV2 escapes with a backslash inside code and link targets too.
    escapes_everywhere: bool = False


_SLACK = Dialect(
    pairs=(("*", Style.BOLD), ("_", Style.ITALIC), ("~", None)),
    link=re.compile(r"<(?P<url>[^<>|\s]+)(?:\|(?P<label>[^<>]*))?>"),
    entities=True,
)
_DISCORD = Dialect(
    pairs=(
        ("***", Style.BOLD),
        ("**", Style.BOLD),
        ("__", None),
        ("~~", None),
        ("||", None),
        ("*", Style.ITALIC),
        ("_", Style.ITALIC),
    ),
    link=re.compile(
        r"\[(?P<label>[^\[\]]+)\]\(<?(?P<url>[^()\s<>]+)>?\)|<(?P<auto>https?://[^<>\s]+)>"
    ),
    escapes="\\*_~`|[]()<>#-.!>",
)
_TELEGRAM = Dialect(
    pairs=(
        ("*", Style.BOLD),
        ("__", None),
        ("_", Style.ITALIC),
        ("~", None),
        ("||", None),
    ),
    # Bounded, with no unescaped "[" in a label nor "[" or space in a target, so that a
    # run of "[a](" costs linear time, not quadratic.
    link=re.compile(
        r"\[(?P<label>(?:\\.|[^\[\]\\]){1,1000})\]\((?P<url>(?:\\.|[^)\[\\\s]){1,2048})\)"
    ),
    escapes="_*[]()~`>#+-=|{}.!\\",
    word_edges=False,
    escapes_everywhere=True,
)
DIALECTS = {"slack": _SLACK, "discord": _DISCORD, "telegram": _TELEGRAM}

_LIST_ITEM = re.compile(r"[-*•]\s+")
_FENCE_LANGUAGE = re.compile(r"[A-Za-z0-9_+-]*\n")
_BACKSLASHED = re.compile(r"\\(.)")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def parse(text: str, platform: str) -> Rich:
    """`text` in `platform`'s markup as spans; a platform without a dialect: one plain span."""
    dialect = DIALECTS.get(platform)
    if dialect is None:
        return (Span(text),) if text else ()
    return _merge(_Parser(dialect, text).spans(0, len(text), Style.PLAIN))


def tail(rich: Rich, start: int) -> Rich:
    """`rich` without its first `start` characters (a command word before the argument)."""
    kept: list[Span] = []
    for span in rich:
        if start >= len(span.text):
            start -= len(span.text)
            continue
        kept.append(Span(span.text[start:], span.style, span.url))
        start = 0
    return tuple(kept)


def cleaned(rich: Rich) -> Rich:
    """`rich` as the core keeps what people write (bot/text.py's `clean_text`, span by
    span): no control characters, NFC, no blank space at either end."""
    spans = [
        Span(unicodedata.normalize("NFC", strip_controls(s.text)), s.style, s.url) for s in rich
    ]
    while spans and not spans[0].text.strip():
        spans.pop(0)
    while spans and not spans[-1].text.strip():
        spans.pop()
    if spans:
        first, last = spans[0], spans[-1]
        spans[0] = Span(first.text.lstrip(), first.style, first.url)
        last = spans[-1]
        spans[-1] = Span(last.text.rstrip(), last.style, last.url)
    return _merge(spans)


def splice(template: Rich, marker: str, words: Rich) -> Rich:
    """`template` (rendered with `marker` as a value) with `words` in the marker's place."""
    spliced: list[Span] = []
    for span in template:
        if span.text == marker:
            spliced.extend(words)
        else:
            spliced.append(span)
    return tuple(spliced)


class _Parser:
    def __init__(self, dialect: Dialect, text: str) -> None:
        self.d = dialect
        self.text = text
        # (marker, end) -> the first opening that found no closing marker before `end`:
        # no later opening can find one either, so each marker is scanned for once
        # (without this, "*a *a *a …" costs quadratic time).
        self._unclosed: dict[tuple[str, int], int] = {}

    def spans(self, start: int, end: int, style: Style) -> list[Span]:
        out: list[Span] = []
        literal: list[str] = []
        i = start
        text = self.text

        def flush() -> None:
            if literal:
                out.append(Span(self._plain("".join(literal)), style))
                literal.clear()

        while i < end:
            ch = text[i]
            if ch == "\\" and self.d.escapes and i + 1 < end and text[i + 1] in self.d.escapes:
                literal.append(text[i + 1])
                i += 2
                continue
            if (i == start or text[i - 1] == "\n") and (item := _LIST_ITEM.match(text, i, end)):
                literal.append(BULLET)
                i = item.end()
                continue
            if ch == "`":
                found = self._code(i, end)
                if found is not None:
                    flush()
                    code, i = found
                    out.append(Span(code, Style.CODE))
                    continue
            link = self.d.link.match(text, i, end)
            if link is not None:
                flush()
                out.extend(self._link(link))
                i = link.end()
                continue
            paired = self._paired(i, end)
            if paired is not None:
                marker, inner, after = paired
                flush()
                inner_style = inner if inner is not None else style
                for span in self.spans(i + len(marker), after - len(marker), inner_style):
                    out.append(span)
                i = after
                continue
            literal.append(ch)
            i += 1
        flush()
        return out

    def _plain(self, text: str) -> str:
        if self.d.entities:
            for escaped, char in _ENTITIES:
                text = text.replace(escaped, char)
        return text

    def _code(self, i: int, end: int) -> tuple[str, int] | None:
        text = self.text
        fence = "```" if text.startswith("```", i) else "`"
        close = text.find(fence, i + len(fence), end)
        if close == -1 or close == i + len(fence):
            return None
        body = text[i + len(fence) : close]
        language = _FENCE_LANGUAGE.match(body) if fence == "```" else None
        if language is not None:
            body = body[language.end() :]  # a language tag on the fence's line
        if self.d.escapes_everywhere:
            body = _BACKSLASHED.sub(r"\1", body)
        return self._plain(body), close + len(fence)

    def _link(self, match: re.Match[str]) -> list[Span]:
        groups = match.groupdict()
        url = groups.get("url") or groups.get("auto") or ""
        label = groups.get("label")
        if self.d.escapes_everywhere:
            url = _BACKSLASHED.sub(r"\1", url)
            label = _BACKSLASHED.sub(r"\1", label) if label else label
        url = self._plain(url)
        shown = self._plain(label) if label else url
        if not url.lower().startswith(SAFE_SCHEMES):
            # A mention (<@U1>), a channel (<#C1|name>) or a scheme nobody should click.
            return [Span(shown if label else _mention_text(url))]
        return [Span(shown, Style.LINK, url)]

    def _paired(self, i: int, end: int) -> tuple[str, Style | None, int] | None:
        """(marker, style, index after the closing marker) when a pair opens at `i`."""
        text = self.text
        for marker, style in self.d.pairs:
            if not text.startswith(marker, i) or not self._opens(i, len(marker), end):
                continue
            if self._unclosed.get((marker, end), end) <= i:
                return None
            close = i + len(marker)
            while (close := text.find(marker, close + 1, end)) != -1:
                if self._closes(close, len(marker), end) and text[close - 1] != "\\":
                    return marker, style, close + len(marker)
            self._unclosed[(marker, end)] = i
            return None
        return None

    def _opens(self, i: int, size: int, end: int) -> bool:
        after = i + size
        if after >= end or self.text[after].isspace():
            return False
        return not self.d.word_edges or i == 0 or not self.text[i - 1].isalnum()

    def _closes(self, i: int, size: int, end: int) -> bool:
        if self.text[i - 1].isspace():
            return False
        after = i + size
        return not self.d.word_edges or after >= end or not self.text[after].isalnum()


def _mention_text(target: str) -> str:
    """Slack's <@U1>, <#C1|general>, <!here> as readable text (adapters neutralize '@')."""
    name = target.split("|", 1)[-1]
    return "@" + name.lstrip("@!#") if target[:1] in "@!" else name


def _merge(spans: list[Span]) -> Rich:
    merged: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        last = merged[-1] if merged else None
        if last is not None and (last.style, last.url) == (span.style, span.url):
            merged[-1] = Span(last.text + span.text, span.style, span.url)
        else:
            merged.append(span)
    return tuple(merged)
