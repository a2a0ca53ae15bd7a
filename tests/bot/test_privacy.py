"""A customer's data erased after a whole conversation through the running bot (FAQ
answer, ticket, agent replies and a note, rating), on SQLite and PostgreSQL: every text
and JSON column of every table is scanned afterwards for their id, name, chat and what
was said; another customer's data and the anonymous metrics stay, and so does their
block, holding nothing but who and until. Texts older than the retention period, and
blocks that ran out before it, are purged by the running bot."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.contract import Sender
from handoff import metrics, privacy
from handoff.models import Block, InboxRow, Message, Ticket
from handoff.privacy import Person
from handoff.states import MessageKind
from tests.bot.conversation_kit import OPEN_TIME, Bot, Clock, running_bot
from tests.bot.table_scan import mentions, scan
from tests.fakes.recording_adapter import Person as Typist

SECRETS = ("cust-1", "Dana", "dm-1", "ORD-SECRET-7781", "555-0199", "Rosenweg 12")
NOTICE = "We're sorry, but we can't respond to your messages at the moment."


async def _whole_conversation(bot: Bot) -> None:
    """Dana's conversation end to end; and another customer who stays."""
    other = Typist(bot.platform, "dm-2", Sender("cust-2", "Olaf", "en"))
    await bot.customer.says("Where is my order?")
    await other.says("Where is my order?")
    await bot.settle()
    await other.says("it is ORD-OLAF-1")
    await bot.customer.says("talk to a human: ORD-SECRET-7781, call 555-0199")
    await bot.settle()
    card = bot.card()
    thread = card.ref.thread_id
    await bot.alex.presses(card, "claim")
    await bot.alex.says("Hi Dana, checking ORD-SECRET-7781", thread_id=thread)
    await bot.alex.says("/note Dana lives at Rosenweg 12", thread_id=thread)
    await bot.settle()
    await bot.customer.says("I live at Rosenweg 12")
    await bot.settle()
    await bot.alex.says("/resolve", thread_id=thread)
    await bot.settle()
    await bot.customer.presses(bot.to_customer()[-1], "5")
    await bot.settle()


