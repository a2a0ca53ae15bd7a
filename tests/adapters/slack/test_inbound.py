"""Which Slack payloads mean what, and Slack's text as the words a person typed (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.inbound import (
    MalformedEvent,
    Rooms,
    Said,
    pressed,
    said_in_mention,
    said_in_message,
    to_plain,
)

ROOMS = Rooms(bot_user_id="UBOT", staff_channel="CSTAFF", support_channel="CSUP")


def message(**fields: Any) -> dict[str, Any]:
    event = {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1", "ts": "5.0"}
    event.update(fields)
    return event


def test_a_dm_is_a_customer_message() -> None:
    assert said_in_message(message(text="hi"), ROOMS) == Said(
        chat_id="D1",
        thread_id=None,
        user_id="U1",
        text="hi",
        message_id="5.0",
        reply_to=None,
        in_staff_room=False,
    )


def test_a_file_without_text_is_delivered_with_empty_text() -> None:
    said = said_in_message(message(subtype="file_share"), ROOMS)

    assert said is not None and said.text == ""


def test_a_threaded_dm_names_its_thread_and_what_it_replies_to() -> None:
    said = said_in_message(message(thread_ts="4.0", text="x"), ROOMS)

    assert said is not None and (said.thread_id, said.reply_to) == ("4.0", "4.0")


@pytest.mark.parametrize(
    "fields",
    [
        {"bot_id": "B2"},
        {"subtype": "bot_message"},
        {"subtype": "message_deleted"},
        {"channel": "C9", "channel_type": "channel"},
        {"channel": "CSUP", "channel_type": "channel"},
        {"channel_type": "mpim"},
    ],
)
def test_messages_the_bot_does_not_read(fields: dict[str, Any]) -> None:
    assert said_in_message(message(**fields), ROOMS) is None


def test_a_reply_in_a_staff_thread_may_be_an_agent() -> None:
    said = said_in_message(
        message(channel="CSTAFF", channel_type="channel", thread_ts="1.0", text="on it"), ROOMS
    )

    assert said is not None and said.in_staff_room
    assert (said.thread_id, said.reply_to) == ("1.0", "1.0")


def test_a_top_level_staff_message_has_no_thread() -> None:
    said = said_in_message(message(channel="CSTAFF", channel_type="channel", text="/queue"), ROOMS)

    assert said is not None and said.in_staff_room and said.thread_id is None


@pytest.mark.parametrize(
    "fields",
    [{"user": None}, {"ts": ""}, {"channel": 7}, {"text": ["x"]}, {"thread_ts": 1.5}],
)
def test_malformed_messages_raise(fields: dict[str, Any]) -> None:
    with pytest.raises(MalformedEvent):
        said_in_message(message(**fields), ROOMS)


def test_a_mention_starts_or_continues_a_thread_in_the_support_channel() -> None:
    mention = {"type": "app_mention", "channel": "CSUP", "user": "U1", "ts": "7.0"}

    started = said_in_mention({**mention, "text": "<@UBOT> help"}, ROOMS)
    continued = said_in_mention({**mention, "text": "more", "thread_ts": "6.0"}, ROOMS)

    assert started is not None and (started.thread_id, started.text) == ("7.0", "help")
    assert continued is not None and (continued.thread_id, continued.reply_to) == ("6.0", "6.0")


def test_mentions_outside_the_support_channel_or_without_one_are_ignored() -> None:
    mention = {"type": "app_mention", "channel": "CSUP", "user": "U1", "ts": "7.0", "text": "x"}

    assert said_in_mention({**mention, "channel": "COTHER"}, ROOMS) is None
    assert said_in_mention(mention, Rooms(bot_user_id="UBOT")) is None
    assert said_in_mention({**mention, "bot_id": "B1"}, ROOMS) is None


def block_actions(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "container": {"type": "message", "channel_id": "CSTAFF", "message_ts": "3.0"},
        "message": {"ts": "3.0", "thread_ts": "2.0"},
        "actions": [{"action_id": "sb:claim:0", "value": "claim:42"}],
    }
    body.update(fields)
    return body


def test_a_press_carries_the_message_its_thread_and_the_decoded_button() -> None:
    press = pressed(block_actions(), ROOMS)

    assert press is not None
    assert (press.chat_id, press.thread_id, press.message_id) == ("CSTAFF", "2.0", "3.0")
    assert (press.action_id, press.value, press.in_staff_room) == ("claim", "42", True)


def test_a_press_on_a_button_that_is_not_ours_is_ignored() -> None:
    assert pressed(block_actions(actions=[{"value": "plain"}]), ROOMS) is None


@pytest.mark.parametrize(
    "fields",
    [{"actions": []}, {"actions": "x"}, {"container": None}, {"user": {}}],
)
def test_malformed_presses_raise(fields: dict[str, Any]) -> None:
    with pytest.raises(MalformedEvent):
        pressed(block_actions(**fields), ROOMS)


def test_staff_text_reaches_the_core_as_typed() -> None:
    """ "!resolve" (Slack refuses slash commands in threads) is read by the core itself."""
    said = said_in_message(
        message(channel="CSTAFF", channel_type="channel", text="!resolve"), ROOMS
    )

    assert said is not None and said.text == "!resolve"


def test_customers_bang_text_is_left_alone() -> None:
    said = said_in_message(message(text="!resolve"), ROOMS)

    assert said is not None and said.text == "!resolve"


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        ("&amp;lt; stays literal", "&lt; stays literal"),
        ("hi <@U123>", "hi @U123"),
        ("hi <@U123|bob>", "hi @bob"),
        ("see <#C1|general>", "see #general"),
        ("<!here> <!channel> <!subteam^S1|@ops>", "@here @channel @ops"),
        ("<https://example.com>", "https://example.com"),
        ("<https://example.com|example.com>", "example.com"),
        ("<https://evil.example|your bank>", "your bank (https://evil.example)"),
        ("<mailto:a@b.io|a@b.io>", "a@b.io"),
        ("  padded  ", "padded"),
    ],
)
def test_to_plain(slack: str, plain: str) -> None:
    assert to_plain(slack) == plain


def test_mentions_of_the_bot_are_dropped() -> None:
    assert to_plain("<@UBOT> reset password", drop_user="UBOT") == "reset password"


def test_a_press_is_named_by_its_trigger_id() -> None:
    press = pressed(block_actions(trigger_id="13345.trigger"), ROOMS)

    assert press is not None and press.event_id == "13345.trigger"


def test_without_a_trigger_id_a_press_is_named_by_message_and_action_ts() -> None:
    actions = [{"action_id": "sb:claim:0", "value": "claim:42", "action_ts": "9.5"}]

    press = pressed(block_actions(actions=actions), ROOMS)

    assert press is not None and press.event_id == "3.0/9.5"
