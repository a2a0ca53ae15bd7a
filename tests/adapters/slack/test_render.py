"""Rich -> Slack message: escaping, styles, buttons (pure functions)."""

from __future__ import annotations

from adapters.slack.buttons import decode_value
from adapters.slack.render import (
    MAX_ACTIONS_PER_BLOCK,
    MAX_BUTTON_LABEL,
    escape_mrkdwn,
    fallback_text,
    render_message,
    rich_text_block,
)
from bot.contract import Button, Span, Style, plain


def test_escape_mrkdwn_neutralizes_mentions_broadcasts_and_links() -> None:
    assert escape_mrkdwn("<!channel> <!here> <@U1> <#C1> <https://x.io|y> a&b") == (
        "&lt;!channel&gt; &lt;!here&gt; &lt;@U1&gt; &lt;#C1&gt; &lt;https://x.io|y&gt; a&amp;b"
    )


def test_escape_mrkdwn_escapes_an_already_escaped_entity_again() -> None:
    assert escape_mrkdwn("&lt;!channel&gt;") == "&amp;lt;!channel&amp;gt;"


def test_fallback_escapes_every_span_and_carries_no_markup() -> None:
    rich = (Span("<b>", Style.BOLD), Span(" & "), Span("*x*", Style.ITALIC))

    assert fallback_text(rich) == "&lt;b&gt; &amp; *x*"


def test_rich_text_keeps_span_text_literal_and_styles_as_flags() -> None:
    rich = (
        Span("Hi "),
        Span("*Bob*_", Style.BOLD),
        Span("", Style.ITALIC),
        Span("~it~", Style.ITALIC),
        Span("a<b", Style.CODE),
    )

    assert rich_text_block(rich) == {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Hi "},
                    {"type": "text", "text": "*Bob*_", "style": {"bold": True}},
                    {"type": "text", "text": "~it~", "style": {"italic": True}},
                    {"type": "text", "text": "a<b", "style": {"code": True}},
                ],
            }
        ],
    }


def test_no_text_means_no_rich_text_block() -> None:
    message = render_message((Span(""),), (Button("OK", "ok"),))

    assert [b["type"] for b in message.blocks] == ["actions"]


def test_buttons_round_trip_through_their_value() -> None:
    message = render_message(
        plain("Rate us"), tuple(Button(str(n), "csat", f"t9:{n}") for n in range(1, 6))
    )

    (actions,) = [b for b in message.blocks if b["type"] == "actions"]
    ids = [e["action_id"] for e in actions["elements"]]
    assert len(set(ids)) == 5 and all(i.startswith("sb:csat:") for i in ids)
    assert [decode_value(e["value"]) for e in actions["elements"]] == [
        ("csat", f"t9:{n}") for n in range(1, 6)
    ]


def test_long_labels_are_cut_and_many_buttons_use_several_blocks() -> None:
    buttons = tuple(Button("L" * 100, "pick", str(i)) for i in range(MAX_ACTIONS_PER_BLOCK + 2))

    blocks = render_message(plain("pick one"), buttons).blocks[1:]

    assert [len(b["elements"]) for b in blocks] == [MAX_ACTIONS_PER_BLOCK, 2]
    label = blocks[0]["elements"][0]["text"]["text"]
    assert len(label) == MAX_BUTTON_LABEL and label.endswith("…")
    assert blocks[1]["elements"][1]["action_id"] == f"sb:pick:{MAX_ACTIONS_PER_BLOCK + 1}"


def test_decode_value_refuses_values_that_are_not_ours() -> None:
    assert decode_value("no-separator") is None
    assert decode_value(":value-without-action") is None
    assert decode_value("claim:") == ("claim", "")
