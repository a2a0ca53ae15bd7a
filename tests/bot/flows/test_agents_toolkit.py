"""Agents' toolkit through the router and the flows, on SQLite and on PostgreSQL: the agent
directory and /transfer, the admin override, private refusals, whole long messages,
validated ids, formatting carried from the staff platform to the customer's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.contract import Action, Agent, Answered, Inbound, Sender, Span, Style
from bot.runtime import Runtime
from handoff.models import Ticket
from tests.bot.conversation_kit import Clock, make_config
from tests.fakes.recording_adapter import Person, RecordingAdapter, Sent

STAFF_ROOM = "CSTAFF"
CUSTOMER_CHAT = "9001"


@dataclass
class ListingAdapter(RecordingAdapter):
    """The recording platform, able to list its agents as the real adapters do."""

    agents: list[Agent] = field(default_factory=list)

    async def list_agents(self) -> list[Agent]:
        return self.agents


@dataclass
class Desk:
    runtime: Runtime
    slack: ListingAdapter
    telegram: RecordingAdapter
    customer: Person
    alex: Person
    sam: Person
    boss: Person

    async def settle(self) -> None:
        assert await self.runtime.settle(5.0), "the outbox did not drain"

    def card(self) -> Sent:
        return [s for s in self.slack.sent if s.out.open_thread][-1]

    def thread(self) -> list[Sent]:
        thread = self.card().ref.thread_id
        return [s for s in self.slack.sent if s.ref.thread_id == thread and not s.out.open_thread]

    async def tickets(self) -> list[Ticket]:
        async with self.runtime._sessions() as session:
            return list((await session.execute(select(Ticket).order_by(Ticket.id))).scalars())

    async def open_ticket(self, text: str = "talk to a human") -> str:
        await self.customer.says(text)
        await self.settle()
        thread = self.card().ref.thread_id
        assert thread is not None
        return thread


@asynccontextmanager
async def desk(database_url: str, **staff: object) -> AsyncIterator[Desk]:
    config = make_config(
        database_url,
        staff={"platform": "slack", "chat_id": STAFF_ROOM, "admins": ["UBOSS"], **staff},
    )
    slack = ListingAdapter(
        platform="slack",
        agents=[Agent("UALEX", "Alex", ("alex",)), Agent("USAM", "Sam Lee", ("sam",))],
    )
    telegram = RecordingAdapter(platform="telegram")
    runtime = Runtime(config, [slack, telegram], now=Clock())
    await runtime.start(deliver=False)
    await runtime.agent_directory.refresh()
    try:
        yield Desk(
            runtime,
            slack,
            telegram,
            Person(telegram, CUSTOMER_CHAT, Sender("9001", "Dana", "en")),
            Person(slack, STAFF_ROOM, Sender("UALEX", "Alex"), staff=True),
            Person(slack, STAFF_ROOM, Sender("USAM", "Sam Lee"), staff=True),
            Person(slack, STAFF_ROOM, Sender("UBOSS", "Bo"), staff=True),
        )
    finally:
        await runtime.stop()


async def test_transfer_takes_only_agents_of_the_directory(database_url: str) -> None:
    async with desk(database_url) as d:
        thread = await d.open_ticket()
        await d.alex.says("!claim", thread_id=thread)
        await d.alex.says("!transfer Bob", thread_id=thread)
        await d.alex.says("!transfer " + "x" * 300, thread_id=thread)
        await d.settle()
        ticket = (await d.tickets())[0]
        assert (ticket.status, ticket.agent_id) == ("claimed", "UALEX")
        said = [s.text for s in d.thread()]
        assert any("I don't know an agent called Bob" in t and "Sam Lee" in t for t in said)
        assert any("too long" in t for t in said)

        await d.alex.says("!transfer sam lee", thread_id=thread)
        await d.settle()
        ticket = (await d.tickets())[0]
        assert (ticket.agent_id, ticket.agent_name) == ("USAM", "Sam Lee")
        assert d.thread()[-1].text == "Ticket #1 was transferred to Sam Lee."

        await d.sam.says("!transfer <@UALEX>", thread_id=thread)
        await d.settle()
        assert (await d.tickets())[0].agent_id == "UALEX"


async def test_admins_take_and_release_any_ticket(database_url: str) -> None:
    async with desk(database_url) as d:
        thread = await d.open_ticket()
        await d.alex.says("!claim", thread_id=thread)
        await d.sam.says("!take", thread_id=thread)
        await d.settle()
        assert (
            d.thread()[-1].text == "Only an admin can take or release a ticket someone else holds."
        )
        assert (await d.tickets())[0].agent_id == "UALEX"

        await d.boss.says("!take", thread_id=thread)
        await d.settle()
        ticket = (await d.tickets())[0]
        assert (ticket.status, ticket.agent_id, ticket.agent_name) == ("claimed", "UBOSS", "Bo")
        assert d.thread()[-1].text == "Bo took ticket #1 over."

        await d.alex.says("!release", thread_id=thread)  # no longer his
        await d.boss.says("!release", thread_id=thread)
        await d.settle()
        assert (await d.tickets())[0].status == "open"


async def test_admins_count_as_agents_beside_the_allowlist(database_url: str) -> None:
    async with desk(database_url, agents=["UALEX"]) as d:
        thread = await d.open_ticket()
        await d.boss.says("!take", thread_id=thread)
        await d.settle()
        assert (await d.tickets())[0].agent_id == "UBOSS"


async def test_non_agents_are_refused_privately_for_bang_commands_too(database_url: str) -> None:
    async with desk(database_url, agents=["UALEX"]) as d:
        thread = await d.open_ticket()
        outsider = Person(d.slack, STAFF_ROOM, Sender("UOUT", "Olga"), staff=False)
        await outsider.says("!resolve", thread_id=thread)
        await outsider.presses(d.card(), "claim")
        await d.settle()
        refusals = [s for s in d.slack.sent if s.text == "Only support staff can do that."]
        assert [(s.out.private_to, s.out.to.thread_id) for s in refusals] == [
            ("UOUT", thread),
            ("UOUT", thread),
        ]
        assert refusals[0].out.answers == Answered("UOUT-1")
        assert refusals[1].out.answers == Answered(d.card().ref.message_id)
        assert (await d.tickets())[0].status == "open"


async def test_slack_agents_are_told_bang_commands(database_url: str) -> None:
    async with desk(database_url) as d:
        await d.alex.says("!help")
        await d.settle()
        help_text = d.slack.sent[-1].text
        assert "!note" in help_text and "/note" not in help_text
        thread = await d.open_ticket()
        await d.alex.says("!claim", thread_id=thread)
        await d.settle()
        assert "!note TEXT" in d.thread()[-1].text and "/note" not in d.thread()[-1].text


async def test_forged_ids_and_ratings_never_reach_the_database(database_url: str) -> None:
    async with desk(database_url) as d:
        thread = await d.open_ticket()
        card = d.card()
        for value in ("99999999999999999999999999", "²", "-1", "0x10"):
            await d.slack.hand_over(
                Action(
                    "slack",
                    STAFF_ROOM,
                    thread,
                    d.alex.sender,
                    "claim",
                    value,
                    card.ref.message_id,
                    from_staff_room=True,
                    event_id=f"forged-{value}",
                )
            )
        await d.settle()
        assert (await d.tickets())[0].status == "open"
        await d.alex.says("!claim", thread_id=thread)
        await d.alex.says("!resolve", thread_id=thread)
        await d.settle()
        rate_prompt = d.telegram.sent[-1]
        for value in ("²", "99999999999999999999999999"):
            await d.telegram.hand_over(
                Action(
                    "telegram",
                    CUSTOMER_CHAT,
                    None,
                    d.customer.sender,
                    "rate",
                    value,
                    rate_prompt.ref.message_id,
                    event_id=f"rate-{value}",
                )
            )
        await d.settle()
        assert (await d.tickets())[0].rating is None
        await d.customer.presses(rate_prompt, "4")
        await d.settle()
        assert (await d.tickets())[0].rating == 4


async def test_a_long_message_reaches_the_thread_whole(database_url: str) -> None:
    async with desk(database_url) as d:
        words = " ".join(f"word{n}" for n in range(900))  # about 7,000 characters
        await d.open_ticket(words)
        card = d.card()
        assert len(card.text) < 1000
        whole = [s for s in d.thread() if "wrote (in full)" in s.text]
        assert len(whole) == 1 and whole[0].text.endswith(words)
        assert whole[0].out.text[-1] == Span(words)  # customer text: one plain span


async def test_agent_formatting_reaches_the_customer_natively(database_url: str) -> None:
    async with desk(database_url) as d:
        thread = await d.open_ticket()
        await d.alex.says("!claim", thread_id=thread)
        await d.customer.says("my order *ORD-1* is <b>late</b>")
        await d.settle()
        relayed = d.thread()[-1].out.text
        assert relayed[-1] == Span("my order *ORD-1* is <b>late</b>")  # stays plain
        await d.alex.says(
            "*checking* your order `ORD-1`, see <https://shop.example/o/1|the status page>",
            thread_id=thread,
        )
        await d.alex.says("!reply _soon_", thread_id=thread)
        await d.settle()
        first, second = d.telegram.sent[-2:]
        assert first.out.text == (
            Span("Alex", Style.BOLD),
            Span(": "),
            Span("checking", Style.BOLD),
            Span(" your order "),
            Span("ORD-1", Style.CODE),
            Span(", see "),
            Span("the status page", Style.LINK, "https://shop.example/o/1"),
        )
        assert second.out.text[-1] == Span("soon", Style.ITALIC)


async def test_the_platforms_markup_travels_through_the_inbox(database_url: str) -> None:
    """Slack hands over plain words as `text` and the mrkdwn as `formatted`: the stored
    event keeps both and the customer gets the styles, the command word left out."""
    async with desk(database_url) as d:
        thread = await d.open_ticket()
        await d.alex.says("!claim", thread_id=thread)
        await d.slack.hand_over(
            Inbound(
                "slack",
                STAFF_ROOM,
                thread,
                d.alex.sender,
                "!reply see the page (https://shop.example/o/1) & *soon*",
                "UALEX-raw",
                from_staff_room=True,
                formatted="!reply see <https://shop.example/o/1|the page> &amp; *soon*",
            )
        )
        await d.settle()
        assert d.telegram.sent[-1].out.text[2:] == (
            Span("see "),
            Span("the page", Style.LINK, "https://shop.example/o/1"),
            Span(" & "),
            Span("soon", Style.BOLD),
        )
