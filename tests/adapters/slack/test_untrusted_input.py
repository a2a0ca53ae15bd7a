"""What customers send beyond plain text: files with a message, and names no one
should trust (Socket Mode, the real Bolt app against the fake Slack)."""

from __future__ import annotations

from adapters.slack import SlackAdapter
from bot.contract import Inbound
from tests.adapters.slack.conftest import CUSTOMER, DM, RecordingCore
from tests.fakes.slack_api import FakeSlack

FILE = {"id": "F1", "name": "charger.jpg", "mimetype": "image/jpeg", "filetype": "jpg"}


async def test_a_file_shared_with_a_message_reads_as_that_message(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    shared = fake.message_event(
        DM, CUSTOMER, "Is this the right charger?", subtype="file_share", files=[FILE]
    )
    await fake.push_event(shared)
    # Clients now send files as a plain message with `files` and no subtype.
    await fake.push_event(fake.message_event(DM, CUSTOMER, "And this one?", files=[FILE]))

    first = await core.wait_for(1)
    second = await core.wait_for(2)

    assert isinstance(first, Inbound) and isinstance(second, Inbound)
    assert (first.text, second.text) == ("Is this the right charger?", "And this one?")


async def test_a_file_without_a_message_is_empty_text(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    await fake.push_event(fake.message_event(DM, CUSTOMER, "", subtype="file_share", files=[FILE]))

    event = await core.wait_for(1)

    assert isinstance(event, Inbound)
    assert event.text == ""


async def test_names_and_text_arrive_cleaned(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    fake.add_user("UMAL", "mallory", display_name="\u202eyrollaM\x00\u200b", locale="fa-IR")
    fake.add_user("UFAR", "sara", display_name="سارا \U0001f469\u200d\U0001f4bb")
    await fake.push_event(fake.message_event("DMAL", "UMAL", "hello\x1b[2J\u2066 there"))
    await fake.push_event(fake.message_event("DFAR", "UFAR", "می\u200cخواهم"))

    first = await core.wait_for(1)
    second = await core.wait_for(2)

    assert isinstance(first, Inbound) and isinstance(second, Inbound)
    assert first.sender.display_name == "yrollaM\ufffd"
    assert first.text == "hello[2J there"
    assert second.sender.display_name == "سارا \U0001f469\u200d\U0001f4bb"
    assert second.text == "می\u200cخواهم"
