"""A forum where the bot may not create topics: cards fall back to reply chains."""

from __future__ import annotations

from adapters.telegram import TelegramAdapter
from adapters.telegram.topics import TOPICS_UNAVAILABLE
from bot.contract import Address, Button, Inbound, Outbound, plain
from tests.adapters.telegram.conftest import (
    AGENT,
    STAFF_GROUP,
    RecordingCore,
    staff_section,
    telegram_section,
)
from tests.fakes.telegram_api import FakeTelegramApi

NO_RIGHTS = "Bad Request: not enough rights to create a topic"
TO_STAFF = Address("telegram", str(STAFF_GROUP))


def _card(number: int) -> Outbound:
    return Outbound(
        TO_STAFF,
        plain(f"Ticket {number}"),
        buttons=(Button("Claim", "claim", str(number)),),
        open_thread=f"#{number}",
    )


def _notices(fake: FakeTelegramApi) -> list[dict[str, object]]:
    return [m for m in fake.messages_in(STAFF_GROUP) if m["text"] == TOPICS_UNAVAILABLE]


async def test_no_topic_rights_falls_back_to_a_reply_chain_and_says_so_once(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.fail_next("createForumTopic", times=2, status=400, description=NO_RIGHTS)

    first = await adapter.send(_card(1))
    second = await adapter.send(_card(2))
    relayed = await adapter.send(
        Outbound(Address("telegram", str(STAFF_GROUP), first.thread_id), plain("Ann: hello?"))
    )
    fake.user_writes(AGENT, "On it", chat_id=STAFF_GROUP, reply_to=int(first.message_id))
    agent_reply = await core.next_event()

    assert fake.topics(STAFF_GROUP) == {}
    assert first.thread_id == first.message_id
    assert second.thread_id == second.message_id
    card = fake.message(STAFF_GROUP, first.message_id)
    assert "message_thread_id" not in card
    assert card["reply_markup"]["inline_keyboard"][0][0]["text"] == "Claim"
    shown = fake.message(STAFF_GROUP, relayed.message_id)
    assert "message_thread_id" not in shown
    assert str(shown["reply_to_message"]["message_id"]) == first.message_id
    assert relayed.thread_id == first.thread_id
    assert len(_notices(fake)) == 1
    assert isinstance(agent_reply, Inbound)
    assert agent_reply.reply_to == first.message_id


async def test_a_reply_chain_is_still_one_after_a_restart(
    fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.fail_next("createForumTopic", status=400, description=NO_RIGHTS)
    before = TelegramAdapter(telegram_section(fake), staff_section())
    await before.start(core)
    try:
        card = await before.send(_card(3))
    finally:
        await before.stop()

    after = TelegramAdapter(telegram_section(fake), staff_section())
    await after.start(core)
    try:
        relayed = await after.send(
            Outbound(Address("telegram", str(STAFF_GROUP), card.thread_id), plain("still here"))
        )
    finally:
        await after.stop()

    shown = fake.message(STAFF_GROUP, relayed.message_id)
    assert str(shown["reply_to_message"]["message_id"]) == card.message_id
    assert relayed.thread_id == card.thread_id


async def test_topics_come_back_once_the_bot_may_create_them(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    fake.fail_next("createForumTopic", status=400, description=NO_RIGHTS)

    chained = await adapter.send(_card(4))
    topical = await adapter.send(_card(5))

    assert chained.thread_id == chained.message_id
    assert fake.topics(STAFF_GROUP) == {int(topical.thread_id or 0): "#5"}
    assert fake.message(STAFF_GROUP, topical.message_id)["message_thread_id"] == int(
        topical.thread_id or 0
    )
