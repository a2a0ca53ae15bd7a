"""The staff channel's agents, answers only one person sees, and links: the real
AsyncWebClient against the fake Slack Web API."""

from __future__ import annotations

from adapters.slack import SlackAdapter
from adapters.slack.inbound import Rooms, said_in_message
from bot.contract import Address, Agent, Answered, Outbound, Span, Style, plain
from bot.markup import parse
from tests.adapters.slack.conftest import AGENT, OUTSIDER, STAFF_CHANNEL
from tests.fakes.slack_api import FakeSlack, rich_text_elements


async def test_agents_are_the_staff_channels_people(fake: FakeSlack, adapter: SlackAdapter) -> None:
    fake.users["UBOT"] = {"id": "UBOT", "name": "helper", "is_bot": True, "profile": {}}
    fake.users["UOTHER"] = {"id": "UOTHER", "name": "gone", "deleted": True, "profile": {}}

    agents = await adapter.list_agents()

    assert agents == [Agent(AGENT, "Alex", ("alex",)), Agent("UOTHER2", "UOTHER2", ())]
    assert len(fake.calls_of("conversations.members")) >= 2  # every page read


async def test_a_private_answer_is_ephemeral_in_the_thread(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    out = Outbound(
        Address("slack", STAFF_CHANNEL, "1700000000.000001"),
        plain("Only support staff can do that."),
        private_to=OUTSIDER,
        answers=Answered("1700000000.000009"),
    )
    ref = await adapter.send(out)

    call = await fake.wait_for_call("chat.postEphemeral")
    assert (call.args["channel"], call.args["user"]) == (STAFF_CHANNEL, OUTSIDER)
    assert call.args["thread_ts"] == "1700000000.000001"
    assert call.args["text"] == "Only support staff can do that."
    assert ref.message_id and ref.thread_id == "1700000000.000001"
    assert fake.calls_of("chat.postMessage") == []


async def test_links_are_link_elements_and_escaped_in_the_fallback(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    text = (
        Span("see "),
        Span("the <page>", Style.LINK, "https://x.example/?a=1&b=|2"),
        Span(" <https://evil.example|not a link>"),
    )
    await adapter.send(Outbound(Address("slack", "DCUST"), text))

    call = await fake.wait_for_call("chat.postMessage")
    assert rich_text_elements(call)[1] == {
        "type": "link",
        "url": "https://x.example/?a=1&b=|2",
        "text": "the <page>",
    }
    assert call.args["text"] == (
        "see <https://x.example/?a=1&amp;b=%7C2|the &lt;page&gt;> "
        "&lt;https://evil.example|not a link&gt;"
    )


def test_staff_room_messages_keep_the_agents_mrkdwn() -> None:
    rooms = Rooms(bot_user_id="UBOT", staff_channel=STAFF_CHANNEL, support_channel=None)
    raw = "*checking* `ORD-1` at <https://shop.example/o/1|the page> &amp; more"
    event = {"type": "message", "channel": STAFF_CHANNEL, "user": AGENT, "ts": "5.0", "text": raw}
    said = said_in_message(event, rooms)
    assert said is not None and said.formatted == raw
    assert said.text == "*checking* `ORD-1` at the page (https://shop.example/o/1) & more"
    assert parse(raw, "slack") == (
        Span("checking", Style.BOLD),
        Span(" "),
        Span("ORD-1", Style.CODE),
        Span(" at "),
        Span("the page", Style.LINK, "https://shop.example/o/1"),
        Span(" & more"),
    )
    dm = {**event, "channel": "DCUST", "channel_type": "im"}
    customer = said_in_message(dm, rooms)
    assert customer is not None and customer.formatted is None  # customers: never markup
