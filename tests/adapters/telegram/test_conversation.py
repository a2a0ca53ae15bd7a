"""Whole conversations: the real Runtime (SQLite, FAQ, outbox) + the adapter + the fake.

FAQ answer, handoff, claim by button, agent reply, customer reply, /resolve, rating;
in a forum staff group (a topic per ticket) and in a plain one (reply chains). Then a
restart in the middle of a ticket, with a 429 on the way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.telegram.render import WORD_JOINER
from handoff.models import Ticket
from tests.adapters.telegram.conftest import AGENT, STAFF_GROUP
from tests.adapters.telegram.whole_bot import running_bot, said
from tests.fakes.telegram_api import FakeTelegramApi, FakeUser

ANN = FakeUser(1002, "Ann", "Lee", language_code="en-GB")
PLAIN_GROUP = -100555


def staff_room(chat_id: int) -> dict[str, Any]:
    return {"platform": "telegram", "chat_id": str(chat_id)}


def sqlite_at(db: Path) -> str:
    return f"sqlite+aiosqlite:///{db}"


async def edited(fake: FakeTelegramApi, containing: str) -> dict[str, Any]:
    call = await fake.wait_for_call(
        "editMessageText", lambda c: containing in c.result["text"], timeout=10
    )
    message: dict[str, Any] = call.result
    return message


def labels(message: dict[str, Any]) -> list[str]:
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in keyboard for button in row]


async def stored_ticket(db: Path) -> Ticket:
    engine = create_async_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(select(Ticket))).one()
    finally:
        await engine.dispose()
    return Ticket(**row._asdict())


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi() as api:
        api.add_group(STAFF_GROUP, "Support staff", forum=True, members={AGENT.id: "member"})
        api.add_group(PLAIN_GROUP, "Plain staff", forum=False, members={AGENT.id: "creator"})
        yield api


@pytest.mark.parametrize("staff_chat", [STAFF_GROUP, PLAIN_GROUP], ids=["forum", "plain"])
async def test_a_whole_conversation(fake: FakeTelegramApi, tmp_path: Path, staff_chat: int) -> None:
    db = tmp_path / "t.db"
    async with running_bot(fake, sqlite_at(db), staff_room(staff_chat)):
        fake.user_writes(ANN, "Where is my order?")
        answer = await said(fake, ANN.id, "Did this help?")
        assert labels(answer) == ["Yes, thanks", "Not really"]
        fake.press(ANN, answer, "Yes, thanks")
        await said(fake, ANN.id, "glad I could help")

        fake.user_writes(ANN, "can I talk to a human please")
        await said(fake, ANN.id, "ticket #1")
        card = await said(fake, staff_chat, "Ticket #1")
        assert labels(card) == ["Claim"]
        if staff_chat == STAFF_GROUP:
            thread = {"thread_id": card["message_thread_id"]}
            assert fake.topics(STAFF_GROUP) == {card["message_thread_id"]: "#1 Ann Lee"}
        else:
            thread = {"reply_to": card["message_id"]}
            assert "message_thread_id" not in card

        fake.press(AGENT, card, "Claim")
        claimed = await edited(fake, "Claimed by Bob")
        assert claimed["message_id"] == card["message_id"]
        assert "Claim" not in labels(claimed)
        await said(fake, ANN.id, "Bob from our team")

        fake.user_writes(AGENT, "Hi Ann <3, it ships today @everyone", chat_id=staff_chat, **thread)
        reply = await said(fake, ANN.id, "it ships today")
        assert reply["text"] == f"Bob: Hi Ann <3, it ships today @{WORD_JOINER}everyone"
        assert [e["type"] for e in reply["entities"]] == ["bold"]

        fake.user_writes(ANN, "great, thanks <b>@admin</b>")
        relayed = await said(fake, staff_chat, "great, thanks")
        assert relayed["text"] == f"Ann Lee: great, thanks <b>@{WORD_JOINER}admin</b>"
        if staff_chat == STAFF_GROUP:
            assert relayed["message_thread_id"] == card["message_thread_id"]
        else:
            assert relayed["reply_to_message"]["message_id"] == card["message_id"]

        fake.user_writes(AGENT, "/resolve", chat_id=staff_chat, **thread)
        rating = await said(fake, ANN.id, "How would you rate")
        assert labels(rating) == ["1", "2", "3", "4", "5"]
        fake.press(ANN, rating, "4")
        await said(fake, ANN.id, "Thank you for your rating")
        await said(fake, staff_chat, "rated ticket #1: 4/5")

    ticket = await stored_ticket(db)
    assert (ticket.status, ticket.rating, ticket.agent_name) == ("resolved", 4, "Bob")
    answered = {c.params["callback_query_id"] for c in fake.calls_of("answerCallbackQuery")}
    assert len(answered) == 3


async def test_restart_in_the_middle_of_a_ticket(fake: FakeTelegramApi, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    async with running_bot(fake, sqlite_at(db), staff_room(STAFF_GROUP)):
        fake.user_writes(ANN, "I need to talk to a person")
        await said(fake, ANN.id, "ticket #1")
        card = await said(fake, STAFF_GROUP, "Ticket #1")
    topic = card["message_thread_id"]

    async with running_bot(fake, sqlite_at(db), staff_room(STAFF_GROUP)):
        fake.user_writes(ANN, "are you still there?")
        relayed = await said(fake, STAFF_GROUP, "are you still there?")
        assert relayed["message_thread_id"] == topic

        fake.press(AGENT, card, "Claim")
        await edited(fake, "Claimed by Bob")
        await said(fake, ANN.id, "Bob from our team")
        await said(fake, STAFF_GROUP, "Bob claimed this ticket")

        # Two 429s: the rate limiter's one retry is used up, then the outbox waits it out.
        fake.fail_next("sendMessage", times=2, status=429, retry_after=1)
        fake.user_writes(AGENT, "Yes, I am here", chat_id=STAFF_GROUP, thread_id=topic)
        reply = await said(fake, ANN.id, "Yes, I am here")
        assert reply["text"] == "Bob: Yes, I am here"

    refused = [c for c in fake.calls_of("sendMessage") if c.status == 429]
    assert len(refused) == 2
    assert all("I am here" in c.params["text"] for c in refused)
    assert len(fake.calls_of("createForumTopic")) == 1
