"""A refusal to someone who pressed a staff button is an alert only they see
(answerCallbackQuery with show_alert), not a message the whole staff group reads; late
or for a typed command it is a reply message, as before. The real python-telegram-bot
against the fake Bot API, then the whole bot (real Runtime, SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from adapters.telegram import TelegramAdapter
from adapters.telegram.presses import ALERT_LIMIT
from bot.config import StaffSection
from bot.contract import Action, Address, Answered, Outbound, SentRef, plain
from tests.adapters.telegram.conftest import (
    AGENT,
    STAFF_GROUP,
    STRANGER,
    RecordingCore,
    telegram_section,
    ticket_card,
)
from tests.adapters.telegram.whole_bot import running_bot, said
from tests.fakes.telegram_api import QUERY_TOO_OLD, ApiCall, FakeTelegramApi, FakeUser

REFUSAL = "Only support staff can do that."
HELPER = FakeUser(2003, "Hal", language_code="en")  # in the staff group, not a listed agent
ANN = FakeUser(1002, "Ann", "Lee", language_code="en-GB")
QUICK = 0.3  # seconds a press is held, where a test waits for it to run out


@pytest.fixture
def quick_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.telegram.presses.HOLD_SECONDS", QUICK)


def _refusal(card: SentRef, press: Action, text: str = REFUSAL) -> Outbound:
    """What bot/flows/router.py sends to an outsider's press."""
    return Outbound(
        Address("telegram", str(STAFF_GROUP), card.thread_id),
        plain(text),
        private_to=press.sender.user_id,
        answers=Answered(press.message_id, press.event_id),
    )


def _answers_to(fake: FakeTelegramApi, query_id: str) -> list[ApiCall]:
    return [
        call
        for call in fake.calls_of("answerCallbackQuery")
        if call.params["callback_query_id"] == query_id
    ]


async def _pressed(core: RecordingCore) -> Action:
    event = await core.next_event()
    assert isinstance(event, Action)
    return event


