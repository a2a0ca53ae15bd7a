"""A customer asks the bot to delete their data, on SQLite and PostgreSQL: a
confirmation with two buttons, "no" keeps everything, "yes" erases it in the press's
transaction (every table scanned afterwards) and says so; in German too."""

from __future__ import annotations

from sqlalchemy import select

from bot.contract import Sender
from handoff.models import Ticket
from tests.bot.conversation_kit import running_bot
from tests.bot.table_scan import mentions, scan
from tests.fakes.recording_adapter import Person

SAID = ("cust-1", "Dana", "ORD-SECRET-7781", "please delete my data")


async def test_no_keeps_the_data_and_yes_erases_it(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("talk to a human about ORD-SECRET-7781")
        await bot.settle()
        await bot.alex.presses(bot.card(), "claim")
        await bot.alex.says("/resolve", thread_id=bot.card().ref.thread_id)
        await bot.settle()
        await bot.customer.presses(bot.to_customer()[-1], "4")
        await bot.customer.says("please delete my data")
        await bot.settle()
        offer = bot.to_customer()[-1]
        await bot.customer.presses(offer, "No, keep it")
        await bot.settle()
        kept = bot.to_customer()[-1].text
        still_there = mentions(await scan(bot), SAID)

        await bot.customer.presses(offer, "Yes, delete my data")
        await bot.settle()
        done = bot.to_customer()[-1].text
        after = await scan(bot)
        async with bot.runtime._sessions() as session:
            ticket = (await session.scalars(select(Ticket))).one()

    assert "delete everything we have stored about you" in offer.text
    assert [(b.label, b.value) for b in offer.out.buttons] == [
        ("Yes, delete my data", "yes"),
        ("No, keep it", "no"),
    ]
    assert kept == "All right, nothing was deleted."
    assert {table for table, _ in still_there} >= {"conversations", "messages", "inbox"}
    assert done.startswith("Done: your data has been deleted.")
    assert mentions(after, SAID) == []
    # Only the note that says it is done still names the chat it went to.
    assert mentions(after, ("dm-1",)) == [("outbox", "dm-1")]
    assert (ticket.rating, ticket.agent_id) == (4, "agent-alex")


async def test_german_keyword_and_confirmation(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        german = Person(bot.platform, "dm-de", Sender("de-1", "Jana", "de"))
        await german.says("Bitte lösche meine Daten")
        await bot.settle()
        offer = bot.platform.to_chat("dm-de")[-1]
        await german.presses(offer, "Ja, Daten löschen")
        await bot.settle()
        done = bot.platform.to_chat("dm-de")[-1].text

    assert offer.text.startswith("Soll ich alles löschen")
    assert done.startswith("Erledigt: Ihre Daten wurden gelöscht.")
