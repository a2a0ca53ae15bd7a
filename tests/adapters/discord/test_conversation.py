"""A whole support conversation: the real Runtime, the real discord.py, a fake Discord.

A customer asks the FAQ in a DM, then asks for a person (with an @everyone attempt);
the ticket card appears in the staff channel with its thread; an agent with the staff
role claims it, answers in the thread, the customer's reply reaches the thread, the
agent resolves it with /resolve and the customer's rating is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.discord import DiscordAdapter
from bot.config import Config, parse_config
from bot.runtime import Runtime
from handoff.models import Ticket
from tests.conftest import EXAMPLE_FAQ
from tests.fakes.discord_api import TOKEN, Call, FakeDiscord, Payload

WAIT = 10.0  # the outbox polls; generous so a loaded CI machine does not flake


def _config(fake: FakeDiscord, database_url: str, spool_dir: Path) -> Config:
    data = {
        "faq": {"path": str(EXAMPLE_FAQ)},
        "hours": {"always_open": True},
        "staff": {"platform": "discord", "chat_id": str(fake.staff_channel_id)},
        "database": {"url": database_url},
        "discord": {
            "enabled": True,
            "token": "${DISCORD_TOKEN}",
            "api_base_url": fake.api_url,
            "staff_role_id": str(fake.staff_role_id),
            "guild_ready_timeout": 0.05,
            "spool_dir": str(spool_dir),
        },
    }
    return parse_config(data, "test", env={"DISCORD_TOKEN": TOKEN})


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[tuple[Runtime, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    config = _config(fake, url, tmp_path / "spool")
    runtime = Runtime(config, [DiscordAdapter(config.discord, config.staff)])
    await runtime.start()
    try:
        yield runtime, url
    finally:
        await runtime.stop()


def _posted(channel_id: str | int, containing: str) -> Callable[[Call], bool]:
    def match(call: Call) -> bool:
        body = call.json
        return call.params["channel_id"] == str(channel_id) and containing in body["content"]

    return match


def _custom_ids(body: Payload) -> list[str]:
    return [button["custom_id"] for row in body["components"] for button in row["components"]]


async def _say(fake: FakeDiscord, channel_id: str | int, containing: str) -> Call:
    return await fake.wait_for_call(
        "create_message", where=_posted(channel_id, containing), timeout=WAIT
    )


async def test_a_whole_conversation(fake: FakeDiscord, bot: tuple[Runtime, str]) -> None:
    _runtime, database_url = bot
    customer = fake.user(fake.new_id(), "alice")
    dm = fake.dm_channel(customer)["id"]
    agent_user = fake.user(fake.new_id(), "dana")
    agent = fake.member(agent_user, staff=True)

    # The FAQ answers (after a "did you mean", if the matcher finds it a close call) with
    # "did this help?" buttons; "yes" is thanked.
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(customer, "Where is my order?"))
    first = await _say(fake, dm, "")
    assert first.json["allowed_mentions"] == {"parse": []}
    if "sb:faq:order-status" in _custom_ids(first.json):
        suggestion = fake.messages[max(fake.messages)]
        await fake.dispatch(
            "INTERACTION_CREATE", fake.button_click(suggestion, "sb:faq:order-status", customer)
        )
    answer = await _say(fake, dm, "Did this help?")
    assert _custom_ids(answer.json) == ["sb:helpful:order-status", "sb:unhelpful:order-status"]
    answered = fake.messages[max(fake.messages)]
    await fake.dispatch(
        "INTERACTION_CREATE", fake.button_click(answered, "sb:helpful:order-status", customer)
    )
    await _say(fake, dm, "glad I could help")

    # Asking for a person (and trying to ping everyone) opens a ticket.
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(customer, "I need a human now @everyone"))
    await _say(fake, dm, "passed your request to our team")
    card_call = await _say(fake, fake.staff_channel_id, "Ticket #1")
    assert "@everyone" not in card_call.json["content"]
    assert "@\u200beveryone" in card_call.json["content"]
    assert card_call.json["allowed_mentions"] == {"parse": []}
    assert _custom_ids(card_call.json) == ["sb:claim:1"]
    thread = await fake.wait_for_call("start_thread_from_message", timeout=WAIT)
    thread_id = thread.params["message_id"]
    card = fake.messages[int(thread_id)]

    # The agent claims: the card is edited, the customer is told.
    await fake.dispatch(
        "INTERACTION_CREATE", fake.button_click(card, "sb:claim:1", agent_user, agent)
    )
    edit = await fake.wait_for_call(
        "edit_message", where=lambda c: "Claimed by **Dana**" in c.json["content"], timeout=WAIT
    )
    assert edit.params["message_id"] == thread_id
    await _say(fake, dm, "Dana from our team is now looking after your request")
    await _say(fake, thread_id, "Dana claimed this ticket")

    # The agent answers in the thread; the customer gets it signed.
    await fake.dispatch(
        "MESSAGE_CREATE",
        fake.message(int(thread_id), agent_user, "Your parcel left today", member=agent),
    )
    await _say(fake, dm, "**Dana**: Your parcel left today")

    # The customer's reply reaches the thread.
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(customer, "Great, thanks!"))
    await _say(fake, thread_id, "**Alice**: Great, thanks!")

    # /resolve in the thread: the customer is asked for a rating, and rates.
    await fake.dispatch("INTERACTION_CREATE", fake.slash_command(int(thread_id), "resolve", agent))
    rating = await _say(fake, dm, "How would you rate our help")
    assert _custom_ids(rating.json) == [f"sb:rate:{n}" for n in range(1, 6)]
    followup = await fake.wait_for_call("create_followup_message", timeout=WAIT)
    assert followup.json["content"] == "done"
    keyboard = fake.messages[max(fake.messages)]
    assert keyboard["channel_id"] == dm
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(keyboard, "sb:rate:5", customer))
    await _say(fake, dm, "Thank you for your rating")

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            stored = (await connection.execute(select(Ticket.status, Ticket.rating))).one()
    finally:
        await engine.dispose()
    assert tuple(stored) == ("resolved", 5)
