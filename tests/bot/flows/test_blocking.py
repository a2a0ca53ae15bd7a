"""Blocking customers, on SQLite and PostgreSQL: `!block` in a ticket's thread or by
PLATFORM:USER_ID from the staff room; a blocked customer gets one polite notice in
their language and nothing else (no answer, no ticket, no relay, no button handled);
a block runs out after its duration or is lifted by `!unblock`; `!blocked` lists them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.contract import Sender
from handoff.models import Ticket
from tests.bot.conversation_kit import STAFF_ROOM, Bot, running_bot
from tests.fakes.recording_adapter import Person

NOTICE = "We're sorry, but we can't respond to your messages at the moment."


async def ticket_count(bot: Bot) -> int:
    async with bot.runtime._sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Ticket)) or 0)


async def test_a_block_in_a_ticket_thread_silences_the_customer(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("I want to talk to a human")
        await bot.settle()
        await bot.alex.presses(bot.card(), "claim")
        await bot.settle()
        thread = bot.card().ref.thread_id
        await bot.alex.says("!block 2h insults", thread_id=thread)
        await bot.settle()
        confirmed = bot.thread()[-1].text
        staff_before = len(bot.staff_room())
        customer_before = len(bot.to_customer())

        await bot.customer.says("you are all useless")
        await bot.customer.says("how long does shipping take?")
        await bot.customer.says("I want to talk to a human")
        await bot.settle()
        to_customer = [s.text for s in bot.to_customer()[customer_before:]]
        staff_after = len(bot.staff_room())
        tickets = await ticket_count(bot)

    assert confirmed == (
        "Dana (test:cust-1) is blocked until 2026-11-24 11:00 UTC: they get one notice, and"
        " nothing they write reaches the staff room. !unblock lifts it."
    )
    assert len(to_customer) == 1 and to_customer[0].startswith(NOTICE)
    assert staff_after == staff_before
    assert tickets == 1


async def test_a_block_by_user_id_lists_runs_out_and_lifts(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        german = Person(bot.platform, "dm-de", Sender("de-1", "Jana", "de"))
        await bot.alex.says("!block test:de-1 30m spam")
        await bot.sam.says("!block test:cust-1")
        await bot.alex.says("!blocked")
        await bot.settle()
        listing = bot.staff_room()[-1].text
        await german.says("Hallo?")
        await german.says("Hallo??")
        await bot.settle()
        german_told = [s.text for s in bot.platform.to_chat("dm-de")]

        bot.clock.start += timedelta(minutes=31)
        await german.says("Wie lange dauert der Versand?")
        await bot.customer.says("hello?")
        await bot.alex.says("!unblock test:cust-1")
        await bot.alex.says("!unblock test:cust-1")
        await bot.customer.says("how long does shipping take?")
        await bot.settle()
        german_after = [s.text for s in bot.platform.to_chat("dm-de")]
        lifted = [s.text for s in bot.staff_room()[-2:]]
        customer_said = [s.text for s in bot.to_customer()]

    assert listing.splitlines() == [
        "Blocked:",
        "test:cust-1, until unblocked, by Sam: -",
        "test:de-1, until 2026-11-24 09:30 UTC, by Alex: spam",
    ]
    assert german_told == [
        "Es tut uns leid, aber wir können auf Ihre Nachrichten derzeit nicht antworten."
        " Vielen Dank für Ihr Verständnis."
    ]
    # Past its 30 minutes the block is over: the bot answers again.
    assert german_after[:1] == german_told and len(german_after) == 2
    assert german_after[1] != german_told[0]
    assert lifted == ["test:cust-1 is unblocked.", "test:cust-1 is not blocked."]
    assert customer_said[0].startswith(NOTICE)
    assert len(customer_said) == 2 and not customer_said[1].startswith(NOTICE)


async def test_a_blocked_customers_button_press_does_nothing(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("something the faq does not know about zebras")
        await bot.settle()
        offer = bot.to_customer()[-1]
        await bot.alex.says("!block test:cust-1 1d")
        await bot.customer.presses(offer, "Talk to a person")
        await bot.customer.presses(offer, "Talk to a person")
        await bot.settle()
        said = [s.text for s in bot.to_customer()[1:]]
        tickets = await ticket_count(bot)

    assert len(said) == 1 and said[0].startswith(NOTICE)
    assert tickets == 0


async def test_refusals_say_how_to_use_the_commands(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.alex.says("!block 2h")
        await bot.alex.says("!blocked")
        await bot.alex.says("!block test:someone 99999d")
        await bot.settle()
        said = [s.text for s in bot.platform.to_chat(STAFF_ROOM)]

    assert said[0].startswith("In a ticket thread: !block [30m|2h|7d] [reason], !unblock.")
    assert said[1] == "Nobody is blocked."
    # Too long a duration is no duration: it becomes part of the reason, the block lasts.
    assert said[2].startswith("test:someone is blocked until unblocked")
