"""A whole conversation: the real Runtime (SQLite, FAQ, outbox) and the real Slack
libraries in Socket Mode against the fake Slack. The customer writes in a DM; agents
work in the staff channel, on a Block Kit card with a Claim button and its thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import SlackAdapter
from bot.config import parse_config
from bot.runtime import Runtime
from handoff.models import Ticket
from handoff.storage import make_engine, make_sessions
from tests.adapters.slack.conftest import AGENT, OUTSIDER, STAFF_CHANNEL
from tests.conftest import EXAMPLE_FAQ
from tests.fakes.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    Call,
    FakeSlack,
    button_values,
    rich_text_elements,
)

DANA = "UDANA"
DANA_DM = "DDANA"


def posted_to(channel: str, *, thread: str | None = None) -> Any:
    def match(call: Call) -> bool:
        return call.args.get("channel") == channel and call.args.get("thread_ts") == thread

    return match


async def stored_ticket(runtime: Runtime) -> tuple[str, int | None, str | None]:
    """Ticket #1 as the database holds it (read through a connection of our own)."""
    engine = make_engine(runtime.config.database.url)
    try:
        async with make_sessions(engine)() as session:
            ticket = await session.get(Ticket, 1)
    finally:
        await engine.dispose()
    assert ticket is not None
    return ticket.status, ticket.rating, ticket.agent_id


@pytest.fixture
async def runtime(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[Runtime]:
    fake.add_user(DANA, "dana", display_name="Dana", locale="en-GB")
    config = parse_config(
        {
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 't.db'}"},
            "faq": {"path": str(EXAMPLE_FAQ)},
            "hours": {"always_open": True},
            "staff": {"platform": "slack", "chat_id": STAFF_CHANNEL},
            "slack": {
                "enabled": True,
                "bot_token": "${SLACK_BOT_TOKEN}",
                "app_token": "${SLACK_APP_TOKEN}",
                "api_base_url": fake.base_url,
            },
        },
        "test",
        env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN},
    )
    bot = Runtime(config, [SlackAdapter(config.slack, config.staff)])
    await bot.start()
    yield bot
    await bot.stop()


async def test_faq_answer_handoff_claim_relay_resolve_and_rating(
    fake: FakeSlack, runtime: Runtime
) -> None:
    # The FAQ answers, with "did this help?" buttons; "yes" is acknowledged.
    await fake.push_event(fake.message_event(DANA_DM, DANA, "Where is my order?"))
    answer = await fake.wait_for_call("chat.postMessage", posted_to(DANA_DM))
    assert "tracking" in answer.args["text"] and "Did this help?" in answer.args["text"]
    assert button_values(answer)[:2] == ["helpful:order-status", "unhelpful:order-status"]
    ack = await fake.push_interactive(fake.press(DANA_DM, answer.answer["ts"], DANA, "Yes, thanks"))
    thanks = await fake.wait_for_call("chat.postMessage", posted_to(DANA_DM))
    assert thanks.args["text"] == "Great, glad I could help!"
    assert (await fake.wait_for_ack(ack))["envelope_id"] == ack

    # Asking for a person: a ticket card in the staff channel, customer text escaped.
    # (Slack delivers what Dana typed, "<!channel>", escaped; it is plain text again here.)
    await fake.push_event(fake.message_event(DANA_DM, DANA, "talk to a human &lt;!channel&gt;"))
    card = await fake.wait_for_call("chat.postMessage", posted_to(STAFF_CHANNEL))
    notice = await fake.wait_for_call("chat.postMessage", posted_to(DANA_DM))
    card_ts = card.answer["ts"]
    assert "Ticket #1" in card.args["text"] and "Dana" in card.args["text"]
    assert "&lt;!channel&gt;" in card.args["text"] and "<!channel>" not in card.args["text"]
    assert button_values(card) == ["claim:1"]
    assert "ticket #1" in notice.args["text"]

    # An agent claims it: the card is edited (no more button), the thread is opened.
    await fake.push_interactive(fake.press(STAFF_CHANNEL, card_ts, AGENT, "Claim"))
    edit = await fake.wait_for_call("chat.update")
    assert edit.args["ts"] == card_ts and "Claimed by Alex" in edit.args["text"]
    assert button_values(edit) == []
    in_thread = await fake.wait_for_call(
        "chat.postMessage", posted_to(STAFF_CHANNEL, thread=card_ts)
    )
    assert "Alex claimed this ticket" in in_thread.args["text"]
    joined = await fake.wait_for_call("chat.postMessage", posted_to(DANA_DM))
    assert "Alex from our team" in joined.args["text"]

    # Someone who is not in the staff channel cannot answer the customer...
    await fake.push_event(
        fake.message_event(
            STAFF_CHANNEL, OUTSIDER, "I can take it", channel_type="channel", thread_ts=card_ts
        )
    )
    # ...the agent can: the reply reaches the customer, signed with the agent's name.
    await fake.push_event(
        fake.message_event(
            STAFF_CHANNEL, AGENT, "Hi Dana, let me look.", channel_type="channel", thread_ts=card_ts
        )
    )
    relayed = await fake.wait_for_call("chat.postMessage", posted_to(DANA_DM))
    assert relayed.args["text"] == "Alex: Hi Dana, let me look."
    assert {"type": "text", "text": "Alex", "style": {"bold": True}} in rich_text_elements(relayed)

    # The customer's answer reaches the ticket's thread.
    await fake.push_event(fake.message_event(DANA_DM, DANA, "Thanks, order 1234 &amp; &lt;b&gt;"))
    back = await fake.wait_for_call("chat.postMessage", posted_to(STAFF_CHANNEL, thread=card_ts))
    assert back.args["text"] == "Dana: Thanks, order 1234 &amp; &lt;b&gt;"

    # "!resolve" in the thread (Slack refuses slash commands in threads) is /resolve:
    # the customer gets a 1-5 rating keyboard; their 4 is stored.
    await fake.push_event(
        fake.message_event(
            STAFF_CHANNEL, AGENT, "!resolve", channel_type="channel", thread_ts=card_ts
        )
    )
    rating = await fake.wait_for_call("chat.postMessage", posted_to(DANA_DM))
    assert button_values(rating) == [f"rate:{n}" for n in range(1, 6)]
    resolved_card = await fake.wait_for_call("chat.update")
    assert "Resolved by Alex" in resolved_card.args["text"]
    await fake.push_interactive(fake.press(DANA_DM, rating.answer["ts"], DANA, "4"))
    rated = await fake.wait_for_call("chat.postMessage", posted_to(DANA_DM))
    assert rated.args["text"] == "Thank you for your rating!"
    staff_told = await fake.wait_for_call(
        "chat.postMessage",
        lambda c: posted_to(STAFF_CHANNEL, thread=card_ts)(c) and "4/5" in c.args["text"],
    )
    assert "ticket #1" in staff_told.args["text"]
    assert await stored_ticket(runtime) == ("resolved", 4, AGENT)

    # Nothing the outsider wrote ever reached the customer.
    assert not any("I can take it" in c.args["text"] for c in fake.calls_of("chat.postMessage"))
