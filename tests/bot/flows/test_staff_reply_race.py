"""An agent replying to a message the bot sent a moment ago, before the delivery worker
recorded its id, is not dropped: the reply waits for the bookkeeping (SQLite and
PostgreSQL); a reply to a bot message that stays unknown is answered, not ignored."""

from __future__ import annotations

import asyncio

from bot.contract import Inbound
from handoff import tickets
from tests.bot.conversation_kit import STAFF_ROOM, Bot, running_bot


def reply_to_bot(bot: Bot, message_id: str, text: str) -> Inbound:
    return Inbound(
        "test",
        STAFF_ROOM,
        None,
        bot.alex.sender,
        text,
        f"agent-{message_id}",
        from_staff_room=True,
        reply_to=message_id,
        reply_to_bot=True,
    )


async def claimed_ticket(bot: Bot) -> None:
    await bot.customer.says("talk to a human")
    await bot.settle()
    await bot.alex.presses(bot.card(), "claim")
    await bot.settle()


async def test_a_reply_waits_until_the_bot_has_recorded_its_message(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await claimed_ticket(bot)
        reply = asyncio.create_task(
            bot.runtime.core.receive(reply_to_bot(bot, "m-late", "Your parcel left today"))
        )
        await asyncio.sleep(0.8)  # the delivery worker records the relayed message late
        async with bot.runtime._sessions() as session, session.begin():
            await tickets.remember_thread_message(session, "test", STAFF_ROOM, "m-late", 1)
        await reply
        await bot.settle()
        assert "Your parcel left today" in bot.to_customer()[-1].text


async def test_a_reply_to_an_unknown_bot_message_is_answered(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await claimed_ticket(bot)
        await bot.runtime.core.receive(reply_to_bot(bot, "m-never", "hello?"))
        await bot.settle()
        assert "couldn't tell which ticket" in bot.platform.last(STAFF_ROOM).text
        assert all("hello?" not in sent.text for sent in bot.to_customer())
