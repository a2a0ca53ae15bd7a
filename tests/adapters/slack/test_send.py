"""Sending and editing: the real AsyncWebClient against the fake Slack Web API."""

from __future__ import annotations

import pytest

from adapters.slack import SlackAdapter
from bot.contract import (
    Address,
    Button,
    DeliveryError,
    Outbound,
    SentRef,
    Span,
    Style,
    plain,
)
from tests.adapters.slack.conftest import DM, STAFF, STAFF_CHANNEL, RecordingCore, slack_section
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack, rich_text_elements
from tests.fakes.unreachable import free_port

TO_CUSTOMER = Address("slack", DM)


async def test_customer_text_is_escaped_and_styles_are_block_kit_flags(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    text = (
        Span("Agent "),
        Span("Alex", Style.BOLD),
        Span(": <!channel> <@U1> <https://evil.example|click> & *not bold* _x_ ~y~"),
        Span("code", Style.CODE),
    )
    ref = await adapter.send(Outbound(to=TO_CUSTOMER, text=text))

    call = await fake.wait_for_call("chat.postMessage")
    assert call.token == BOT_TOKEN
    assert call.args["channel"] == DM
    assert "thread_ts" not in call.args
    assert call.args["text"] == (
        "Agent Alex: &lt;!channel&gt; &lt;@U1&gt; &lt;https://evil.example|click&gt; "
        "&amp; *not bold* _x_ ~y~code"
    )
    assert "<" not in call.args["text"]
    assert rich_text_elements(call) == [
        {"type": "text", "text": "Agent "},
        {"type": "text", "text": "Alex", "style": {"bold": True}},
        {
            "type": "text",
            "text": ": <!channel> <@U1> <https://evil.example|click> & *not bold* _x_ ~y~",
        },
        {"type": "text", "text": "code", "style": {"code": True}},
    ]
    assert call.args["unfurl_links"] is False and call.args["unfurl_media"] is False
    assert ref == SentRef("slack", DM, ref.message_id, None)
    assert (DM, ref.message_id) in fake.messages


async def test_buttons_become_an_actions_block_with_unique_action_ids(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    buttons = (Button("Yes", "faq_helpful", "e1"), Button("No", "faq_helpful", "e1:no"))
    await adapter.send(Outbound(to=TO_CUSTOMER, text=plain("Did this help?"), buttons=buttons))

    call = await fake.wait_for_call("chat.postMessage")
    actions = [b for b in call.args["blocks"] if b["type"] == "actions"]
    assert actions == [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Yes", "emoji": True},
                    "action_id": "sb:faq_helpful:0",
                    "value": "faq_helpful:e1",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "No", "emoji": True},
                    "action_id": "sb:faq_helpful:1",
                    "value": "faq_helpful:e1:no",
                },
            ],
        }
    ]


