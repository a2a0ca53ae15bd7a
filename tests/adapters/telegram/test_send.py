"""send / edit -> the right Bot API calls, and failures -> DeliveryError."""

from __future__ import annotations

import pytest

from adapters.telegram import TelegramAdapter
from adapters.telegram.render import WORD_JOINER
from bot.config import StaffSection
from bot.contract import Address, Button, DeliveryError, Outbound, SentRef, Span, Style, plain
from tests.adapters.telegram.conftest import (
    CUSTOMER,
    STAFF_GROUP,
    RecordingCore,
    staff_section,
    telegram_section,
)
from tests.fakes.telegram_api import FakeTelegramApi

PLAIN_GROUP = -100555
TO_CUSTOMER = Address("telegram", str(CUSTOMER.id))
TO_STAFF = Address("telegram", str(STAFF_GROUP))


@pytest.fixture(autouse=True)
def _customer_chat(fake: FakeTelegramApi) -> None:
    fake.add_private_chat(CUSTOMER)


async def test_every_span_is_escaped_and_mentions_are_neutralized(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    text = (
        Span("Hi "),
        Span("<Ann & co>", Style.BOLD),
        Span(' says: <a href="tg://user?id=1">@everyone</a> ping @admin_team '),
        Span("@not_a_mention", Style.CODE),
    )

    ref = await adapter.send(Outbound(TO_CUSTOMER, text))

    call = await fake.wait_for_call("sendMessage")
    assert call.params["parse_mode"] == "HTML"
    assert "<b>&lt;Ann &amp; co&gt;</b>" in call.params["text"]
    shown = fake.message(CUSTOMER.id, ref.message_id)
    assert shown["text"] == (
        'Hi <Ann & co> says: <a href="tg://user?id=1">'
        f"@{WORD_JOINER}everyone</a> ping @{WORD_JOINER}admin_team @not_a_mention"
    )
    kinds = {entity["type"] for entity in shown["entities"]}
    assert kinds == {"bold", "code"}
    assert ref == SentRef("telegram", str(CUSTOMER.id), ref.message_id, None)


async def test_buttons_become_an_inline_keyboard(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    buttons = tuple(Button(str(n), "rate", f"42:{n}") for n in range(1, 6))

    ref = await adapter.send(Outbound(TO_CUSTOMER, plain("How did we do?"), buttons=buttons))

    keyboard = fake.message(CUSTOMER.id, ref.message_id)["reply_markup"]["inline_keyboard"]
    assert keyboard == [[{"text": str(n), "callback_data": f"rate:42:{n}"} for n in range(1, 6)]]


async def test_long_text_is_split_with_buttons_on_the_last_piece(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    words = " ".join(f"w{n:04d}" for n in range(1500))  # 8999 characters

    ref = await adapter.send(
        Outbound(TO_CUSTOMER, plain(words), buttons=(Button("Thanks", "helpful", "1"),))
    )

    calls = fake.calls_of("sendMessage")
    assert len(calls) == 3
    assert ["reply_markup" in call.params for call in calls] == [False, False, True]
    shown = [fake.message(CUSTOMER.id, n)["text"] for n in (1, 2, 3)]
    assert "".join(shown) == words
    assert ref.message_id == "3"


async def test_ticket_card_opens_a_forum_topic(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    title = "#12 Ann Lee: " + "x" * 200

    card = await adapter.send(
        Outbound(TO_STAFF, plain("New ticket"), (Button("Claim", "claim", "12"),), title)
    )
    relayed = await adapter.send(
        Outbound(Address("telegram", str(STAFF_GROUP), card.thread_id), plain("Ann: hello?"))
    )

    created = await fake.wait_for_call("createForumTopic")
    assert created.params["name"] == title[:128]
    topic = int(card.thread_id or 0)
    assert fake.topics(STAFF_GROUP) == {topic: title[:128]}
    assert fake.message(STAFF_GROUP, card.message_id)["message_thread_id"] == topic
    assert fake.message(STAFF_GROUP, relayed.message_id)["message_thread_id"] == topic
    assert relayed.thread_id == card.thread_id


async def test_ticket_card_in_a_plain_group_starts_a_reply_chain(
    fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.add_group(PLAIN_GROUP, "Plain staff", forum=False)
    running = TelegramAdapter(
        telegram_section(fake), StaffSection(platform="telegram", chat_id=str(PLAIN_GROUP))
    )
    await running.start(core)
    try:
        to_group = Address("telegram", str(PLAIN_GROUP))
        card = await running.send(Outbound(to_group, plain("New ticket"), open_thread="#1"))
        relayed = await running.send(
            Outbound(Address("telegram", str(PLAIN_GROUP), card.thread_id), plain("hello?"))
        )
    finally:
        await running.stop()

    assert fake.calls_of("createForumTopic") == []
    assert card.thread_id == card.message_id
    reply = fake.message(PLAIN_GROUP, relayed.message_id)["reply_to_message"]
    assert str(reply["message_id"]) == card.message_id
    assert relayed.thread_id == card.thread_id


async def test_edit_replaces_text_and_removes_buttons(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    card = await adapter.send(
        Outbound(TO_STAFF, plain("Ticket 3"), (Button("Claim", "claim", "3"),), "Ticket 3")
    )
    claimed = Outbound(TO_STAFF, (Span("Ticket 3 claimed by "), Span("<Bob>", Style.BOLD)))

    await adapter.edit(card, claimed)
    await adapter.edit(card, claimed)

    shown = fake.message(STAFF_GROUP, card.message_id)
    assert shown["text"] == "Ticket 3 claimed by <Bob>"
    assert "reply_markup" not in shown
    assert len(fake.calls_of("editMessageText")) == 2


async def test_an_edit_too_long_for_one_message_is_cut_and_marked(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    card = await adapter.send(Outbound(TO_STAFF, plain("Ticket 6"), open_thread="Ticket 6"))
    words = " ".join(f"w{n:04d}" for n in range(1000))  # 5999 characters

    await adapter.edit(card, Outbound(TO_STAFF, plain(words)))

    shown = fake.message(STAFF_GROUP, card.message_id)["text"]
    assert shown.endswith("…")
    assert len(shown) <= 4096
    assert words.startswith(shown[:-1])


async def test_edit_of_a_missing_message_is_permanent(adapter: TelegramAdapter) -> None:
    ref = SentRef("telegram", str(CUSTOMER.id), "777")

    with pytest.raises(DeliveryError) as caught:
        await adapter.edit(ref, Outbound(TO_CUSTOMER, plain("x")))

    assert caught.value.permanent


async def test_a_429_is_retried_by_the_rate_limiter(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=1)

    ref = await adapter.send(Outbound(TO_CUSTOMER, plain("hello")))

    assert len(fake.calls_of("sendMessage")) == 2
    assert fake.message(CUSTOMER.id, ref.message_id)["text"] == "hello"


async def test_a_429_past_the_retries_carries_retry_after(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    fake.fail_next("sendMessage", times=2, status=429, retry_after=1)

    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Outbound(TO_CUSTOMER, plain("hello")))

    assert caught.value.retry_after == 1.0
    assert not caught.value.permanent
    assert len(fake.calls_of("sendMessage")) == 2


@pytest.mark.parametrize(
    ("status", "description", "permanent"),
    [
        (403, "Forbidden: bot was blocked by the user", True),
        (400, "Bad Request: chat not found", True),
        (400, "Bad Request: can't parse entities: Unclosed start tag", True),
        (500, "Internal Server Error", False),
        (502, "Bad Gateway", False),
    ],
)
async def test_failures_are_classified(
    adapter: TelegramAdapter,
    fake: FakeTelegramApi,
    status: int,
    description: str,
    permanent: bool,
) -> None:
    fake.fail_next("sendMessage", status=status, description=description)

    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Outbound(TO_CUSTOMER, plain("hello")))

    assert caught.value.permanent is permanent
    assert caught.value.retry_after is None
    assert description.split(": ")[-1].lower() in str(caught.value).lower()


async def test_blocked_bot_is_permanent(adapter: TelegramAdapter, fake: FakeTelegramApi) -> None:
    fake.block_bot(CUSTOMER)

    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Outbound(TO_CUSTOMER, plain("hello")))

    assert caught.value.permanent


async def test_a_timeout_is_transient(fake: FakeTelegramApi, core: RecordingCore) -> None:
    running = TelegramAdapter(telegram_section(fake, request_timeout=0.3), staff_section())
    await running.start(core)
    fake.stall_next("sendMessage", 1.0)
    try:
        with pytest.raises(DeliveryError) as caught:
            await running.send(Outbound(TO_CUSTOMER, plain("hello")))
    finally:
        await running.stop()

    assert not caught.value.permanent
    assert "TimedOut" in str(caught.value)


async def test_a_retried_card_reuses_the_topic_it_created(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    card = Outbound(TO_STAFF, plain("Ticket 5"), (Button("Claim", "claim", "5"),), "Ticket 5")
    fake.fail_next("sendMessage", status=500)

    with pytest.raises(DeliveryError):
        await adapter.send(card)
    ref = await adapter.send(card)

    assert len(fake.calls_of("createForumTopic")) == 1
    assert list(fake.topics(STAFF_GROUP)) == [int(ref.thread_id or 0)]


async def test_callback_data_over_64_bytes_is_refused(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    button = Button("Pick", "suggest", "ü" * 40)

    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Outbound(TO_CUSTOMER, plain("Did you mean"), buttons=(button,)))

    assert caught.value.permanent
    assert fake.calls_of("sendMessage") == []


async def test_sending_while_stopped_is_a_transient_failure(fake: FakeTelegramApi) -> None:
    stopped = TelegramAdapter(telegram_section(fake), staff_section())

    with pytest.raises(DeliveryError) as caught:
        await stopped.send(Outbound(TO_CUSTOMER, plain("hello")))

    assert not caught.value.permanent


async def test_messages_to_a_staff_room_on_another_platform_are_plain(
    fake: FakeTelegramApi, core: RecordingCore
) -> None:
    running = TelegramAdapter(telegram_section(fake), staff_section(platform="slack"))
    await running.start(core)
    try:
        ref = await running.send(
            Outbound(Address("telegram", str(CUSTOMER.id), "1"), plain("re: your question"))
        )
    finally:
        await running.stop()

    assert fake.calls_of("getChat") == []
    sent = fake.calls_of("sendMessage")[0]
    assert "message_thread_id" not in sent.params
    assert sent.json("reply_parameters")["message_id"] == 1
    assert ref.thread_id == "1"
