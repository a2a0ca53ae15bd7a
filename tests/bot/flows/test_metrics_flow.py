"""What the running bot records for the report, on SQLite and PostgreSQL: the outcome of
each question on its transcript line, a ticket's first agent reply, and the expected
wait that follows the recent median first response time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from handoff.models import Conversation, Message, Ticket
from handoff.states import MessageKind, TicketReason, TicketStatus
from tests.bot.conversation_kit import OPEN_TIME, running_bot


async def _lines(bot: Any) -> list[tuple[str, str, str | None]]:
    async with bot.runtime._sessions() as session:
        rows = await session.scalars(select(Message).order_by(Message.id))
        return [(m.kind, m.text, m.outcome) for m in rows]


async def test_each_question_keeps_what_the_bot_did_with_it(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        for text in ("Where is my order?", "payment", "qwzx vbnm plkj", "zzzz yyyy xxxx"):
            await bot.customer.says(text)
            await bot.settle()
        await bot.customer.says("are you there?")  # relayed to the ticket: not a question
        await bot.settle()
        await bot.customer.presses(bot.to_customer()[0], "helpful")
        await bot.settle()
        lines = await _lines(bot)

    customer = [(text, outcome) for kind, text, outcome in lines if kind == MessageKind.CUSTOMER]
    assert customer == [
        ("Where is my order?", "answered"),
        ("payment", "suggested"),
        ("qwzx vbnm plkj", "none"),
        ("zzzz yyyy xxxx", "handed_off"),
        ("are you there?", None),
    ]
    assert all(outcome is None for kind, _, outcome in lines if kind != MessageKind.CUSTOMER)


async def test_the_first_agent_reply_sets_the_first_response_time(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        card = bot.card()
        thread = card.ref.thread_id
        await bot.alex.presses(card, "claim")
        await bot.alex.says("/note not a reply", thread_id=thread)
        await bot.settle()
        async with bot.runtime._sessions() as session:
            before = (await session.scalars(select(Ticket))).one().first_reply_at
        await bot.alex.says("Hello Dana", thread_id=thread)
        await bot.settle()
        await bot.alex.says("One more thing", thread_id=thread)
        await bot.settle()
        async with bot.runtime._sessions() as session:
            ticket = (await session.scalars(select(Ticket))).one()
            replies = list(
                await session.scalars(
                    select(Message.created_at)
                    .where(Message.kind == MessageKind.AGENT)
                    .order_by(Message.id)
                )
            )

    assert before is None
    assert len(replies) == 2
    assert ticket.first_reply_at == replies[0]
    assert ticket.created_at < replies[0] < replies[1]


async def _answered_earlier(bot: Any, waits: list[tuple[timedelta, timedelta]]) -> None:
    """Tickets opened `ago` before now and first answered `after` that."""
    now = OPEN_TIME.replace(tzinfo=None)
    async with bot.runtime._sessions() as session, session.begin():
        for number, (ago, after) in enumerate(waits):
            earlier = Conversation(
                platform="test",
                chat_id=f"old-{number}",
                user_id=f"old-{number}",
                display_name="Earlier",
                locale="en",
                created_at=now - ago,
                updated_at=now - ago,
            )
            session.add(earlier)
            await session.flush()
            session.add(
                Ticket(
                    conversation_id=earlier.id,
                    status=TicketStatus.RESOLVED,
                    reason=TicketReason.ASKED,
                    card_platform="test",
                    card_chat_id="staff",
                    created_at=now - ago,
                    first_reply_at=now - ago + after,
                    resolved_at=now - ago + after,
                )
            )


async def test_the_expected_wait_is_the_configured_one_without_data(database_url: str) -> None:
    async with running_bot(database_url, staff={"minutes_per_ticket": 7}) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()

    assert "expected wait is about 7 minutes" in bot.to_customer()[-1].text


async def test_the_expected_wait_follows_last_weeks_median_in_hours(database_url: str) -> None:
    hour, minute, day = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)
    async with running_bot(database_url, staff={"minutes_per_ticket": 7}) as bot:
        await _answered_earlier(
            bot,
            [
                (day, 10 * minute),  # Monday 10:00 Berlin
                (day + hour, 12 * minute),  # 09:00
                (day - hour, 30 * minute),  # 11:00
                (day + 2 * hour, 2 * hour),  # 08:00: outside support hours
                (day + 16 * hour, 9 * hour),  # Sunday evening: outside too
                (8 * day, minute),  # more than a week ago
            ],
        )
        await bot.customer.says("talk to a human")
        await bot.settle()

    assert "expected wait is about 12 minutes" in bot.to_customer()[-1].text
