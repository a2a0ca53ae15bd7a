"""The life of a ticket: reminders while nobody claims it, closing it when the customer
goes quiet; through the inbox, once however many processes look (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot import ticket_life
from bot.config import TicketsSection
from bot.contract import Action, Sender
from bot.flows.actions import ActionId
from bot.hours.schedule import SupportHours
from bot.runtime import Runtime
from handoff import ticket_timers
from handoff.models import InboxRow, OutboxRow, Ticket
from tests.bot.conversation_kit import OPEN_TIME, STAFF_ROOM, Bot, Clock, make_config, running_bot
from tests.fakes.recording_adapter import Person, RecordingAdapter

TICKETS = {
    "remind_unclaimed_minutes": 10,
    "remind_every_minutes": 30,
    "auto_close_hours": 2,
    "check_seconds": 3600,  # the tests sweep when they want to
}
REMINDER = "Reminder: ticket #"
CLOSED_STAFF = "was closed automatically"


async def sweep(bot: Bot) -> int:
    """What the runtime's background sweep does, once, now."""
    runtime = bot.runtime
    signals = await ticket_life.request_due(
        runtime._sessions, runtime.core, runtime.config.tickets, runtime._hours, runtime._utc_now()
    )
    await bot.settle()
    return signals


def later(bot: Bot, **delta: float) -> None:
    bot.clock.start += timedelta(**delta)


def reminders(bot: Bot) -> list[str]:
    return [s.text for s in bot.staff_room() if s.text.startswith(REMINDER)]


async def ticket(bot: Bot) -> Ticket:
    async with bot.runtime._sessions() as session:
        first = (await session.scalars(select(Ticket).order_by(Ticket.id))).first()
    assert first is not None
    return first


async def claimed_and_answered(bot: Bot) -> str:
    """Dana's ticket, claimed and answered by Alex; its thread id."""
    card = await bot.claimed_by_alex()
    thread = card.ref.thread_id
    assert thread is not None
    await bot.alex.says("Could you send me your order number?", thread_id=thread)
    await bot.settle()
    return thread


async def test_an_unclaimed_ticket_is_recalled_to_the_staff_room(database_url: str) -> None:
    async with running_bot(database_url, tickets=TICKETS) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        later(bot, minutes=5)
        assert await sweep(bot) == 0
        later(bot, minutes=6)
        assert await sweep(bot) == 1
        assert await sweep(bot) == 1  # asked again: stored and sent once
        first = bot.staff_room()[-1]
        assert first.ref.chat_id == STAFF_ROOM and first.out.to.thread_id is None
        assert first.text.startswith("Reminder: ticket #1 from Dana has been waiting 11 minutes")
        assert len(reminders(bot)) == 1

        later(bot, minutes=30)
        await sweep(bot)
        assert len(reminders(bot)) == 2
        assert "waiting 41 minutes" in reminders(bot)[-1]

        await bot.alex.presses(bot.card(), "claim")
        await bot.settle()
        later(bot, hours=2)
        assert await sweep(bot) == 0
        assert len(reminders(bot)) == 2


async def test_waiting_counts_support_hours_only(database_url: str) -> None:
    # Tuesday 16:55 in Berlin: five minutes before closing time.
    clock = Clock(start=datetime(2026, 11, 24, 15, 55, tzinfo=UTC))
    async with running_bot(database_url, clock=clock, tickets=TICKETS) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        later(bot, hours=4)
        await sweep(bot)
        assert reminders(bot) == []
        later(bot, hours=12, minutes=11)  # Wednesday 09:06
        await sweep(bot)
        assert len(reminders(bot)) == 1
        assert "waiting 11 minutes" in reminders(bot)[0]


async def test_waiting_may_count_every_minute(database_url: str) -> None:
    clock = Clock(start=datetime(2026, 11, 24, 15, 55, tzinfo=UTC))
    every_minute = {**TICKETS, "remind_outside_hours": True}
    async with running_bot(database_url, clock=clock, tickets=every_minute) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        later(bot, minutes=35)
        await sweep(bot)
        assert len(reminders(bot)) == 1
        assert "waiting 35 minutes" in reminders(bot)[0]


