"""Two bot processes on one PostgreSQL database, both connected to one Slack.

Slack Socket Mode allows several connections: the fake hands each envelope to one of
them in turn, and some to both (as Slack does when it redelivers). Whichever process
gets a message, and however many do, each customer question is answered once, every
outbox row goes out once, and when two agents press Claim at the same moment, each
through another process, one of them gets the ticket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from handoff.models import InboxRow, Ticket
from handoff.states import InboxStatus
from tests.fakes.slack_api import Call, FakeSlack, Route
from tests.system.bot_process import (
    QUESTIONS,
    STAFF_CHANNEL,
    answered,
    bots,
    outbox_rows,
    wait_until_delivered,
    write_config,
)

WAIT = 30.0  # generous, so a loaded CI machine does not flake; passing runs take seconds
CUSTOMERS = tuple((f"UC{n}", f"DC{n}") for n in range(5))
HUMAN, HUMAN_DM = "UHUM", "DHUM"
AGENTS = {"UAGENT1": "Alex", "UAGENT2": "Bea"}


@pytest.fixture
async def slack(no_proxy: None) -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        for user_id, _ in (*CUSTOMERS, (HUMAN, HUMAN_DM)):
            fake.add_user(user_id, user_id.lower())
        for user_id, name in AGENTS.items():
            fake.add_user(user_id, name.lower(), display_name=name)
        fake.members[STAFF_CHANNEL] = ["UBOT", *AGENTS]
        yield fake


def posted(channel: str, containing: str, *, thread: str | None = None) -> Callable[[Call], bool]:
    def match(call: Call) -> bool:
        return (
            call.args.get("channel") == channel
            and call.args.get("thread_ts") == thread
            and containing in call.args.get("text", "")
        )

    return match


async def stored(database_url: str) -> tuple[list[Ticket], int]:
    """The tickets, and how many inbound messages were handled."""
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            found = list(await session.scalars(select(Ticket)))
            seen = len(
                list(
                    await session.scalars(
                        select(InboxRow).where(
                            InboxRow.status == InboxStatus.DONE,
                            InboxRow.event_key.startswith("m:"),
                        )
                    )
                )
            )
            return found, seen
    finally:
        await engine.dispose()


async def test_two_processes_handle_everything_once(
    slack: FakeSlack, postgres_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, slack, postgres_url, lease_seconds=10.0)
    async with bots(config) as running:
        first, second = await asyncio.gather(running.start(), running.start())
        await slack.wait_connections(2, timeout=WAIT)

        await slack.push_event(
            slack.message_event(HUMAN_DM, HUMAN, "I want to talk to a human please"), to="all"
        )
        for m, question in enumerate(QUESTIONS):
            for n, (user_id, dm) in enumerate(CUSTOMERS):
                route: Route = "all" if (m + n) % 3 == 0 else "next"
                await slack.push_event(slack.message_event(dm, user_id, question), to=route)

        card = await slack.wait_for_call(
            "chat.postMessage", posted(STAFF_CHANNEL, "Ticket #1"), timeout=WAIT
        )
        card_ts = card.answer["ts"]
        await asyncio.gather(
            *(
                slack.push_interactive(
                    slack.press(STAFF_CHANNEL, card_ts, agent, "Claim"), to="next"
                )
                for agent in AGENTS
            )
        )
        await slack.wait_for_call(
            "chat.postMessage",
            posted(STAFF_CHANNEL, "already claimed", thread=card_ts),
            timeout=WAIT,
        )
        await slack.wait_for_call(
            "chat.postMessage", posted(HUMAN_DM, "from our team"), timeout=WAIT
        )
        await wait_until_delivered(postgres_url, at_least=1, timeout=WAIT)
        assert list(await asyncio.gather(running.stop(first), running.stop(second))) == [0, 0]

    # Every inbound message was handled once: one answer per question, one ticket.
    for _, dm in CUSTOMERS:
        assert sorted(answered(slack, dm)) == sorted(QUESTIONS)
    [ticket], seen = await stored(postgres_url)
    assert seen == len(CUSTOMERS) * len(QUESTIONS) + 1
    assert len([m for m in slack.messages_in(HUMAN_DM) if "ticket #1" in m.text]) == 1

    # One agent won the claim; the other was told so; the customer heard of it once.
    assert ticket.status == "claimed"
    assert ticket.agent_id in AGENTS
    winner = AGENTS[ticket.agent_id]
    thread = [m.text for m in slack.messages_in(STAFF_CHANNEL, thread_ts=card_ts)]
    [announced] = [t for t in thread if "claimed this ticket" in t]
    assert announced.startswith(f"{winner} claimed this ticket")
    assert [t for t in thread if "already claimed" in t] == [
        f"Ticket #1 is already claimed by {winner}."
    ]
    joined = [m.text for m in slack.messages_in(HUMAN_DM) if "from our team" in m.text]
    assert joined == [f"{winner} from our team is now looking after your request."]
    claimed_edits = [c for c in slack.calls_of("chat.update") if "Claimed by" in c.args["text"]]
    assert len(claimed_edits) == 1

    # Every outbox row went out once: no message in Slack that no row accounts for.
    rows = await outbox_rows(postgres_url)
    assert {row.status for row in rows} == {"sent"}
    posts = [str(row.sent_message_id) for row in rows if row.target != "card_edit"]
    assert len(set(posts)) == len(posts)
    assert sorted(posts) == sorted(ts for _, ts in slack.messages)
    edits = [row for row in rows if row.target == "card_edit"]
    assert len(slack.calls_of("chat.update")) == len(edits)
