"""Rich text and buttons -> a Slack message (top-level `text` plus Block Kit `blocks`).

The body is a `rich_text` block. Its text elements are literal: Slack parses no mrkdwn,
no `<!channel>`, `<@U…>` or `<http://…|…>` inside them, and styles are flags on the
element rather than `*`/`_`/`~` characters (a link is a `link` element). So a span can
hold any character and still shows exactly as written, and a stray `*` can never break
(or create) formatting.

The top-level `text` is what notifications and old clients show, and Slack reads it as
mrkdwn: there every span is escaped (`&`, `<`, `>`), which turns any mention, broadcast
or link syntax into plain text. It carries no styles, so no markup character matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.slack.buttons import block_action_id, encode_value
from bot.contract import Button, Rich, Span, Style

Block = dict[str, Any]

MAX_BUTTON_LABEL = 75
MAX_ACTIONS_PER_BLOCK = 25

_STYLE_FLAGS: dict[Style, dict[str, bool]] = {
    Style.PLAIN: {},
    Style.BOLD: {"bold": True},
    Style.ITALIC: {"italic": True},
    Style.CODE: {"code": True},
    Style.LINK: {},
}


@dataclass(frozen=True)
class SlackMessage:
    text: str
    blocks: list[Block]


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fallback_text(rich: Rich) -> str:
    return "".join(_fallback_span(span) for span in rich)


def _fallback_span(span: Span) -> str:
    """A link as Slack's `<url|label>` (the first '|' ends the url; '>' is escaped)."""
    text = escape_mrkdwn(span.text)
    if span.style is Style.LINK and span.url:
        return f"<{escape_mrkdwn(span.url).replace('|', '%7C')}|{text}>"
    return text


def rich_text_block(rich: Rich) -> Block | None:
    """The body as one `rich_text` section; None when there is no text at all."""
    elements: list[Block] = []
    for span in rich:
        if not span.text:
            continue
        element: Block = {"type": "text", "text": span.text}
        if span.style is Style.LINK and span.url:
            element = {"type": "link", "url": span.url, "text": span.text}
        flags = _STYLE_FLAGS[span.style]
        if flags:
            element["style"] = dict(flags)
        elements.append(element)
    if not elements:
        return None
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": elements}],
    }


def button_label(label: str) -> str:
    if len(label) <= MAX_BUTTON_LABEL:
        return label
    return label[: MAX_BUTTON_LABEL - 1] + "…"


def action_blocks(buttons: tuple[Button, ...]) -> list[Block]:
    """One `actions` block per 25 buttons (Slack's limit per block)."""
    elements = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": button_label(button.label), "emoji": True},
            "action_id": block_action_id(button, index),
            "value": encode_value(button),
        }
        for index, button in enumerate(buttons)
    ]
    return [
        {"type": "actions", "elements": elements[start : start + MAX_ACTIONS_PER_BLOCK]}
        for start in range(0, len(elements), MAX_ACTIONS_PER_BLOCK)
    ]


def render_message(rich: Rich, buttons: tuple[Button, ...] = ()) -> SlackMessage:
    blocks: list[Block] = []
    body = rich_text_block(rich)
    if body is not None:
        blocks.append(body)
    blocks.extend(action_blocks(buttons))
    return SlackMessage(text=fallback_text(rich), blocks=blocks)