async def test_a_quiet_customers_ticket_is_closed_with_a_rating_question(
    database_url: str,
) -> None:
    async with running_bot(database_url, tickets=TICKETS) as bot:
        thread = await claimed_and_answered(bot)
        later(bot, hours=1)
        await bot.customer.says("It's 1234")
        await bot.settle()
        later(bot, minutes=30)
        await bot.alex.says("Thanks, checking.", thread_id=thread)
        await bot.settle()
        later(bot, hours=1, minutes=59)
        assert await sweep(bot) == 0  # two hours after the last reply, not after the first

        later(bot, minutes=2)
        assert await sweep(bot) == 1
        notice = bot.to_customer()[-1]
        assert notice.text.startswith("We haven't heard back from you, so I've closed your request")
        assert "ticket #1" in notice.text
        assert [b.value for b in notice.out.buttons] == ["1", "2", "3", "4", "5"]
        assert any(
            s.text.startswith(
                f"Ticket #1 {CLOSED_STAFF}: the customer had not answered for 2 hours"
            )
            for s in bot.thread()
        )
        assert "Resolved by Alex" in bot.card_now().text
        closed = await ticket(bot)
        assert closed.status == "resolved"
        assert closed.resolved_at is not None
        assert abs(closed.resolved_at - bot.runtime._utc_now()) < timedelta(seconds=30)

        told = len(bot.to_customer())
        later(bot, hours=5)
        assert await sweep(bot) == 0
        assert len(bot.to_customer()) == told

        await bot.customer.says("5")
        await bot.settle()
        assert bot.to_customer()[-1].text == "Thank you for your rating!"
        assert (await ticket(bot)).rating == 5


async def test_an_answer_just_before_the_close_keeps_the_ticket_open(database_url: str) -> None:
    async with running_bot(database_url, tickets=TICKETS) as bot:
        await claimed_and_answered(bot)
        later(bot, hours=3)
        async with bot.runtime._sessions() as session:
            (due,) = await ticket_timers.silent(session, bot.runtime._utc_now())
        # The sweep saw the ticket due; the customer's answer reaches the lane first.
        await bot.customer.says("Sorry, here it is: 1234")
        await bot.runtime.core.receive(
            ticket_life.signal(due.customer, ActionId.AUTO_CLOSE, 1, due.reply_id)
        )
        await bot.settle()
        assert (await ticket(bot)).status == "claimed"
        assert bot.thread()[-1].text == "Dana: Sorry, here it is: 1234"
        assert not any(s.text.startswith("We haven't heard") for s in bot.to_customer())


async def test_forged_signals_do_nothing(database_url: str) -> None:
    async with running_bot(database_url, tickets=TICKETS) as bot:
        await claimed_and_answered(bot)
        later(bot, hours=3)
        async with bot.runtime._sessions() as session:
            (due,) = await ticket_timers.silent(session, bot.runtime._utc_now())
        value = f"1:{due.reply_id}"
        for action, forged_value, event_id in (
            ("auto_close", value, "1234567.89"),  # a platform's own press id
            ("auto_close", value, ""),
            ("auto_close", "1:²", "auto_close:1:²"),
            ("auto_close", "99999999999999999999999:1", "auto_close:99999999999999999999999:1"),
            ("remind_unclaimed", "1:0", "remind_unclaimed:1:0"),  # claimed: not waiting
        ):
            await bot.platform.hand_over(
                Action(
                    "test",
                    bot.customer.chat_id,
                    None,
                    bot.customer.sender,
                    action,
                    forged_value,
                    "m1",
                    event_id=event_id,
                )
            )
        await bot.settle()
        assert (await ticket(bot)).status == "claimed"
        assert reminders(bot) == []


