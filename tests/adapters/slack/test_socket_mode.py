"""Receiving over Socket Mode: the real slack-bolt / slack-sdk against the fake Slack."""

from __future__ import annotations

import asyncio
import logging

import pytest
from slack_sdk.errors import SlackApiError

from adapters.slack import SlackAdapter
from bot.contract import (
    Action,
    Address,
    Button,
    DeliveryError,
    Event,
    Inbound,
    Outbound,
    Sender,
    plain,
)
from tests.adapters.slack.conftest import (
    AGENT,
    CUSTOMER,
    DM,
    OUTSIDER,
    STAFF,
    STAFF_CHANNEL,
    SUPPORT_CHANNEL,
    RecordingCore,
    slack_section,
)
from tests.fakes.slack_api import APP_TOKEN, BOT_ID, BOT_TOKEN, BOT_USER_ID, FakeSlack


async def test_a_dm_becomes_an_inbound_and_is_acknowledged(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    event = fake.message_event(DM, CUSTOMER, "how do I reset my password &lt;now&gt;?")
    envelope = await fake.push_event(event)

    inbound = await core.wait_for(1)
    assert inbound == Inbound(
        platform="slack",
        chat_id=DM,
        thread_id=None,
        sender=Sender(CUSTOMER, "Cara <!channel>", "de"),
        text="how do I reset my password <now>?",
        message_id=event["ts"],
    )
    assert (await fake.wait_for_ack(envelope))["envelope_id"] == envelope


async def test_the_bots_own_messages_and_other_bots_are_ignored(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    own = fake.message_event(DM, BOT_USER_ID, "an answer", bot_id=BOT_ID)
    other_bot = fake.message_event(DM, "UOTHERBOT", "beep", bot_id="BOTHER")
    bot_subtype = fake.message_event(DM, "UOTHERBOT", "beep", subtype="bot_message")
    edited = fake.message_event(DM, CUSTOMER, "edited", subtype="message_changed")
    for event in (own, other_bot, bot_subtype, edited):
        await fake.wait_for_ack(await fake.push_event(event))
    person = fake.message_event(DM, CUSTOMER, "hello")
    await fake.push_event(person)

    assert (await core.wait_for(1)).message_id == person["ts"]
    assert len(core.events) == 1


async def test_a_repeated_event_id_is_acknowledged_and_dropped(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    event = fake.message_event(DM, CUSTOMER, "hello once")
    first = await fake.push_event(event, event_id="Ev-dup")
    await core.wait_for(1)
    retried = await fake.push_event(event, event_id="Ev-dup", retry_attempt=1)
    await fake.wait_for_ack(first)
    await fake.wait_for_ack(retried)
    later = fake.message_event(DM, CUSTOMER, "something new")
    await fake.push_event(later)

    assert (await core.wait_for(2)).message_id == later["ts"]
    assert [e.message_id for e in core.events] == [event["ts"], later["ts"]]


async def test_malformed_events_are_logged_and_dropped_without_stopping_the_adapter(
    fake: FakeSlack,
    core: RecordingCore,
    adapter: SlackAdapter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    no_user = fake.message_event(DM, CUSTOMER, "who am I")
    del no_user["user"]
    bad_thread = fake.message_event(DM, CUSTOMER, "x")
    bad_thread["thread_ts"] = 12345
    with caplog.at_level(logging.WARNING, logger="adapters.slack"):
        for event in (no_user, bad_thread):
            await fake.wait_for_ack(await fake.push_event(event))
        await fake.push_raw({"type": "events_api", "payload": {"nonsense": True}})
        await fake.push_raw({"type": "interactive", "payload": {"type": "block_actions"}})
        good = fake.message_event(DM, CUSTOMER, "still there?")
        await fake.push_event(good)
        assert (await core.wait_for(1)).message_id == good["ts"]

    assert len(core.events) == 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "adapters.slack"]
    assert any("malformed slack message" in w and "'user'" in w for w in warnings)
    assert any("'thread_ts'" in w for w in warnings)


async def test_an_exception_in_the_core_is_logged_and_the_next_event_still_arrives(
    fake: FakeSlack,
    core: RecordingCore,
    adapter: SlackAdapter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    core.fail_with = RuntimeError("database is down")
    with caplog.at_level(logging.ERROR, logger="adapters.slack"):
        await fake.push_event(fake.message_event(DM, CUSTOMER, "first"))
        await core.wait_for(1)
        second = fake.message_event(DM, CUSTOMER, "second")
        await fake.push_event(second)
        assert (await core.wait_for(2)).message_id == second["ts"]

    failures = [r for r in caplog.records if r.name == "adapters.slack" and r.exc_info]
    assert failures and "core failed on inbound" in failures[0].getMessage()


async def test_a_mention_in_the_support_channel_is_answered_in_its_thread(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    mention = fake.mention_event(SUPPORT_CHANNEL, CUSTOMER, "where is my order?")
    elsewhere = fake.mention_event("CRANDOM", CUSTOMER, "not here")
    await fake.wait_for_ack(await fake.push_event(elsewhere))
    await fake.push_event(mention)
    first = await core.wait_for(1)
    in_thread = fake.mention_event(SUPPORT_CHANNEL, CUSTOMER, "any news?", thread_ts=mention["ts"])
    await fake.push_event(in_thread)
    second = await core.wait_for(2)

    assert isinstance(first, Inbound) and isinstance(second, Inbound)
    assert (first.chat_id, first.thread_id, first.text) == (
        SUPPORT_CHANNEL,
        mention["ts"],
        "where is my order?",
    )
    assert first.reply_to is None and not first.from_staff_room
    assert (second.thread_id, second.reply_to, second.text) == (
        mention["ts"],
        mention["ts"],
        "any news?",
    )
    assert len(core.events) == 2


async def test_plain_messages_in_the_support_channel_are_not_read(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    chatter = fake.message_event(SUPPORT_CHANNEL, CUSTOMER, "hi all", channel_type="channel")
    await fake.wait_for_ack(await fake.push_event(chatter))
    dm = fake.message_event(DM, CUSTOMER, "hello bot")
    await fake.push_event(dm)

    assert (await core.wait_for(1)).message_id == dm["ts"]
    assert len(core.events) == 1


async def test_staff_channel_messages_are_from_the_staff_room_only_for_channel_members(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    card_ts = fake.next_ts()
    top_level = fake.message_event(STAFF_CHANNEL, AGENT, "/queue", channel_type="channel")
    by_agent = fake.message_event(
        STAFF_CHANNEL, AGENT, "Hi, I'm on it", channel_type="channel", thread_ts=card_ts
    )
    by_outsider = fake.message_event(
        STAFF_CHANNEL, OUTSIDER, "me too", channel_type="channel", thread_ts=card_ts
    )
    said: list[Event] = []
    for event in (top_level, by_agent, by_outsider):
        await fake.push_event(event)
        said.append(await core.wait_for(len(said) + 1))

    assert all(isinstance(s, Inbound) for s in said)
    assert [(s.thread_id, s.from_staff_room) for s in said] == [
        (None, True),
        (card_ts, True),
        (card_ts, False),
    ]
    assert said[1].sender == Sender(AGENT, "Alex", "en")
    # All three were checked against one paginated read of the member list.
    assert [c.args.get("cursor") for c in fake.calls_of("conversations.members")] == [None, "2"]


async def test_a_button_press_is_acknowledged_and_becomes_an_action(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    card = await adapter.send(
        Outbound(
            to=Address("slack", STAFF_CHANNEL),
            text=plain("New ticket #7"),
            buttons=(Button("Claim", "claim", "7"), Button("Close", "close", "7")),
            open_thread="Ticket #7",
        )
    )
    press = fake.press(STAFF_CHANNEL, card.message_id, AGENT, "Close")
    by_agent = await fake.push_interactive(press)
    action = await core.wait_for(1)
    await fake.wait_for_ack(by_agent)
    await fake.push_interactive(fake.press(STAFF_CHANNEL, card.message_id, OUTSIDER, "Claim"))
    by_outsider = await core.wait_for(2)

    assert action == Action(
        platform="slack",
        chat_id=STAFF_CHANNEL,
        thread_id=None,
        sender=Sender(AGENT, "Alex", "en"),
        action_id="close",
        value="7",
        message_id=card.message_id,
        from_staff_room=True,
        event_id=press["trigger_id"],
    )
    assert isinstance(by_outsider, Action)
    assert (by_outsider.action_id, by_outsider.from_staff_room) == ("claim", False)


async def test_stop_closes_the_socket_and_is_idempotent(
    fake: FakeSlack, core: RecordingCore
) -> None:
    slack = SlackAdapter(slack_section(fake), STAFF)
    await slack.start(core)
    assert fake.connected
    assert fake.calls_of("apps.connections.open")[0].token == APP_TOKEN
    assert fake.calls_of("auth.test")[0].token == BOT_TOKEN

    await slack.stop()
    await slack.stop()

    await fake.wait_disconnected()
    assert not fake.connected


async def test_a_bad_app_token_fails_start_up_at_once(fake: FakeSlack, core: RecordingCore) -> None:
    slack = SlackAdapter(slack_section(fake, app_token="xapp-wrong"), STAFF)

    with pytest.raises(SlackApiError, match="invalid_auth"):
        await slack.start(core)
    await slack.stop()
    assert not fake.connected


async def test_logs_hold_no_tokens_and_no_customer_text_at_info(
    fake: FakeSlack, core: RecordingCore, caplog: pytest.LogCaptureFixture
) -> None:
    secret_words = "my card number is 4111"
    with caplog.at_level(logging.DEBUG):
        slack = SlackAdapter(slack_section(fake, rate_limit_retries=0), STAFF)
        await slack.start(core)
        core.fail_with = RuntimeError("boom")
        await fake.push_event(fake.message_event(DM, CUSTOMER, secret_words))
        await core.wait_for(1)
        fake.fail_next("chat.postMessage", retry_after=3)
        with pytest.raises(DeliveryError):
            await slack.send(Outbound(to=Address("slack", DM), text=plain(secret_words)))
        await slack.stop()

    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "core failed on inbound" in everything
    assert BOT_TOKEN not in everything and APP_TOKEN not in everything
    info_and_up = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not [m for m in info_and_up if secret_words in m]


class SlowCore:
    """Holds each event until released, to catch a stop() that does not wait."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.finished: list[Event] = []

    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        self.entered.set()
        await self.release.wait()
        self.finished.append(event)


async def test_stop_waits_for_events_being_handled(fake: FakeSlack) -> None:
    core = SlowCore()
    slack = SlackAdapter(slack_section(fake), STAFF)
    await slack.start(core)
    await fake.push_event(fake.message_event(DM, CUSTOMER, "hello"))
    await asyncio.wait_for(core.entered.wait(), 5)

    stopping = asyncio.create_task(slack.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()
    core.release.set()
    await asyncio.wait_for(stopping, 5)

    assert [e.text for e in core.finished if isinstance(e, Inbound)] == ["hello"]