async def test_a_ticket_card_opens_a_thread_and_replies_go_into_it(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    staff_room = Address("slack", STAFF_CHANNEL)
    card = await adapter.send(
        Outbound(to=staff_room, text=plain("Ticket #1"), open_thread="Ticket #1")
    )
    reply = await adapter.send(
        Outbound(to=Address("slack", STAFF_CHANNEL, card.thread_id), text=plain("Customer: hi"))
    )

    assert card.thread_id == card.message_id
    assert reply.thread_id == card.message_id and reply.message_id != card.message_id
    await fake.wait_for_call("chat.postMessage")
    threaded = await fake.wait_for_call("chat.postMessage")
    assert threaded.args["thread_ts"] == card.message_id


async def test_long_text_is_split_in_order_with_buttons_on_the_last_piece(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    words = " ".join(f"word{i:04d}" for i in range(700))  # 6299 characters
    ref = await adapter.send(
        Outbound(to=TO_CUSTOMER, text=plain(words), buttons=(Button("Human", "human"),))
    )

    calls = fake.calls_of("chat.postMessage")
    assert len(calls) == 3
    assert "".join(c.args["text"] for c in calls) == words
    assert all(len(c.args["text"]) <= adapter.max_text_length for c in calls)
    assert [any(b["type"] == "actions" for b in c.args["blocks"]) for c in calls] == [
        False,
        False,
        True,
    ]
    last_ts = max(ts for (_, ts) in fake.messages)
    assert ref.message_id == last_ts


async def test_edit_replaces_text_and_removes_buttons(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    out = Outbound(
        to=Address("slack", STAFF_CHANNEL),
        text=plain("Ticket #2 <open>"),
        buttons=(Button("Claim", "claim", "2"),),
    )
    ref = await adapter.send(out)
    await adapter.edit(ref, Outbound(to=out.to, text=plain("Ticket #2: claimed by Alex & co")))

    call = await fake.wait_for_call("chat.update")
    assert (call.args["channel"], call.args["ts"]) == (STAFF_CHANNEL, ref.message_id)
    assert call.args["text"] == "Ticket #2: claimed by Alex &amp; co"
    assert [b["type"] for b in call.args["blocks"]] == ["rich_text"]
    assert fake.messages[(STAFF_CHANNEL, ref.message_id)].text == call.args["text"]


async def test_an_edit_too_long_for_one_message_is_cut_short(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    ref = await adapter.send(Outbound(to=TO_CUSTOMER, text=plain("short")))
    await adapter.edit(ref, Outbound(to=TO_CUSTOMER, text=plain("x" * 5000)))

    call = await fake.wait_for_call("chat.update")
    assert len(call.args["text"]) == adapter.max_text_length
    assert call.args["text"].endswith("…")


async def test_a_429_is_retried_by_the_sdk_after_retry_after(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.fail_next("chat.postMessage", retry_after=0)

    ref = await adapter.send(Outbound(to=TO_CUSTOMER, text=plain("hello")))

    assert len(fake.calls_of("chat.postMessage")) == 2
    assert (DM, ref.message_id) in fake.messages


async def test_a_429_after_the_retries_raises_delivery_error_with_retry_after(
    fake: FakeSlack, core: RecordingCore
) -> None:
    slack = SlackAdapter(slack_section(fake, rate_limit_retries=0), STAFF)
    fake.fail_next("chat.postMessage", retry_after=7)

    with pytest.raises(DeliveryError) as caught:
        await slack.send(Outbound(to=TO_CUSTOMER, text=plain("hello")))

    assert caught.value.retry_after == 7.0
    assert not caught.value.permanent
    assert len(fake.calls_of("chat.postMessage")) == 1


@pytest.mark.parametrize(
    ("status", "error", "permanent"),
    [
        (200, "channel_not_found", True),
        (200, "is_archived", True),
        (200, "not_in_channel", True),
        (200, "internal_error", False),
        (500, "internal_error", False),
        (503, "service_unavailable", False),
    ],
)
async def test_failures_are_permanent_or_transient(
    fake: FakeSlack, adapter: SlackAdapter, status: int, error: str, permanent: bool
) -> None:
    fake.fail_next("chat.postMessage", status=status, error=error)

    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Outbound(to=TO_CUSTOMER, text=plain("hello")))

    assert caught.value.permanent is permanent
    assert caught.value.retry_after is None
    assert error in str(caught.value)


async def test_an_unreachable_slack_is_a_transient_failure(fake: FakeSlack) -> None:
    section = slack_section(fake, api_base_url=f"http://127.0.0.1:{free_port()}/api")
    slack = SlackAdapter(section, STAFF)

    with pytest.raises(DeliveryError) as caught:
        await slack.send(Outbound(to=TO_CUSTOMER, text=plain("hello")))

    assert not caught.value.permanent
    assert "ClientConnectorError" in str(caught.value)


async def test_an_edit_of_a_deleted_message_is_permanent(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await adapter.edit(
            SentRef("slack", DM, "1.000001"), Outbound(to=TO_CUSTOMER, text=plain("x"))
        )

    assert caught.value.permanent


async def test_a_message_for_another_platform_is_refused(adapter: SlackAdapter) -> None:
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Outbound(to=Address("telegram", "42"), text=plain("hi")))

    assert caught.value.permanent
