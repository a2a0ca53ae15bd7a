"""Nothing lost on the way in: events the core cannot store wait in the local spool,
which is handed over in order once the core takes events again, also after a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.discord.receive import QUEUED
from adapters.discord.spool import SPOOL_FILE, Spool, SpoolInUse
from bot.contract import Action, Address, Button, Event, Inbound, Outbound, Sender, plain
from bot.event_codec import decode_event
from tests.adapters.discord.conftest import RecordingCore, StartAdapter
from tests.fakes.discord_api import FakeDiscord

DEFERRED_UPDATE = 6


def spooled(folder: Path) -> list[Event]:
    """The events in the spool file, oldest first."""
    path = folder / SPOOL_FILE
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [decode_event(json.loads(line)) for line in lines]


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def texts(events: list[Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, Inbound)]


async def test_refused_events_are_spooled_and_handed_over_in_order_once_the_core_recovers(
    fake: FakeDiscord, start_adapter: StartAdapter, core: RecordingCore, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    await start_adapter(spool_dir=folder)
    alice, bob = fake.user(fake.new_id(), "alice"), fake.user(fake.new_id(), "bob")
    core.refusing = True
    for user, text in ((alice, "a1"), (bob, "b1"), (alice, "a2"), (bob, "b2")):
        await fake.dispatch("MESSAGE_CREATE", fake.dm_message(user, text))
    await eventually(lambda: len(spooled(folder)) == 4)

    assert texts(spooled(folder)) == ["a1", "b1", "a2", "b2"]
    assert core.events == []
    core.refusing = False

    await core.wait_for(4)
    assert texts(core.events) == ["a1", "b1", "a2", "b2"]
    await eventually(lambda: spooled(folder) == [])
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(alice, "a3"))
    await core.wait_for(5)
    assert texts(core.events) == ["a1", "b1", "a2", "b2", "a3"]


async def test_new_events_queue_behind_a_spool_that_is_not_empty(
    fake: FakeDiscord, start_adapter: StartAdapter, core: RecordingCore, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    await start_adapter(spool_dir=folder)
    alice = fake.user(fake.new_id(), "alice")
    core.refusing = True
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(alice, "first"))
    await eventually(lambda: len(spooled(folder)) == 1)
    core.refusing = False
    # The drain waits out its backoff; meanwhile the core would take a new event at
    # once, but it must not overtake the spooled one.
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(alice, "second"))

    await core.wait_for(2)
    assert texts(core.events) == ["first", "second"]


async def test_a_spool_left_by_a_previous_process_is_handed_over_at_start(
    start_adapter: StartAdapter, core: RecordingCore, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    left = Spool(folder, capacity=10)
    left.open()
    sender = Sender("42", "Alice")
    for n in (1, 2, 3):
        assert left.append(Inbound("discord", "7", None, sender, f"q{n}", str(100 + n)))
    left.close()  # like a crash: the events stay on disk

    await start_adapter(spool_dir=folder)

    await core.wait_for(3)
    assert texts(core.events) == ["q1", "q2", "q3"]
    await eventually(lambda: spooled(folder) == [])


async def test_a_full_spool_refuses_new_events_and_keeps_the_old_ones(
    fake: FakeDiscord,
    start_adapter: StartAdapter,
    core: RecordingCore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "spool"
    await start_adapter(spool_dir=folder, spool_max_events=2)
    alice = fake.user(fake.new_id(), "alice")
    core.refusing = True
    refused = fake.dm_message(alice, "third")
    for message in (fake.dm_message(alice, "first"), fake.dm_message(alice, "second"), refused):
        await fake.dispatch("MESSAGE_CREATE", message)
    await eventually(lambda: "spool full" in caplog.text)

    assert texts(spooled(folder)) == ["first", "second"]
    [full] = [r for r in caplog.records if "spool full" in r.getMessage()]
    assert full.levelname == "ERROR"
    assert "(2 events)" in full.getMessage() and refused["id"] in full.getMessage()
    assert "third" not in caplog.text  # ids only, never the customer's text
    core.refusing = False
    await eventually(lambda: spooled(folder) == [])
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(alice, "marker"))

    await core.wait_for(3)
    assert texts(core.events) == ["first", "second", "marker"]


async def test_a_button_press_is_acknowledged_at_once_and_spooled_while_the_core_is_away(
    fake: FakeDiscord, start_adapter: StartAdapter, core: RecordingCore, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    adapter = await start_adapter(spool_dir=folder)
    customer = fake.user(fake.new_id(), "alice")
    ref = await adapter.send(
        Outbound(
            Address("discord", fake.dm_channel(customer)["id"]),
            plain("Did this help?"),
            (Button("Yes", "helpful", "shipping"),),
        )
    )
    core.refusing = True
    click = fake.button_click(fake.messages[int(ref.message_id)], "sb:helpful:shipping", customer)
    await fake.dispatch("INTERACTION_CREATE", click)

    ack = await fake.wait_for_call("create_interaction_response")
    assert (ack.params["interaction_id"], ack.json["type"]) == (click["id"], DEFERRED_UPDATE)
    await eventually(lambda: len(spooled(folder)) == 1)
    core.refusing = False
    action = await core.wait_for()
    assert isinstance(action, Action)
    assert (action.action_id, action.value, action.event_id) == ("helpful", "shipping", click["id"])


async def test_a_second_adapter_on_the_same_spool_folder_is_refused(
    start_adapter: StartAdapter, tmp_path: Path
) -> None:
    await start_adapter(spool_dir=tmp_path / "spool")

    with pytest.raises(SpoolInUse, match="spool_dir"):
        await start_adapter(spool_dir=tmp_path / "spool")


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path, capacity=10)
    spool.open()
    kept = Inbound("discord", "7", None, Sender("42", "Alice"), "kept", "101")
    assert spool.append(kept)
    spool.close()
    with (tmp_path / SPOOL_FILE).open("a", encoding="utf-8") as file:
        file.write('{"kind": "inbound", "platform": "disc')

    again = Spool(tmp_path, capacity=10)
    again.open()
    assert again.head() == kept and len(again) == 1
    again.close()
    assert spooled(tmp_path) == [kept]


async def test_a_slash_command_the_core_cannot_store_yet_is_spooled_and_says_so(
    fake: FakeDiscord, start_adapter: StartAdapter, core: RecordingCore, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    adapter = await start_adapter(spool_dir=folder)
    card = await adapter.send(
        Outbound(Address("discord", str(fake.staff_channel_id)), plain("card"), open_thread="T")
    )
    assert card.thread_id is not None
    agent = fake.member(fake.user(fake.new_id(), "dana"), staff=True)
    core.refusing = True
    await fake.dispatch(
        "INTERACTION_CREATE", fake.slash_command(int(card.thread_id), "resolve", agent)
    )

    assert (await fake.wait_for_call("create_followup_message")).json["content"] == QUEUED
    assert texts(spooled(folder)) == ["/resolve"]
    core.refusing = False
    assert texts([await core.wait_for()]) == ["/resolve"]
