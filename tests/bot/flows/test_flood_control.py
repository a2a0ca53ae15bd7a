"""Flood control: a customer past the rate limit is told once, kept, not answered, and
relayed to their ticket in one batch once they stop; a cap on open tickets per
customer across chats (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.contract import Sender
from handoff.models import Message, Ticket
from tests.bot.conversation_kit import Bot, running_bot
from tests.fakes.recording_adapter import Person

LIMITS = {"messages": 3, "window_seconds": 1.0, "open_tickets": 1}
QUESTION = "Where is my order?"


async def transcript(bot: Bot) -> list[tuple[str, str]]:
    async with bot.runtime._sessions() as session:
        rows = await session.scalars(
            select(Message).where(Message.author == "Dana").order_by(Message.id)
        )
        return [(str(row.kind), row.text) for row in rows]


async def after_the_window(bot: Bot) -> None:
    """Until the runtime's sweep (every half window) has released what was held."""
    await asyncio.sleep(LIMITS["window_seconds"] * 2)
    await bot.settle()


async def test_past_the_limit_the_customer_is_told_once_and_not_answered(
    database_url: str,
) -> None:
    async with running_bot(database_url, limits=LIMITS) as bot:
        for _ in range(6):
            await bot.customer.says(QUESTION)
        await bot.settle()

        replies = [sent.text for sent in bot.to_customer()]
        assert sum("tracking" in text for text in replies) == 3
        assert sum("very quickly" in text for text in replies) == 1
        assert len(replies) == 4
        kinds = [kind for kind, _ in await transcript(bot)]
        assert kinds == ["customer"] * 3 + ["held"] * 3

        # Held messages of a customer without a ticket join the transcript, unanswered.
        await after_the_window(bot)
        assert len(bot.to_customer()) == 4
        assert [kind for kind, _ in await transcript(bot)] == ["customer"] * 6


async def test_held_messages_reach_the_ticket_thread_as_one_batch(database_url: str) -> None:
    async with running_bot(database_url, limits=LIMITS) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        await asyncio.sleep(LIMITS["window_seconds"])
        for number in range(7):
            await bot.customer.says(f"line {number}")
        await bot.settle()
        relayed = [sent.text for sent in bot.thread()]
        assert [text for text in relayed if "line" in text] == [
            "Dana: line 0",
            "Dana: line 1",
            "Dana: line 2",
        ]

        await after_the_window(bot)
        batch = bot.thread()[-1].text
        assert batch.startswith("Dana wrote 4 messages in quick succession")
        assert all(f"line {n}" in batch for n in range(3, 7))
        await after_the_window(bot)
        assert [sent.text for sent in bot.thread()].count(batch) == 1  # once


async def test_a_flood_does_not_stop_other_customers_answers(database_url: str) -> None:
    async with running_bot(database_url, limits=LIMITS) as bot:
        bot.platform.handled_before_return = False
        eve = Person(bot.platform, "dm-2", Sender("cust-2", "Eve", "en"))
        flood_task = asyncio.gather(*(bot.customer.says(f"spam {n}") for n in range(200)))
        await eve.says(QUESTION)
        await flood_task
        await bot.settle()
        assert "tracking" in bot.platform.last("dm-2").text
        assert len(bot.to_customer()) <= LIMITS["messages"] + 1


async def test_open_tickets_per_customer_are_capped_across_chats(database_url: str) -> None:
    async with running_bot(database_url, limits=LIMITS) as bot:
        await bot.customer.says("talk to a human")
        same_person_elsewhere = Person(bot.platform, "dm-other", bot.customer.sender)
        await same_person_elsewhere.says("talk to a human")
        await bot.settle()

        async with bot.runtime._sessions() as session:
            assert len(list(await session.scalars(select(Ticket)))) == 1
        assert "already have 1 open request" in bot.platform.last("dm-other").text
