"""Blocking customers, on SQLite and PostgreSQL: `!block` in a ticket's thread or by
PLATFORM:USER_ID from the staff room; a blocked customer gets one polite notice in
their language and nothing else (no answer, no ticket, no relay, no button handled);
blocking closes their open tickets (resolved, no rating asked, cards redrawn); a block
runs out after its duration or is lifted by `!unblock`; `!blocked` lists them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.contract import Sender
from handoff import metrics
from handoff.models import Conversation, Ticket
from tests.bot.conversation_kit import STAFF_ROOM, Bot, running_bot
from tests.fakes.recording_adapter import Person, Sent

NOTICE = "We're sorry, but we can't respond to your messages at the moment."
HUMAN = "I want to talk to a human"


async def ticket_count(bot: Bot) -> int:
    async with bot.runtime._sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Ticket)) or 0)


async def conversation_states(bot: Bot) -> list[tuple[str, str, int | None]]:
    """(chat, state, ticket id) of each conversation, oldest first."""
    async with bot.runtime._sessions() as session:
        rows = await session.execute(
            select(Conversation.chat_id, Conversation.state, Conversation.ticket_id).order_by(
                Conversation.id
            )
        )
        return [(chat, str(state), ticket_id) for chat, state, ticket_id in rows.tuples()]


def cards(bot: Bot) -> list[Sent]:
    return [s for s in bot.staff_room() if s.out.open_thread]


def card_now(bot: Bot, card: Sent) -> str:
    """The newest text of `card` (after edits)."""
    return [s for s in bot.staff_room() if s.ref.message_id == card.ref.message_id][-1].text


def thread_of(bot: Bot, card: Sent) -> list[str]:
    return [
        s.text
        for s in bot.staff_room()
        if s.ref.thread_id == card.ref.thread_id and not s.out.open_thread and not s.edited
    ]


async def test_a_block_in_a_ticket_thread_silences_the_customer(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says(HUMAN)
        await bot.settle()
        await bot.alex.presses(bot.card(), "claim")
        await bot.settle()
        thread = bot.card().ref.thread_id
        told_before_block = len(bot.to_customer())
        await bot.alex.says("!block 2h insults", thread_id=thread)
        await bot.settle()
        in_thread = [s.text for s in bot.thread()]
        card = bot.card_now().text
        told_by_block = len(bot.to_customer()) - told_before_block
        async with bot.runtime._sessions() as session:
            ticket = (await session.scalars(select(Ticket))).one()
        states = await conversation_states(bot)
        staff_before = len(bot.staff_room())
        customer_before = len(bot.to_customer())

        await bot.customer.says("you are all useless")
        await bot.customer.says("how long does shipping take?")
        await bot.customer.says("I want to talk to a human")
        await bot.settle()
        to_customer = [s.text for s in bot.to_customer()[customer_before:]]
        staff_after = len(bot.staff_room())
        tickets = await ticket_count(bot)

    assert in_thread[-1] == (
        "Dana (test:cust-1) is blocked until 2026-11-24 11:00 UTC; closed ticket #1. They"
        " get one notice, and nothing they write reaches the staff room. !unblock lifts it."
    )
    # The reply says the ticket is closed: its own thread gets no second note.
    assert not any("blocked the customer" in text for text in in_thread)
    assert card.endswith("Resolved by Alex.")
    assert told_by_block == 0  # no rating asked
    assert (ticket.status, ticket.agent_id, ticket.rating) == ("resolved", "agent-alex", None)
    assert ticket.resolved_at is not None and ticket.claimed_at is not None
    assert ticket.resolved_at >= ticket.claimed_at
    assert states == [("dm-1", "bot", None)]
    assert len(to_customer) == 1 and to_customer[0].startswith(NOTICE)
    assert staff_after == staff_before
    assert tickets == 1


async def test_a_block_by_user_id_closes_their_open_tickets_in_every_chat(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        dana_elsewhere = Person(bot.platform, "dm-1b", Sender("cust-1", "Dana", "en"))
        olaf = Person(bot.platform, "dm-2", Sender("cust-2", "Olaf", "en"))
        await bot.customer.says(HUMAN)
        await bot.settle()
        await bot.sam.presses(bot.card(), "claim")
        await dana_elsewhere.says(HUMAN)
        await olaf.says(HUMAN)
        await bot.settle()
        told_before_block = [len(bot.platform.to_chat(chat)) for chat in ("dm-1", "dm-1b")]
        await bot.alex.says("!block test:cust-1 7d")
        await bot.settle()
        reply = [s.text for s in bot.staff_room() if s.ref.thread_id is None][-1]
        held, unclaimed, olafs = cards(bot)
        closed_cards = [card_now(bot, held), card_now(bot, unclaimed)]
        notes = [thread_of(bot, held)[-1], thread_of(bot, unclaimed)[-1]]
        olafs_card, olafs_thread = card_now(bot, olafs), thread_of(bot, olafs)
        told_after_block = [len(bot.platform.to_chat(chat)) for chat in ("dm-1", "dm-1b")]
        async with bot.runtime._sessions() as session:
            facts = await metrics.tickets(session)
        states = await conversation_states(bot)
        await bot.alex.says("!block test:cust-1 1d")
        await bot.settle()
        again = [s.text for s in bot.staff_room() if s.ref.thread_id is None][-1]

    assert reply == (
        "test:cust-1 is blocked until 2026-12-01 09:00 UTC; closed tickets #1, #2. They get"
        " one notice, and nothing they write reaches the staff room. !unblock lifts it."
    )
    # Recorded as a resolve: the holder keeps a claimed ticket, an unclaimed one is the
    # blocking agent's; Olaf's stays in the queue.
    assert [(t.id, t.status, t.agent_id, t.resolved_at is not None) for t in facts] == [
        (1, "resolved", "agent-sam", True),
        (2, "resolved", "agent-alex", True),
        (3, "open", None, False),
    ]
    assert [text.rsplit("\n", 1)[-1] for text in closed_cards] == [
        "Resolved by Sam.",
        "Resolved by Alex.",
    ]
    assert notes == [
        f"Ticket #{n} is closed: Alex blocked the customer. They were not asked for a rating."
        for n in (1, 2)
    ]
    assert "Resolved" not in olafs_card
    assert not any("blocked" in text for text in olafs_thread)
    assert told_after_block == told_before_block
    assert states == [("dm-1", "bot", None), ("dm-1b", "bot", None), ("dm-2", "queued", 3)]
    assert again.startswith("test:cust-1 is blocked until 2026-11-25 09:00 UTC: they get")


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
