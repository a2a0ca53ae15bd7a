"""A conversation's whole life through the router and the flows, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.contract import DeliveryError, Sender
from bot.flows.staff import parse_command
from handoff.models import Message, OutboxRow, Ticket
from tests.bot.conversation_kit import STAFF_ROOM, Clock, running_bot
from tests.fakes.recording_adapter import Person


async def _tickets(bot_runtime: object) -> list[Ticket]:
    sessions = bot_runtime._sessions  # type: ignore[attr-defined]
    async with sessions() as session:
        return list((await session.execute(select(Ticket).order_by(Ticket.id))).scalars())


async def test_faq_answer_with_did_this_help_buttons(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("Where is my order?")
        await bot.settle()
        answer = bot.to_customer()[-1]
        assert "Did this help?" in answer.text
        assert [b.action_id for b in answer.out.buttons] == ["helpful", "unhelpful"]
        assert answer.out.buttons[0].value == "order-status"
        await bot.customer.presses(answer, "helpful")
        await bot.settle()
        assert bot.to_customer()[-1].text == "Great, glad I could help!"
        assert bot.staff_room() == []


async def test_close_call_offers_did_you_mean_buttons(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("payment")
        await bot.settle()
        offer = bot.to_customer()[-1]
        assert "Did you mean" in offer.text
        faq_buttons = [b for b in offer.out.buttons if b.action_id == "faq"]
        assert faq_buttons, offer.out.buttons
        assert offer.out.buttons[-1].action_id == "human"
        await bot.customer.presses(offer, faq_buttons[0].label)
        await bot.settle()
        answer = bot.to_customer()[-1]
        assert answer.out.buttons[0].value == faq_buttons[0].value


async def test_misses_lead_to_a_handoff(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("qwzx vbnm plkj")
        await bot.settle()
        first = bot.to_customer()[-1]
        assert "don't have an answer" in first.text
        assert first.out.buttons[0].action_id == "human"
        assert bot.staff_room() == []
        await bot.customer.says("zzzz yyyy xxxx")
        await bot.settle()
        assert "ticket #1" in bot.to_customer()[-1].text
        tickets = await _tickets(bot.runtime)
        assert [(t.reason, t.status) for t in tickets] == [("no_answer", "open")]


async def test_asking_for_a_human_in_three_languages(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        for user, text in (
            ("en-1", "can I talk to a human please"),
            ("de-1", "Ich möchte mit einem Mitarbeiter sprechen"),
            ("id-1", "saya mau bicara dengan petugas"),
        ):
            person = Person(bot.platform, f"dm-{user}", Sender(user, user))
            await person.says(text)
        await bot.settle()
        tickets = await _tickets(bot.runtime)
        assert [t.reason for t in tickets] == ["asked", "asked", "asked"]
        assert len([s for s in bot.staff_room() if s.out.open_thread]) == 3


async def test_handoff_online_gives_queue_position_and_wait(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        other = Person(bot.platform, "dm-2", Sender("cust-2", "Eve"))
        await other.says("talk to a human")
        await bot.customer.says("I need a person")
        await bot.settle()
        notice = bot.to_customer()[-1].text
        assert "number 2 in the queue" in notice
        assert "about 10 minutes" in notice


async def test_handoff_offline_gives_hours_and_return_time(database_url: str) -> None:
    saturday_night = Clock(datetime(2026, 11, 28, 21, 0, tzinfo=UTC))
    async with running_bot(database_url, clock=saturday_night) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        notice = bot.to_customer()[-1].text
        assert "offline" in notice
        assert "09:00" in notice and "17:00" in notice
        assert "Monday, 30 November at 09:00" in notice
        assert "kept" in notice
        german = Person(bot.platform, "dm-de", Sender("cust-de", "Jonas", "de"))
        await german.says("Ich will einen Menschen sprechen")
        await bot.settle()
        assert "Montag, 30. November um 09:00" in bot.platform.last("dm-de").text


async def test_card_claim_reply_note_and_resolve_with_rating(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("How do I return an item?")
        await bot.customer.says("talk to a human")
        await bot.settle()
        card = bot.card()
        assert card.out.open_thread is not None
        assert "Ticket #1" in card.text and "Dana" in card.text
        assert "How do I return an item?" in card.text
        assert [b.action_id for b in card.out.buttons] == ["claim"]

        await bot.alex.presses(card, "claim")
        await bot.sam.presses(card, "claim")
        await bot.settle()
        assert "Claimed by Alex" in bot.card_now().text
        assert bot.card_now().out.buttons == ()
        assert "Alex from our team" in bot.to_customer()[-1].text
        assert any("already claimed by Alex" in s.text for s in bot.thread())

        thread = card.ref.thread_id
        await bot.alex.says("Hi Dana, let me look.", thread_id=thread)
        await bot.alex.says("/note customer sounds upset", thread_id=thread)
        await bot.sam.says("I can take it", thread_id=thread)
        await bot.settle()
        to_customer = [s.text for s in bot.to_customer()]
        assert to_customer[-1] == "Alex: Hi Dana, let me look."
        assert not any("upset" in t or "I can take it" in t for t in to_customer)

        await bot.customer.says("Thanks, it's order 1234")
        await bot.settle()
        assert bot.thread()[-1].text == "Dana: Thanks, it's order 1234"

        await bot.alex.says("/resolve", thread_id=thread)
        await bot.settle()
        rating = bot.to_customer()[-1]
        assert [b.value for b in rating.out.buttons] == ["1", "2", "3", "4", "5"]
        assert "Resolved by Alex" in bot.card_now().text
        await bot.customer.presses(rating, "4")
        await bot.settle()
        assert bot.to_customer()[-1].text == "Thank you for your rating!"
        tickets = await _tickets(bot.runtime)
        assert (tickets[0].status, tickets[0].rating, tickets[0].agent_id) == (
            "resolved",
            4,
            "agent-alex",
        )
        # Back to the bot: the next question is answered from the FAQ again.
        await bot.customer.says("Where is my order?")
        await bot.settle()
        assert bot.to_customer()[-1].out.buttons[0].value == "order-status"
        async with bot.runtime._sessions() as session:
            kinds = [m.kind for m in (await session.execute(select(Message))).scalars()]
        assert "note" in kinds and "agent" in kinds


async def test_release_and_transfer(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        card = bot.card()
        thread = card.ref.thread_id
        await bot.alex.says("/claim", thread_id=thread)
        await bot.alex.says("/release", thread_id=thread)
        await bot.settle()
        assert [b.action_id for b in bot.card_now().out.buttons] == ["claim"]
        assert "back in the queue" in bot.to_customer()[-1].text
        await bot.sam.says("/claim", thread_id=thread)
        await bot.sam.says("/transfer agent-alex", thread_id=thread)
        await bot.settle()
        tickets = await _tickets(bot.runtime)
        assert tickets[0].agent_id == "agent-alex"
        await bot.alex.says("Alex here again", thread_id=thread)
        await bot.settle()
        assert bot.to_customer()[-1].text.endswith("Alex here again")


async def test_non_staff_cannot_act_in_the_staff_room(database_url: str) -> None:
    async with running_bot(database_url, staff={"agents": ["agent-alex"]}) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        card = bot.card()
        outsider = Person(bot.platform, STAFF_ROOM, Sender("intruder", "Mallory"), staff=False)
        await outsider.presses(card, "claim")
        unlisted = Person(bot.platform, STAFF_ROOM, Sender("agent-x", "X"), staff=True)
        await unlisted.says("/claim", thread_id=card.ref.thread_id)
        # A customer pressing a claim button from their own chat is refused too.
        await bot.customer.presses(card, "claim")
        await bot.settle()
        refusals = [s for s in bot.platform.sent if s.text == "Only support staff can do that."]
        assert len(refusals) == 3
        assert (await _tickets(bot.runtime))[0].status == "open"


async def test_empty_control_and_huge_messages(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("   \x00\x07 ")
        await bot.settle()
        assert "type your question" in bot.to_customer()[-1].text
        await bot.customer.says("Where\x1b[31m is my order?\u202e")
        await bot.settle()
        assert bot.to_customer()[-1].out.buttons[0].value == "order-status"
        huge = ("word " * 4000).strip()
        await bot.customer.says(huge)
        await bot.settle()
        assert "long message" in bot.to_customer()[-2].text
        assert "ticket #1" in bot.to_customer()[-1].text
        async with bot.runtime._sessions() as session:
            stored = await session.scalar(select(Message.text).where(Message.text == huge))
        assert stored == huge


async def test_duplicate_inbound_is_handled_once(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        from bot.contract import Inbound

        event = Inbound("test", "dm-1", None, Sender("cust-1", "Dana"), "Where is my order?", "x1")
        await bot.runtime.core.receive(event)
        await bot.runtime.core.receive(event)
        await bot.settle()
        assert len(bot.to_customer()) == 1


async def test_failed_sends_are_retried_and_permanent_ones_parked(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        bot.platform.failures.append(DeliveryError("rate limited", retry_after=0.2))
        await bot.customer.says("Where is my order?")
        await bot.settle()
        assert bot.to_customer()[-1].out.buttons[0].value == "order-status"
        bot.platform.failures.append(DeliveryError("bot was blocked", permanent=True))
        await bot.customer.says("Where is my order?")
        await bot.settle()
        async with bot.runtime._sessions() as session:
            rows = list((await session.execute(select(OutboxRow).order_by(OutboxRow.id))).scalars())
        assert [r.status for r in rows] == ["sent", "parked"]
        assert rows[0].attempts == 1 and rows[1].last_error == "bot was blocked"


async def test_restart_loses_nothing(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("talk to a human")
        await bot.settle()
        card = bot.card()
        await bot.alex.presses(card, "claim")
        await bot.settle()
        await bot.customer.says("are you still there?")  # decided, not yet delivered
    async with running_bot(database_url) as bot:
        await bot.settle()
        assert bot.staff_room()[-1].text == "Dana: are you still there?"
        assert bot.staff_room()[-1].ref.thread_id == card.ref.thread_id
        await bot.alex.says("Yes!", thread_id=card.ref.thread_id)
        await bot.settle()
        assert bot.to_customer()[-1].text == "Alex: Yes!"
        tickets = await _tickets(bot.runtime)
        assert tickets[0].status == "claimed"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("/resolve", ("resolve", "")),
        ("!resolve", ("resolve", "")),
        ("!note customer is upset", ("note", "customer is upset")),
        ("!Claim@supportbot", ("claim", "")),
        ("!important: call back", (None, "!important: call back")),
        ("!", (None, "!")),
        ("! resolve", (None, "! resolve")),
        ("/queue", ("queue", "")),
    ],
)
def test_commands_take_a_slash_or_a_bang(typed: str, read: tuple[str | None, str]) -> None:
    assert parse_command(typed) == read
