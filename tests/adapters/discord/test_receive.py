"""Gateway messages -> Inbound: customers, staff, the bot itself, bad payloads."""

from __future__ import annotations

import pytest

from adapters.discord import DiscordAdapter
from bot.contract import Address, Inbound, Outbound, plain
from tests.adapters.discord.conftest import RecordingCore
from tests.fakes.discord_api import FakeDiscord


async def _marker(fake: FakeDiscord) -> None:
    """A customer DM after the events under test: once it arrives, they were processed."""
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(fake.user(fake.new_id()), "marker"))


def _inbound(event: object) -> Inbound:
    assert isinstance(event, Inbound)
    return event


async def test_a_dm_is_a_customer_message(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    customer = fake.user(fake.new_id(), "alice")
    payload = fake.dm_message(customer, "where is my order? @everyone")
    await fake.dispatch("MESSAGE_CREATE", payload)

    inbound = _inbound(await core.wait_for())
    assert inbound.platform == "discord"
    assert inbound.chat_id == payload["channel_id"]
    assert inbound.thread_id is None
    assert inbound.sender.user_id == customer["id"]
    assert inbound.sender.display_name == "Alice"
    assert inbound.text == "where is my order? @everyone"
    assert inbound.message_id == payload["id"]
    assert inbound.from_staff_room is False
    assert inbound.reply_to is None


async def test_a_message_without_text_arrives_empty(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    sticker = fake.dm_message(fake.user(fake.new_id()), "")
    sticker["sticker_items"] = [{"id": str(fake.new_id()), "name": "wave", "format_type": 1}]
    await fake.dispatch("MESSAGE_CREATE", sticker)

    assert _inbound(await core.wait_for()).text == ""


async def test_support_channel_messages_are_answered_as_replies(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    customer = fake.user(fake.new_id(), "carol")
    member = fake.member(customer, staff=False)
    first = fake.message(fake.support_channel_id, customer, "hello", member=member)
    await fake.dispatch("MESSAGE_CREATE", first)
    inbound = _inbound(await core.wait_for())
    assert (inbound.chat_id, inbound.thread_id) == (str(fake.support_channel_id), first["id"])

    answer = fake.message(
        fake.support_channel_id, fake.bot_user(), "hi", reference=int(first["id"])
    )
    fake.messages[int(answer["id"])] = answer
    reply = fake.message(
        fake.support_channel_id, customer, "thanks", member=member, reference=int(answer["id"])
    )
    await fake.dispatch("MESSAGE_CREATE", reply)
    inbound = _inbound(await core.wait_for(2))
    assert inbound.thread_id == reply["id"]
    assert inbound.reply_to == answer["id"]
    assert inbound.from_staff_room is False


async def test_staff_in_a_ticket_thread(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    thread_id = await _open_ticket_thread(fake, adapter)
    agent = fake.user(fake.new_id(), "dana")
    payload = fake.message(thread_id, agent, "on it", member=fake.member(agent, staff=True))
    await fake.dispatch("MESSAGE_CREATE", payload)

    inbound = _inbound(await core.wait_for())
    assert inbound.chat_id == str(fake.staff_channel_id)
    assert inbound.thread_id == str(thread_id)
    assert inbound.from_staff_room is True
    assert inbound.sender.display_name == "Dana"


async def test_staff_channel_without_the_staff_role_is_not_staff(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    thread_id = await _open_ticket_thread(fake, adapter)
    outsider = fake.user(fake.new_id(), "eve")
    member = fake.member(outsider, staff=False)
    await fake.dispatch(
        "MESSAGE_CREATE", fake.message(thread_id, outsider, "/resolve", member=member)
    )

    inbound = _inbound(await core.wait_for())
    assert inbound.from_staff_room is False
    assert inbound.thread_id == str(thread_id)


async def test_the_staff_role_outside_the_staff_room_is_a_customer(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    agent = fake.user(fake.new_id(), "dana")
    member = fake.member(agent, staff=True)
    await fake.dispatch(
        "MESSAGE_CREATE", fake.message(fake.support_channel_id, agent, "hi", member=member)
    )

    assert _inbound(await core.wait_for()).from_staff_room is False


async def test_the_staff_channel_itself_is_the_staff_room(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    agent = fake.user(fake.new_id(), "dana")
    member = fake.member(agent, staff=True)
    await fake.dispatch(
        "MESSAGE_CREATE", fake.message(fake.staff_channel_id, agent, "/queue", member=member)
    )

    inbound = _inbound(await core.wait_for())
    assert (inbound.chat_id, inbound.thread_id) == (str(fake.staff_channel_id), None)
    assert inbound.from_staff_room is True


async def test_a_thread_the_cache_does_not_know_is_looked_up(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    # A thread that was archived while the bot was away is not in the gateway cache.
    thread_id = fake.new_id()
    fake.threads[thread_id] = {
        "id": str(thread_id),
        "guild_id": str(fake.guild_id),
        "parent_id": str(fake.staff_channel_id),
        "owner_id": str(fake.bot_id),
        "type": 11,
        "name": "old ticket",
        "message_count": 3,
        "member_count": 2,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 10080,
            "archive_timestamp": "2026-01-01T00:00:00+00:00",
        },
    }
    agent = fake.user(fake.new_id(), "dana")
    member = fake.member(agent, staff=True)
    await fake.dispatch("MESSAGE_CREATE", fake.message(thread_id, agent, "back", member=member))

    inbound = _inbound(await core.wait_for())
    assert (inbound.chat_id, inbound.thread_id) == (str(fake.staff_channel_id), str(thread_id))
    assert inbound.from_staff_room is True
    assert fake.calls_of("get_channel")[0].params["channel_id"] == str(thread_id)


async def test_own_messages_other_bots_and_other_channels_are_ignored(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    await fake.dispatch(
        "MESSAGE_CREATE", fake.message(fake.staff_channel_id, fake.bot_user(), "card")
    )
    other_bot = fake.user(fake.new_id(), "otherbot", bot=True)
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(other_bot, "spam"))
    someone = fake.user(fake.new_id(), "frank")
    member = fake.member(someone, staff=False)
    await fake.dispatch(
        "MESSAGE_CREATE", fake.message(fake.other_channel_id, someone, "hi", member=member)
    )
    await _marker(fake)

    assert _inbound(await core.wait_for()).text == "marker"
    assert len(core.events) == 1


async def test_malformed_events_are_dropped_and_logged(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = fake.dm_message(fake.user(fake.new_id()), "secret customer text")
    del broken["author"]
    await fake.dispatch("MESSAGE_CREATE", broken)
    await fake.dispatch("INTERACTION_CREATE", {"type": 3, "id": "not-a-number"})
    await _marker(fake)

    assert _inbound(await core.wait_for()).text == "marker"
    assert len(core.events) == 1
    dropped = [
        r.getMessage()
        for r in caplog.records
        if r.name == "adapters.discord" and r.getMessage().startswith("dropped")
    ]
    assert len(dropped) == 2
    assert any(broken["id"] in line for line in dropped)
    assert "secret customer text" not in caplog.text


async def test_a_failing_core_is_logged_and_the_next_event_still_arrives(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(fake.user(fake.new_id()), "boom"))
    await _marker(fake)

    assert _inbound(await core.wait_for(2)).text == "marker"
    assert any(
        r.name == "adapters.discord" and "core failed" in r.getMessage() for r in caplog.records
    )


async def _open_ticket_thread(fake: FakeDiscord, adapter: DiscordAdapter) -> int:
    ref = await adapter.send(
        Outbound(Address("discord", str(fake.staff_channel_id)), plain("card"), open_thread="T")
    )
    assert ref.thread_id is not None
    return int(ref.thread_id)