async def test_a_blocked_customers_tickets_are_closed_and_not_swept(database_url: str) -> None:
    async with running_bot(database_url, tickets=TICKETS) as bot:
        thread = await claimed_and_answered(bot)
        await bot.alex.says("!block spam", thread_id=thread)
        eve = Person(bot.platform, "dm-2", Sender("cust-2", "Eve"))
        await eve.says("talk to a human")
        await bot.settle()
        await bot.alex.says("!block test:cust-2")
        await bot.settle()
        told = len(bot.to_customer()), len(bot.platform.to_chat("dm-2"))
        later(bot, hours=3)
        assert await sweep(bot) == 0  # blocking closed both tickets: nothing left to sweep
        assert (await ticket(bot)).status == "resolved"
        assert reminders(bot) == []
        assert (len(bot.to_customer()), len(bot.platform.to_chat("dm-2"))) == told


async def test_the_runtime_sweeps_in_the_background(database_url: str) -> None:
    async with running_bot(database_url, tickets={**TICKETS, "check_seconds": 0.05}) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        later(bot, minutes=12)
        for _ in range(100):
            await asyncio.sleep(0.05)
            await bot.settle()
            if reminders(bot):
                break
        assert len(reminders(bot)) == 1


def test_support_time_skips_closed_hours() -> None:
    hours = SupportHours.from_config(make_config("sqlite://").hours)
    friday_evening = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 16:30 in Berlin
    monday_morning = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)  # 09:15 in Berlin
    assert ticket_life.support_time(hours, friday_evening, monday_morning) == timedelta(minutes=45)
    assert ticket_life.support_time(hours, monday_morning, friday_evening) == timedelta()
    never = SupportHours.from_config(make_config("sqlite://", hours={"weekly": {}}).hours)
    assert ticket_life.support_time(never, friday_evening, monday_morning) == timedelta()


def test_reminder_numbers() -> None:
    settings = TicketsSection(remind_unclaimed_minutes=10, remind_every_minutes=30)
    assert ticket_life.reminder_number(timedelta(minutes=9), settings) is None
    assert ticket_life.reminder_number(timedelta(minutes=10), settings) == 0
    assert ticket_life.reminder_number(timedelta(minutes=39), settings) == 0
    assert ticket_life.reminder_number(timedelta(minutes=40), settings) == 1
    assert ticket_life.reminder_number(timedelta(days=1), TicketsSection()) is None


async def test_two_processes_remind_once_and_close_once(database_url: str) -> None:
    """Two bots on one database, each sweeping in the background as often as it can."""
    eager = {**TICKETS, "check_seconds": 0.05}
    clock = Clock(start=OPEN_TIME)
    async with running_bot(database_url, clock=clock, tickets=eager) as bot:
        other_platform = RecordingAdapter()
        other = Runtime(make_config(database_url, tickets=eager), [other_platform], now=clock)
        await other.start(deliver=False)
        try:
            await claimed_and_answered(bot)
            eve = Person(bot.platform, "dm-2", Sender("cust-2", "Eve"))
            await eve.says("talk to a human")
            await bot.settle()

            later(bot, hours=3)
            runtimes = (bot.runtime, other)
            await asyncio.gather(
                *(
                    ticket_life.request_due(
                        r._sessions, r.core, r.config.tickets, r._hours, r._utc_now()
                    )
                    for r in runtimes
                )
            )
            await asyncio.sleep(0.5)  # the background sweeps of both run meanwhile
            for runtime in runtimes:
                assert await runtime.settle(5.0)
            sent = [s.text for s in bot.platform.sent + other_platform.sent]
            assert len([t for t in sent if t.startswith(REMINDER)]) == 1
            assert len([t for t in sent if CLOSED_STAFF in t]) == 1
            assert len([t for t in sent if t.startswith("We haven't heard")]) == 1
            assert await _outbox_texts_with(bot, "Reminder") == 1
            async with bot.runtime._sessions() as session:
                keys = list(await session.scalars(select(InboxRow.event_key)))
            assert len([k for k in keys if k.startswith("a:remind_unclaimed:")]) == 1
            assert len([k for k in keys if k.startswith("a:auto_close:")]) == 1
        finally:
            await other.stop()


async def _outbox_texts_with(bot: Bot, word: str) -> int:
    async with bot.runtime._sessions() as session:
        payloads: list[dict[str, Any]] = list(await session.scalars(select(OutboxRow.payload)))
    return sum(any(word in span[0] for span in p["text"]) for p in payloads)
