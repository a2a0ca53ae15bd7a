"""A send whose outcome is unknown is resent without Discord creating anything twice.

The fake carries the call out and then loses its answer (held back past the request
timeout, or the connection dropped); the resend carries the same nonce, and the fake,
like Discord, answers it with the message created the first time.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.discord import DiscordAdapter
from adapters.discord.errors import delivery_error
from bot.contract import Address, Button, DeliveryError, Outbound, plain
from tests.adapters.discord.conftest import StartAdapter
from tests.fakes.discord_api import FakeDiscord, Payload
from tests.fakes.unreachable import refused_connection

TIMEOUT = 0.3


@pytest.fixture
async def impatient(start_adapter: StartAdapter) -> DiscordAdapter:
    """An adapter that gives up on a REST call after TIMEOUT seconds."""
    return await start_adapter(request_timeout=TIMEOUT)


def _dm(fake: FakeDiscord) -> Address:
    return Address("discord", fake.dm_channel(fake.user(fake.new_id()))["id"])


async def _send_failing(adapter: DiscordAdapter, out: Outbound) -> DeliveryError:
    with pytest.raises(DeliveryError) as failure:
        await adapter.send(out)
    return failure.value


def _words(count: int) -> str:
    return " ".join(f"word{i}" for i in range(count))


async def test_an_answer_lost_to_a_timeout_gives_back_the_first_message(
    fake: FakeDiscord, impatient: DiscordAdapter
) -> None:
    to = _dm(fake)
    out = Outbound(to, plain("Your parcel left today"), (Button("Yes", "helpful", "1"),), key="sb7")
    fake.lose_answer_next("create_message", stall=TIMEOUT * 4)

    failure = await _send_failing(impatient, out)
    assert failure.maybe_sent is True
    assert failure.permanent is False

    ref = await impatient.send(replace(out, maybe_sent=True))

    [message] = fake.messages_in(to.chat_id)
    assert message["content"] == "Your parcel left today"
    assert ref.message_id == message["id"]
    attempts = fake.calls_of("create_message")
    assert [(c.json["nonce"], c.json["enforce_nonce"]) for c in attempts] == [("sb7.0", True)] * 2


async def test_a_dropped_connection_is_in_doubt_and_the_resend_creates_nothing(
    fake: FakeDiscord, impatient: DiscordAdapter
) -> None:
    to = _dm(fake)
    out = Outbound(to, plain("hello"), key="sb8")
    fake.lose_answer_next("create_message")

    failure = await _send_failing(impatient, out)
    assert failure.maybe_sent is True

    ref = await impatient.send(replace(out, maybe_sent=True))
    assert [m["id"] for m in fake.messages_in(to.chat_id)] == [ref.message_id]


async def test_a_resent_card_keeps_the_thread_it_already_started(
    fake: FakeDiscord, impatient: DiscordAdapter
) -> None:
    staff = Address("discord", str(fake.staff_channel_id))
    card = Outbound(staff, plain("Ticket #4"), (Button("Claim", "claim", "4"),), "#4 Ann", "sb9")
    fake.lose_answer_next("start_thread_from_message", stall=TIMEOUT * 4)

    failure = await _send_failing(impatient, card)
    assert failure.maybe_sent is True

    ref = await impatient.send(replace(card, maybe_sent=True))

    [message] = fake.messages_in(fake.staff_channel_id)
    assert ref.message_id == message["id"]
    assert ref.thread_id == message["id"]
    assert list(fake.threads) == [int(message["id"])]
    assert [c.params["message_id"] for c in fake.calls_of("start_thread_from_message")] == [
        message["id"]
    ] * 2


async def test_each_piece_of_a_long_message_is_created_once(
    fake: FakeDiscord, impatient: DiscordAdapter
) -> None:
    to = _dm(fake)
    out = Outbound(to, plain(_words(900)), key="sb10")  # about 6,300 characters: 4 pieces
    fake.lose_answer_next("create_message", stall=TIMEOUT * 4)

    await _send_failing(impatient, out)
    ref = await impatient.send(replace(out, maybe_sent=True))

    messages = fake.messages_in(to.chat_id)
    assert [m["nonce"] for m in messages] == [f"sb10.{n}" for n in range(4)]
    assert " ".join(m["content"].strip() for m in messages) == _words(900)
    assert ref.message_id == messages[-1]["id"]


async def test_a_long_key_still_makes_a_short_stable_nonce(
    fake: FakeDiscord, impatient: DiscordAdapter
) -> None:
    to = _dm(fake)
    out = Outbound(to, plain("hello"), key="k" * 40)

    first = await impatient.send(out)
    again = await impatient.send(replace(out, maybe_sent=True))

    assert first == again
    nonces = {c.json["nonce"] for c in fake.calls_of("create_message")}
    assert len(nonces) == 1
    assert len(nonces.pop()) <= 25


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, {"message": "upstream unavailable", "code": 0}),
        (429, {"message": "You are being rate limited.", "retry_after": 120.0, "global": False}),
    ],
)
async def test_an_answered_failure_is_not_in_doubt(
    fake: FakeDiscord, impatient: DiscordAdapter, status: int, body: Payload
) -> None:
    fake.fail_next("create_message", status, body, headers={"Via": "1.1 google"})

    failure = await _send_failing(impatient, Outbound(_dm(fake), plain("x"), key="sb11"))

    assert failure.maybe_sent is False
    assert failure.permanent is False


async def test_a_refused_connection_is_not_in_doubt() -> None:
    refused = await refused_connection("/api/v10/channels/1/messages")

    failure = delivery_error(refused)

    assert failure.maybe_sent is False
    assert failure.permanent is False
