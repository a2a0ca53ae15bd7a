"""After a restart the bot reads what customers wrote while it was away (Discord never
sends it again) from each channel it knew, and hands it over oldest first."""

from __future__ import annotations

from pathlib import Path

from tests.adapters.discord.conftest import RecordingCore, StartAdapter
from tests.adapters.discord.test_spool import texts
from tests.fakes.discord_api import FakeDiscord


async def test_messages_written_while_the_bot_was_away_are_fetched_after_ready(
    fake: FakeDiscord, start_adapter: StartAdapter, core: RecordingCore, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    first = await start_adapter(spool_dir=folder)
    alice = fake.user(fake.new_id(), "alice")
    seen = fake.dm_message(alice, "first")
    await fake.write(seen)
    await core.wait_for(1)
    await first.stop()
    bob = fake.user(fake.new_id(), "bob")
    for message in (
        fake.dm_message(alice, "second"),
        fake.dm_message(bob, "never heard of"),
        fake.dm_message(alice, "third"),
    ):
        await fake.write(message)  # nobody is connected: only the history has them

    await start_adapter(spool_dir=folder)

    await core.wait_for(3)
    assert texts(core.events) == ["first", "second", "third"]
    fetch = await fake.wait_for_call("get_channel_messages")
    assert fetch.params["channel_id"] == seen["channel_id"]
    assert fetch.query["after"] == seen["id"]
    await fake.write(fake.dm_message(alice, "marker"))
    await core.wait_for(4)
    assert texts(core.events) == ["first", "second", "third", "marker"]


async def test_a_channel_that_is_gone_is_forgotten(
    fake: FakeDiscord, start_adapter: StartAdapter, core: RecordingCore, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    first = await start_adapter(spool_dir=folder)
    alice = fake.user(fake.new_id(), "alice")
    message = fake.dm_message(alice, "hello")
    await fake.write(message)
    await core.wait_for(1)
    await first.stop()
    del fake.dm_channels[int(message["channel_id"])]

    second = await start_adapter(spool_dir=folder)
    await fake.wait_for_call("get_channel")
    await second.stop()
    await start_adapter(spool_dir=folder)
    await fake.wait_for_identify(3)

    assert len(fake.calls_of("get_channel")) == 1
    assert fake.calls_of("get_channel_messages") == []