async def test_erasing_leaves_no_trace_in_any_table(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await _whole_conversation(bot)
        thread = bot.card().ref.thread_id
        await bot.alex.says("!block 7d Dana ORD-SECRET-7781 555-0199", thread_id=thread)
        await bot.settle()
        sessions = bot.runtime._sessions
        async with sessions() as session:
            exported = await privacy.export(session, Person("test", "cust-1"))
            questions_before = await metrics.questions(session)
        before = await scan(bot)
        async with sessions() as session, session.begin():
            erased = await privacy.erase(
                session, Person("test", "cust-1"), bot.clock().replace(tzinfo=None)
            )
        after = await scan(bot)
        async with sessions() as session:
            questions_after = await metrics.questions(session)
            ticket = (await session.scalars(select(Ticket))).one()
            again = await privacy.export(session, Person("test", "cust-1"))
        # The customer comes back: still blocked, whatever they asked to delete; once
        # unblocked, a new conversation, answered as anyone would be.
        await bot.customer.says("Where is my order?")
        await bot.settle()
        turned_away = bot.to_customer()[-1].text
        await bot.alex.says("!unblock test:cust-1")
        await bot.customer.says("Where is my order?")
        await bot.settle()
        answer = bot.to_customer()[-1]

    assert {"inbox", "outbox", "messages", "conversations", "blocks"} <= {
        t for t, _ in mentions(before, SECRETS)
    }
    assert [(b["display_name"], b["reason"]) for b in exported["blocks"]] == [
        ("Dana", "Dana ORD-SECRET-7781 555-0199")
    ]
    said = [m["text"] for m in exported["messages"]]
    assert "talk to a human: ORD-SECRET-7781, call 555-0199" in said
    assert "I live at Rosenweg 12" in said
    assert exported["received_events"] and exported["outgoing_messages"]
    assert [t["rating"] for t in exported["tickets"]] == [5]
    assert len(erased.conversations) == 1 and len(erased.tickets) == 1

    # The block stays, by user id alone: no name, no reason, nothing said anywhere else.
    assert mentions(after, SECRETS) == [("blocks", "cust-1")]
    assert sorted(after["blocks"]) == sorted(["test", "cust-1", "", "agent-alex", "Alex"])
    assert [(b["display_name"], b["reason"]) for b in again["blocks"]] == [(None, "")]
    assert turned_away.startswith(NOTICE)
    assert set(mentions(after, ("cust-2", "Olaf", "ORD-OLAF-1"))) >= {
        ("conversations", "cust-2"),
        ("messages", "ORD-OLAF-1"),
        ("inbox", "ORD-OLAF-1"),
    }
    assert [(q.platform, q.outcome) for q in questions_after] == [
        (q.platform, q.outcome) for q in questions_before
    ]
    assert (ticket.status, ticket.rating, ticket.agent_id) == ("resolved", 5, "agent-alex")
    assert ticket.first_reply_at is not None
    assert again["conversations"] == [] and again["received_events"] == []
    assert answer.out.buttons[0].value == "order-status"


async def test_erasing_closes_an_open_ticket_and_drops_what_was_not_sent_yet(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        await bot.customer.says("anyone there? ORD-SECRET-7781")
        # Not delivered yet: the relay and the customer's row wait in the outbox.
        async with bot.runtime._sessions() as session, session.begin():
            await privacy.erase(session, Person("test", "cust-1"), bot.clock().replace(tzinfo=None))
        await bot.settle()
        after = await scan(bot)
        async with bot.runtime._sessions() as session:
            ticket = (await session.scalars(select(Ticket))).one()

    assert ticket.status == "resolved" and ticket.resolved_at is not None
    assert mentions(after, SECRETS) == []
    assert not any("ORD-SECRET-7781" in s.text for s in bot.platform.sent)


async def _texts(bot: Bot) -> list[tuple[str, str]]:
    async with bot.runtime._sessions() as session:
        rows = await session.scalars(select(Message).order_by(Message.id))
        return [(m.text, m.outcome or "") for m in rows if m.kind == MessageKind.CUSTOMER]


async def test_the_running_bot_purges_texts_older_than_the_retention(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "bot.retention")
    long_ago = Clock(OPEN_TIME - timedelta(days=40))
    async with running_bot(database_url, clock=long_ago) as bot:
        await _whole_conversation(bot)
        await bot.alex.says("!block test:spammer 1d ORD-SPAM-1")
        await bot.alex.says("!block test:abuser ORD-ABUSE-2")
        waiting = Typist(bot.platform, "dm-3", Sender("cust-3", "Wren", "en"))
        await waiting.says("talk to a human about ORD-WREN-9")
        await bot.settle()
        # The intake stamps handled events with the real clock: make them as old as the rest.
        async with bot.runtime._sessions() as session, session.begin():
            await session.execute(update(InboxRow).values(done_at=long_ago().replace(tzinfo=None)))
    async with running_bot(database_url, privacy={"retention_days": 30}) as bot:
        for _ in range(100):
            if "retention:" in caplog.text:  # the purge has run
                break
            await asyncio.sleep(0.05)
        texts = await _texts(bot)
        after = await scan(bot)
        async with bot.runtime._sessions() as session:
            tickets = list(await session.scalars(select(Ticket).order_by(Ticket.id)))
            questions = await metrics.questions(session)
            blocks = [(b.user_id, b.reason) for b in await session.scalars(select(Block))]

    assert mentions(after, ("ORD-SECRET-7781", "555-0199", "Rosenweg 12", "ORD-OLAF-1")) == []
    # The block that ran out 39 days ago is gone; the one in force stays as it was.
    assert blocks == [("abuser", "ORD-ABUSE-2")]
    assert mentions(after, ("ORD-SPAM-1", "ORD-ABUSE-2")) == [("blocks", "ORD-ABUSE-2")]
    assert caplog.text.rstrip().endswith("learning loop questions and 1 expired blocks")
    assert ("talk to a human about ORD-WREN-9", "handed_off") in texts  # its ticket is open
    assert [outcome for _, outcome in texts] == [
        "answered",
        "answered",
        "none",
        "handed_off",
        "",
        "handed_off",
    ]
    assert [(t.status, t.rating) for t in tickets] == [("resolved", 5), ("open", None)]
    assert len(questions) == 5
