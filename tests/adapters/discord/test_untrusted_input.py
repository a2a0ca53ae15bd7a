"""What customers send beyond plain text: attachments with a message, and names no one
should trust (the real discord.py client against the fake gateway)."""

from __future__ import annotations

from pathlib import Path

from adapters.discord import DiscordAdapter
from bot.contract import Inbound
from tests.adapters.discord.conftest import RecordingCore, StartAdapter
from tests.fakes.discord_api import FakeDiscord


def _inbound(event: object) -> Inbound:
    assert isinstance(event, Inbound)
    return event


def _attachment(fake: FakeDiscord) -> dict[str, object]:
    url = "https://cdn.example/charger.jpg"
    return {
        "id": str(fake.new_id()),
        "filename": "charger.jpg",
        "size": 2048,
        "url": url,
        "proxy_url": url,
        "content_type": "image/jpeg",
    }


async def test_an_attachment_with_a_message_reads_as_that_message(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    message = fake.dm_message(fake.user(fake.new_id()), "Is this the right charger?")
    message["attachments"] = [_attachment(fake)]
    await fake.dispatch("MESSAGE_CREATE", message)

    assert _inbound(await core.wait_for()).text == "Is this the right charger?"


async def test_an_attachment_alone_is_empty_text(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    message = fake.dm_message(fake.user(fake.new_id()), "")
    message["attachments"] = [_attachment(fake)]
    await fake.dispatch("MESSAGE_CREATE", message)

    assert _inbound(await core.wait_for()).text == ""


async def test_names_and_text_arrive_cleaned(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    mallory = fake.user(fake.new_id(), "mallory")
    mallory["global_name"] = "\u202eyrollaM\x00\u200b\x1b"
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(mallory, "hi\ud800\u2067 there"))
    sara = fake.user(fake.new_id(), "sara")
    sara["global_name"] = "سارا \U0001f3f3\ufe0f\u200d\U0001f308"
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(sara, "می\u200cخواهم"))

    first = _inbound(await core.wait_for())
    second = _inbound(await core.wait_for(2))

    assert first.sender.display_name == "yrollaM\ufffd"
    assert first.text == "hi\ufffd there"
    assert second.sender.display_name == "سارا \U0001f3f3\ufe0f\u200d\U0001f308"
    assert second.text == "می\u200cخواهم"


async def test_a_hostile_event_the_core_cannot_take_yet_is_spooled_cleaned(
    fake: FakeDiscord, start_adapter: StartAdapter, core: RecordingCore, tmp_path: Path
) -> None:
    """The spool file is UTF-8: a lone surrogate must be gone before it is written."""
    folder = tmp_path / "spool"
    await start_adapter(spool_dir=folder)
    mallory = fake.user(fake.new_id(), "mallory")
    mallory["global_name"] = "Mal\ud800lory"
    core.refusing = True
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(mallory, "lost?\udfff"))
    await core.wait_until(lambda: core.refused >= 1)
    core.refusing = False

    event = _inbound(await core.wait_for())

    assert (event.sender.display_name, event.text) == ("Mal\ufffdlory", "lost?\ufffd")