async def test_a_strangers_press_is_refused_in_an_alert_only_they_see(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    card, message = await ticket_card(adapter, fake)
    fake.press(STRANGER, message, "Claim")
    press = await _pressed(core)
    assert not press.from_staff_room
    assert _answers_to(fake, press.event_id) == []  # held for the refusal

    ref = await adapter.send(_refusal(card, press))
    await adapter.stop()

    [answer] = _answers_to(fake, press.event_id)
    assert answer.status == 200
    assert (answer.params["show_alert"], answer.params["text"]) == ("true", REFUSAL)
    assert len(fake.calls_of("sendMessage")) == 1  # the card alone
    assert ref == SentRef("telegram", str(STAFF_GROUP), "", card.thread_id)


async def test_a_long_refusal_is_cut_at_a_word_to_fit_an_alert(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    card, message = await ticket_card(adapter, fake)
    fake.press(STRANGER, message, "Claim")
    press = await _pressed(core)

    await adapter.send(_refusal(card, press, "word " * 60))

    [answer] = _answers_to(fake, press.event_id)
    text = answer.params["text"]
    assert answer.status == 200
    assert len(text) <= ALERT_LIMIT
    assert text.endswith("word…")
    assert text.startswith("word word")


async def test_an_agents_press_is_answered_at_once_without_an_alert(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    _, message = await ticket_card(adapter, fake)
    fake.press(AGENT, message, "Claim")
    press = await _pressed(core)

    answer = await fake.wait_for_call("answerCallbackQuery", timeout=1.0)

    assert press.from_staff_room
    assert answer.params == {"callback_query_id": press.event_id}


async def test_a_refusal_after_the_press_was_answered_is_a_reply_message(
    quick_hold: None, adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    card, message = await ticket_card(adapter, fake)
    fake.press(STRANGER, message, "Claim")
    press = await _pressed(core)
    emptied = await fake.wait_for_call("answerCallbackQuery", timeout=QUICK + 2)
    assert emptied.params == {"callback_query_id": press.event_id}

    ref = await adapter.send(_refusal(card, press))

    reply = fake.message(STAFF_GROUP, ref.message_id)
    assert reply["text"] == REFUSAL
    assert reply["reply_to_message"]["message_id"] == message["message_id"]
    assert reply["message_thread_id"] == int(card.thread_id or 0)
    assert len(_answers_to(fake, press.event_id)) == 1


async def test_a_refusal_telegram_finds_too_old_is_a_reply_message(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    card, message = await ticket_card(adapter, fake)
    fake.press(STRANGER, message, "Claim")
    press = await _pressed(core)
    fake.fail_next("answerCallbackQuery", status=400, description=f"Bad Request: {QUERY_TOO_OLD}")

    ref = await adapter.send(_refusal(card, press))

    [refused] = _answers_to(fake, press.event_id)
    assert refused.status == 400 and refused.params["show_alert"] == "true"
    reply = fake.message(STAFF_GROUP, ref.message_id)
    assert reply["text"] == REFUSAL
    assert reply["reply_to_message"]["message_id"] == message["message_id"]


async def test_stopping_answers_held_presses(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    _, message = await ticket_card(adapter, fake)
    fake.press(STRANGER, message, "Claim")
    press = await _pressed(core)

    await asyncio.wait_for(adapter.stop(), timeout=2.0)

    [answer] = _answers_to(fake, press.event_id)
    assert answer.params == {"callback_query_id": press.event_id}


async def test_with_an_agent_list_only_unlisted_members_are_held(
    fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.add_group(
        STAFF_GROUP,
        "Support staff",
        forum=True,
        members={AGENT.id: "member", HELPER.id: "member"},
    )
    staff = StaffSection(platform="telegram", chat_id=str(STAFF_GROUP), agents=[str(AGENT.id)])
    adapter = TelegramAdapter(telegram_section(fake), staff)
    await adapter.start(core)
    try:
        card, message = await ticket_card(adapter, fake)
        fake.press(HELPER, message, "Claim")
        by_helper = await _pressed(core)
        fake.press(AGENT, message, "Claim")
        by_agent = await _pressed(core)
        await fake.wait_for_call("answerCallbackQuery", timeout=1.0)
        assert [c.params["callback_query_id"] for c in fake.calls_of("answerCallbackQuery")] == [
            by_agent.event_id
        ]

        await adapter.send(_refusal(card, by_helper))
    finally:
        await adapter.stop()

    assert by_helper.from_staff_room and by_agent.from_staff_room
    [alert] = _answers_to(fake, by_helper.event_id)
    assert (alert.params["show_alert"], alert.params["text"]) == ("true", REFUSAL)


# -- the whole bot ------------------------------------------------------------------


async def _answered(fake: FakeTelegramApi, query_id: str) -> ApiCall:
    return await fake.wait_for_call(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == query_id, timeout=3
    )


async def test_the_bot_refuses_outsiders_privately_and_lets_the_agent_claim(
    database_url: str,
) -> None:
    async with FakeTelegramApi() as fake:
        fake.add_group(
            STAFF_GROUP,
            "Support staff",
            forum=True,
            members={AGENT.id: "member", HELPER.id: "member"},
        )
        async with running_bot(
            fake,
            database_url,
            {"platform": "telegram", "chat_id": str(STAFF_GROUP), "agents": [str(AGENT.id)]},
        ):
            fake.user_writes(ANN, "can I talk to a human please")
            card = await said(fake, STAFF_GROUP, "Ticket #1")
            topic = card["message_thread_id"]

            refusals = []
            for outsider in (STRANGER, HELPER):
                pressed = fake.press(outsider, card, "Claim")
                refusals.append(await _answered(fake, pressed["callback_query"]["id"]))

            pressed = fake.press(AGENT, card, "Claim")
            agents_answer = await _answered(fake, pressed["callback_query"]["id"])
            await fake.wait_for_call(
                "editMessageText", lambda c: "Claimed by Bob" in c.result["text"], timeout=10
            )

            typed = fake.user_writes(HELPER, "!resolve", chat_id=STAFF_GROUP, thread_id=topic)
            reply = await said(fake, STAFF_GROUP, REFUSAL)

        assert [(a.params["show_alert"], a.params["text"]) for a in refusals] == [
            ("true", REFUSAL),
            ("true", REFUSAL),
        ]
        assert "show_alert" not in agents_answer.params
        assert reply["reply_to_message"]["message_id"] == typed["message_id"]
        to_staff = [
            c for c in fake.calls_of("sendMessage") if c.params["chat_id"] == str(STAFF_GROUP)
        ]
        assert [c.result["text"] for c in to_staff if REFUSAL in c.result["text"]] == [REFUSAL]
