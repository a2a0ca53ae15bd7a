"""Agents' canned answers, on SQLite and PostgreSQL: `!s NAME` and `!faq ID` in a ticket's
thread reach the customer in their language, signed like a reply, with placeholders
filled in as plain text, and count as the agent's first response; `!s` alone lists the
snippets; an unknown name or an unclaimed ticket is refused; an edit is hot-reloaded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.contract import Sender, Style
from handoff.models import Message, Ticket
from handoff.states import MessageKind
from tests.bot.conversation_kit import Bot, running_bot
from tests.fakes.recording_adapter import Person

SNIPPETS = """\
snippets:
  - name: hello
    text:
      en: "Hi {customer}, I'm {agent}: **ticket #{ticket}** is mine."
      de: "Hallo {customer}, ich bin {agent}: **Ticket #{ticket}** gehört mir."
  - name: wait
    text: "One moment please."
"""


def write(path: Path, text: str = SNIPPETS) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


async def claimed_ticket(bot: Bot, customer: Person, chat: str) -> str:
    """The customer asks for a person and Alex claims the ticket: its thread's id."""
    await customer.says("I want to talk to a human")
    await bot.settle()
    await bot.alex.presses(bot.card(), "claim")
    await bot.settle()
    thread = bot.card().ref.thread_id
    assert thread is not None
    return thread


async def test_a_snippet_reaches_the_customer_as_the_agents_reply(
    database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "snippets.yaml")
    async with running_bot(database_url, snippets={"path": str(path)}) as bot:
        customer = Person(bot.platform, "dm-7", Sender("cust-7", "**Eve** <!channel>", "en"))
        thread = await claimed_ticket(bot, customer, "dm-7")
        await bot.alex.says("!s hello", thread_id=thread)
        await bot.settle()
        sent = bot.platform.to_chat("dm-7")[-1]
        shown = bot.thread()[-1].text
        async with bot.runtime._sessions() as session:
            ticket = (await session.scalars(select(Ticket))).one()
            lines = (
                await session.scalars(select(Message).where(Message.kind == MessageKind.AGENT))
            ).all()

    expected = f"Hi **Eve** <!channel>, I'm Alex: ticket #{ticket.id} is mine."
    assert sent.text == f"Alex: {expected}"
    spans = sent.out.text
    # The customer's name is a plain span of its own, never markup; the snippet's
    # own **bold** is bold; the signature is the agent's reply's.
    assert any(s.text == "**Eve** <!channel>" and s.style == Style.PLAIN for s in spans)
    bold = [s.text for s in spans if s.style == Style.BOLD]
    assert bold == ["Alex", "ticket #", str(ticket.id)]
    assert shown == f"Sent to the customer: {expected}"
    assert ticket.first_reply_at is not None
    assert [(line.author, line.text) for line in lines] == [("Alex", expected)]


async def test_german_customer_gets_german_and_a_missing_locale_falls_back_to_english(
    database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "snippets.yaml")
    async with running_bot(database_url, snippets={"path": str(path)}) as bot:
        german = Person(bot.platform, "dm-de", Sender("de-1", "Jana", "de"))
        await german.says("Ich möchte mit einem Menschen sprechen")
        await bot.settle()
        await bot.alex.presses(bot.card(), "claim")
        thread = bot.card().ref.thread_id
        await bot.alex.says("!s Hello", thread_id=thread)
        await bot.alex.says("!s wait", thread_id=thread)
        await bot.settle()
        said = [s.text for s in bot.platform.to_chat("dm-de")[-2:]]

    assert said[0].startswith("Alex: Hallo Jana, ich bin Alex: Ticket #")
    assert said[1] == "Alex: One moment please."


async def test_listing_unknown_names_and_unclaimed_tickets(
    database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "snippets.yaml")
    async with running_bot(database_url, snippets={"path": str(path)}) as bot:
        await bot.customer.says("I want to talk to a human")
        await bot.settle()
        thread = bot.card().ref.thread_id
        await bot.alex.says("!s", thread_id=thread)
        await bot.alex.says("!s helo", thread_id=thread)
        await bot.alex.says("!s hello", thread_id=thread)
        await bot.alex.says("!faq no-such-entry", thread_id=thread)
        await bot.settle()
        replies = [s.text for s in bot.thread()[-4:]]
        to_customer = [s.text for s in bot.to_customer()]

    assert replies[0] == (
        "Snippets: hello, wait. Send one with !s NAME; an FAQ answer with !faq ID."
    )
    assert replies[1] == 'There is no snippet "helo". Snippets: hello.'
    assert replies[2].startswith("Claim this ticket first")
    assert replies[3].startswith('There is no FAQ entry "no-such-entry". Entries: ')
    assert not any("Hi Dana" in text for text in to_customer)


async def test_an_faq_answer_is_sent_the_same_way(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        entry = bot.runtime.faq.faq.entries[0]
        thread = await claimed_ticket(bot, bot.customer, "dm-1")
        await bot.alex.says(f"/faq {entry.id}", thread_id=thread)
        await bot.settle()
        sent = bot.to_customer()[-1].text
        async with bot.runtime._sessions() as session:
            ticket = (await session.scalars(select(Ticket))).one()

    assert sent == f"Alex: {entry.answer_for('en', 'en')}"
    assert ticket.first_reply_at is not None


async def test_an_edit_is_reloaded_and_a_broken_one_keeps_the_last_good(
    database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "snippets.yaml")
    async with running_bot(database_url, snippets={"path": str(path)}) as bot:
        thread = await claimed_ticket(bot, bot.customer, "dm-1")
        write(path, SNIPPETS.replace("One moment please.", "Just a second."))
        assert bot.runtime.snippets.reload_if_changed()
        await bot.alex.says("!s wait", thread_id=thread)
        write(path, SNIPPETS + "  - name: broken\n    text: 'Hello {costumer}'\n")
        assert not bot.runtime.snippets.reload_if_changed()
        await bot.alex.says("!s wait", thread_id=thread)
        await bot.settle()
        said = [s.text for s in bot.to_customer()[-2:]]
        error = bot.runtime.snippets.last_error

    assert said == ["Alex: Just a second.", "Alex: Just a second."]
    assert error is not None
    assert "unknown placeholder {costumer}" in str(error)
