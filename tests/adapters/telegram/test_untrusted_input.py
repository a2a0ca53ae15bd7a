"""What customers send beyond plain text: captions, and names no one should trust."""

from __future__ import annotations

from adapters.telegram import TelegramAdapter
from bot.contract import Inbound
from tests.adapters.telegram.conftest import AGENT, CUSTOMER, STAFF_GROUP, RecordingCore
from tests.adapters.telegram.whole_bot import running_bot, said
from tests.fakes.telegram_api import FakeTelegramApi, FakeUser

PHOTO = [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 60}]


async def test_a_photo_with_a_caption_reads_as_its_caption(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.user_writes(
        CUSTOMER, None, extra={"photo": PHOTO, "caption": "Is this the right charger?"}
    )

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.text == "Is this the right charger?"


async def test_a_command_as_a_caption_is_read_like_a_typed_one(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    caption = "/agent@other_bot please"
    entities = [{"type": "bot_command", "offset": 0, "length": 16}]
    fake.user_writes(
        CUSTOMER, None, extra={"photo": PHOTO, "caption": caption, "caption_entities": entities}
    )
    fake.user_writes(
        CUSTOMER,
        None,
        extra={
            "photo": PHOTO,
            "caption": "/agent@support_test_bot now",
            "caption_entities": [{"type": "bot_command", "offset": 0, "length": 23}],
        },
    )

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.text == "/agent now"
    assert len(core.events) == 1


async def test_a_photo_without_a_caption_is_still_empty_text(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.user_writes(CUSTOMER, None, extra={"photo": PHOTO})

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert event.text == ""


async def test_a_staff_photo_with_a_caption_is_relayed_as_its_caption(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    topic = fake.create_topic(STAFF_GROUP, "Ticket 1", AGENT)
    fake.user_writes(
        AGENT,
        None,
        chat_id=STAFF_GROUP,
        thread_id=topic,
        extra={"photo": PHOTO, "caption": "This one"},
    )

    event = await core.next_event()

    assert isinstance(event, Inbound)
    assert (event.text, event.from_staff_room) == ("This one", True)


async def test_names_and_text_arrive_cleaned(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    mallory = FakeUser(5001, "\u202eyrollaM\x1b[2J", "\u200bLee\x00\ud800")
    fake.user_writes(mallory, "hi\u200b there\ud83d")
    persian = FakeUser(5002, "می\u200cخواهم", "\U0001f469\u200d\U0001f4bb")
    fake.user_writes(persian, "سلام \U0001f44b\U0001f3fd")

    first = await core.next_event()
    second = await core.next_event()

    assert isinstance(first, Inbound) and isinstance(second, Inbound)
    assert first.sender.display_name == "yrollaM[2J Lee\ufffd\ufffd"
    assert first.text == "hi there\ufffd"
    assert second.sender.display_name == "می\u200cخواهم \U0001f469\u200d\U0001f4bb"
    assert second.text == "سلام \U0001f44b\U0001f3fd"


async def test_a_hostile_name_never_stops_a_customer_being_served(
    fake: FakeTelegramApi, database_url: str
) -> None:
    """NUL in a name made every message of that user fail on PostgreSQL, a lone
    surrogate on both databases; the ticket's topic showed the bidi override."""
    hostile = FakeUser(6001, "Mal\x00lory\ud800", "\u202eeeL\u200b")
    staff = {"platform": "telegram", "chat_id": str(STAFF_GROUP)}
    async with running_bot(fake, database_url, staff):
        fake.user_writes(hostile, "Where is my order?")
        await said(fake, hostile.id, "Did this help?")
        fake.user_writes(hostile, "can I talk to a human please")
        await said(fake, hostile.id, "ticket #1")
        card = await said(fake, STAFF_GROUP, "Ticket #1")

    assert fake.topics(STAFF_GROUP) == {card["message_thread_id"]: "#1 Mal\ufffdlory\ufffd eeL"}
