"""Platform events in (polling, the real library against the fake) -> Inbound / Action."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from adapters.telegram import TelegramAdapter
from bot.config import StaffSection
from bot.contract import Action, Address, Button, Inbound, Outbound, Sender, plain
from tests.adapters.telegram.conftest import (
    AGENT,
    CUSTOMER,
    OTHER_BOT,
    OTHER_GROUP,
    STAFF_GROUP,
    STRANGER,
    RecordingCore,
    staff_section,
    telegram_section,
    ticket_card,
)
from tests.fakes.telegram_api import FakeTelegramApi

PLAIN_GROUP = -100555

STICKER = {
    "file_id": "s1",
    "file_unique_id": "u1",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
}


@pytest.fixture
async def plain_group_adapter(
    fake: FakeTelegramApi, core: RecordingCore
) -> AsyncIterator[TelegramAdapter]:
    """An adapter whose staff room is a group without topics (reply chains)."""
    fake.add_group(PLAIN_GROUP, "Plain staff", forum=False, members={AGENT.id: "administrator"})
    running = TelegramAdapter(
        telegram_section(fake), StaffSection(platform="telegram", chat_id=str(PLAIN_GROUP))
    )
    await running.start(core)
    yield running
    await running.stop()


async def test_customer_message_becomes_inbound(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    sent = fake.user_writes(CUSTOMER, "How do I <b>reset</b> my password?")

    event = await core.next_event()

    assert event == Inbound(
        platform="telegram",
        chat_id=str(CUSTOMER.id),
        thread_id=None,
        sender=Sender(user_id=str(CUSTOMER.id), display_name="Ann Lee", locale="de"),
        text="How do I <b>reset</b> my password?",
        message_id=str(sent["message_id"]),
        from_staff_room=False,
        reply_to=None,
    )


async def test_customer_reply_names_the_message_replied_to(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    first = fake.user_writes(CUSTOMER, "first")
    await core.next_event()
    fake.user_writes(CUSTOMER, "second", reply_to=first["message_id"])

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.reply_to == str(first["message_id"])


async def test_sticker_arrives_as_empty_text(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.user_writes(CUSTOMER, None, extra={"sticker": STICKER})

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.text == ""
    assert event.chat_id == str(CUSTOMER.id)


async def test_bots_other_groups_service_messages_and_edits_are_ignored(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.user_writes(OTHER_BOT, "beep")
    fake.user_writes(STRANGER, "hello group", chat_id=OTHER_GROUP)
    fake.user_writes(
        AGENT, None, chat_id=STAFF_GROUP, extra={"new_chat_members": [STRANGER.to_dict()]}
    )
    fake.user_writes(AGENT, None, chat_id=STAFF_GROUP, extra={"sticker": STICKER})
    original = fake.user_writes(CUSTOMER, "helo", deliver=False)
    fake.push_update({"edited_message": {**original, "text": "hello", "edit_date": 1}})
    fake.user_writes(CUSTOMER, "/start")

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.text == "/start"
    assert len(core.events) == 1


async def test_staff_message_in_a_forum_topic(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    topic = fake.create_topic(STAFF_GROUP, "Ticket 7", AGENT)
    sent = fake.user_writes(AGENT, "On it", chat_id=STAFF_GROUP, thread_id=topic)

    event = await core.next_event()

    assert event == Inbound(
        platform="telegram",
        chat_id=str(STAFF_GROUP),
        thread_id=str(topic),
        sender=Sender(user_id=str(AGENT.id), display_name="Bob", locale="en"),
        text="On it",
        message_id=str(sent["message_id"]),
        from_staff_room=True,
        reply_to=None,
    )


async def test_staff_message_outside_topics_has_no_thread(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.user_writes(AGENT, "morning all", chat_id=STAFF_GROUP)

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.thread_id is None
    assert event.from_staff_room


async def test_staff_reply_in_a_plain_group_names_the_card(
    plain_group_adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    card = await plain_group_adapter.send(
        Outbound(Address("telegram", str(PLAIN_GROUP)), plain("Ticket 1"), open_thread="T1")
    )
    fake.user_writes(AGENT, "hi", chat_id=PLAIN_GROUP, reply_to=int(card.message_id))

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.chat_id == str(PLAIN_GROUP)
    assert event.thread_id is None
    assert event.reply_to == card.message_id == card.thread_id
    assert event.from_staff_room


async def test_commands_addressed_to_this_bot_are_shortened(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    topic = fake.create_topic(STAFF_GROUP, "Ticket 8", AGENT)
    fake.user_writes(AGENT, "/resolve@otherbot", chat_id=STAFF_GROUP, thread_id=topic)
    fake.user_writes(
        AGENT, "/resolve@Support_Test_Bot thanks", chat_id=STAFF_GROUP, thread_id=topic
    )

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.text == "/resolve thanks"
    assert len(core.events) == 1


async def test_customer_button_press_becomes_action_and_is_answered(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.add_private_chat(CUSTOMER)
    ref = await adapter.send(
        Outbound(
            Address("telegram", str(CUSTOMER.id)),
            plain("Did this help?"),
            buttons=(Button("Yes", "helpful", "faq-7"), Button("No", "unhelpful", "faq-7")),
        )
    )
    update = fake.press(CUSTOMER, fake.message(CUSTOMER.id, ref.message_id), "No")

    event = await core.next_event()
    answered = await fake.wait_for_call("answerCallbackQuery")

    assert event == Action(
        platform="telegram",
        chat_id=str(CUSTOMER.id),
        thread_id=None,
        sender=Sender(user_id=str(CUSTOMER.id), display_name="Ann Lee", locale="de"),
        action_id="unhelpful",
        value="faq-7",
        message_id=ref.message_id,
        from_staff_room=False,
        event_id=update["callback_query"]["id"],
    )
    assert answered.params["callback_query_id"] == update["callback_query"]["id"]


async def test_staff_presses_are_checked_against_group_membership(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    card, message = await ticket_card(adapter, fake)

    fake.press(AGENT, message, "Claim")
    by_agent = await core.next_event()
    fake.press(STRANGER, message, "Claim")
    by_stranger = await core.next_event()
    fake.press(AGENT, message, "Claim")
    again = await core.next_event()

    assert isinstance(by_agent, Action)
    assert by_agent.from_staff_room
    assert by_agent.chat_id == str(STAFF_GROUP)
    assert by_agent.thread_id == card.thread_id
    assert (by_agent.action_id, by_agent.value) == ("claim", "9")
    assert isinstance(by_stranger, Action)
    assert not by_stranger.from_staff_room
    assert isinstance(again, Action)
    assert again.from_staff_room
    looked_up = [call.params["user_id"] for call in fake.calls_of("getChatMember")]
    assert looked_up == [str(AGENT.id), str(STRANGER.id)]
    # The stranger's press is held for a private refusal (test_private_refusal.py).
    answered = [call.params["callback_query_id"] for call in fake.calls_of("answerCallbackQuery")]
    assert answered == [by_agent.event_id, again.event_id]


async def test_presses_in_other_groups_and_foreign_data_are_answered_and_dropped(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    foreign = fake.user_writes(STRANGER, "x", chat_id=OTHER_GROUP, deliver=False)
    for data, message in (("claim:1", foreign), ("no-colon-here", foreign)):
        fake.push_update(
            {
                "callback_query": {
                    "id": data,
                    "from": STRANGER.to_dict(),
                    "message": message,
                    "chat_instance": "1",
                    "data": data,
                }
            }
        )
    fake.user_writes(CUSTOMER, "still listening")

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.text == "still listening"
    assert len(core.events) == 1
    answered = {call.params["callback_query_id"] for call in fake.calls_of("answerCallbackQuery")}
    assert answered == {"claim:1", "no-colon-here"}


async def test_malformed_update_is_logged_and_dropped(
    adapter: TelegramAdapter,
    fake: FakeTelegramApi,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.telegram")
    bad = fake.push_update({"message": {"message_id": 1, "text": "no chat, no date"}})
    fake.user_writes(CUSTOMER, "next one")

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.text == "next one"
    assert f"dropping malformed update {bad}" in caplog.text
    assert "no chat, no date" not in caplog.text


async def test_core_failure_is_logged_and_the_update_comes_again_before_the_next(
    fake: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    core = RecordingCore(fail_on="boom")
    running = TelegramAdapter(telegram_section(fake), staff_section())
    await running.start(core)
    try:
        fake.user_writes(CUSTOMER, "boom")
        fake.user_writes(CUSTOMER, "after")
        first = await core.next_event()
        second = await core.next_event()
    finally:
        await running.stop()

    assert isinstance(first, Inbound)
    assert isinstance(second, Inbound)
    assert (first.text, second.text) == ("boom", "after")
    assert [e.text for e in core.attempts if isinstance(e, Inbound)] == ["boom", "boom", "after"]
    assert "core failed on inbound" in caplog.text
