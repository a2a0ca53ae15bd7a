"""send / edit -> Discord REST calls; failures -> DeliveryError; lifecycle."""

from __future__ import annotations

import discord
import pytest

from adapters.discord import DiscordAdapter
from bot.contract import (
    Address,
    Button,
    DeliveryError,
    Outbound,
    SentRef,
    Span,
    Style,
    plain,
)
from tests.adapters.discord.conftest import StartAdapter
from tests.fakes.discord_api import FakeDiscord, Payload

NO_MENTIONS: dict[str, list[str]] = {"parse": []}


def _custom_ids(body: Payload) -> list[str]:
    return [button["custom_id"] for row in body["components"] for button in row["components"]]


def _staff(fake: FakeDiscord, thread_id: str | None = None) -> Address:
    return Address("discord", str(fake.staff_channel_id), thread_id)


def _dm(fake: FakeDiscord) -> Address:
    return Address("discord", fake.dm_channel(fake.user(fake.new_id()))["id"])


async def test_an_everyone_attempt_is_escaped_and_pings_nobody(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    relayed = (
        Span("Dana", Style.BOLD),
        Span(": "),
        Span("@everyone @here free **nitro** <@&1300000000000000099> [x](https://evil.example)"),
    )
    await adapter.send(Outbound(_dm(fake), relayed))

    body = (await fake.wait_for_call("create_message")).json
    assert body["allowed_mentions"] == NO_MENTIONS
    assert body["content"] == (
        "**Dana**: @\u200beveryone @\u200bhere free \\*\\*nitro\\*\\* "
        "<@\u200b&1300000000000000099> \\[x](https://evil.example)"
    )


async def test_buttons_are_persistent_components(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    buttons = tuple(Button(str(n), "rate", str(n)) for n in range(1, 6))
    ref = await adapter.send(Outbound(_dm(fake), plain("How did we do?"), buttons))

    body = (await fake.wait_for_call("create_message")).json
    assert _custom_ids(body) == [f"sb:rate:{n}" for n in range(1, 6)]
    assert [b["label"] for row in body["components"] for b in row["components"]] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert ref.message_id in {str(i) for i in fake.messages}


async def test_a_ticket_card_opens_its_thread(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    ref = await adapter.send(
        Outbound(
            _staff(fake), plain("Ticket #3"), (Button("Claim", "claim", "3"),), open_thread="#3 Ann"
        )
    )

    started = await fake.wait_for_call("start_thread_from_message")
    assert started.params == {
        "channel_id": str(fake.staff_channel_id),
        "message_id": ref.message_id,
    }
    assert started.json["name"] == "#3 Ann"
    assert ref == SentRef("discord", str(fake.staff_channel_id), ref.message_id, ref.message_id)
    assert int(ref.message_id) in fake.threads


async def test_messages_to_a_thread_go_to_the_thread_channel(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    card = await adapter.send(Outbound(_staff(fake), plain("card"), open_thread="t"))
    ref = await adapter.send(Outbound(_staff(fake, card.thread_id), plain("customer wrote")))

    call = await fake.wait_for_call("create_message", count=2)
    assert call.params["channel_id"] == card.thread_id
    assert (ref.chat_id, ref.thread_id) == (str(fake.staff_channel_id), card.thread_id)


async def test_support_channel_answers_reply_to_the_customer_message(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    to = Address("discord", str(fake.support_channel_id), "1300000000000000777")
    await adapter.send(Outbound(to, plain("Here you go")))

    call = await fake.wait_for_call("create_message")
    assert call.params["channel_id"] == str(fake.support_channel_id)
    assert str(call.json["message_reference"]["message_id"]) == "1300000000000000777"
    assert call.json["message_reference"]["fail_if_not_exists"] is False


async def test_long_text_is_split_with_the_buttons_on_the_last_piece(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    text = " ".join(f"word{i}" for i in range(900))  # about 6,300 characters
    ref = await adapter.send(Outbound(_dm(fake), plain(text), (Button("Yes", "helpful", "x"),)))

    calls = fake.calls_of("create_message")
    assert len(calls) == 4
    assert all(len(c.json["content"]) <= 2000 for c in calls)
    assert " ".join(c.json["content"].strip() for c in calls) == text
    assert [bool(c.json.get("components")) for c in calls] == [False, False, False, True]
    assert ref.message_id == max(str(i) for i in fake.messages)


async def test_editing_the_card_replaces_text_and_buttons(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    card = await adapter.send(
        Outbound(_staff(fake), plain("open"), (Button("Claim", "claim", "3"),), open_thread="t")
    )
    claimed = Outbound(_staff(fake), (Span("Claimed by "), Span("@here_Dana", Style.BOLD)))
    await adapter.edit(card, claimed)

    edit = await fake.wait_for_call("edit_message")
    assert edit.params == {"channel_id": str(fake.staff_channel_id), "message_id": card.message_id}
    assert edit.json["content"] == "Claimed by **@\u200bhere\\_Dana**"
    assert edit.json["components"] == []
    assert edit.json["allowed_mentions"] == NO_MENTIONS
    assert fake.messages[int(card.message_id)]["components"] == []

    await adapter.edit(
        card, Outbound(_staff(fake), plain("open"), (Button("Claim", "claim", "3"),))
    )
    again = await fake.wait_for_call("edit_message", count=2)
    assert _custom_ids(again.json) == ["sb:claim:3"]


async def test_an_edit_longer_than_one_message_is_cut_and_marked(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    card = await adapter.send(Outbound(_staff(fake), plain("card")))
    await adapter.edit(card, Outbound(_staff(fake), plain("x" * 2500)))

    content = (await fake.wait_for_call("edit_message")).json["content"]
    assert content == "x" * 1999 + "…"


async def test_an_edit_whose_escaping_outgrows_the_limit_is_cut_shorter(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    card = await adapter.send(Outbound(_staff(fake), plain("card")))
    await adapter.edit(card, Outbound(_staff(fake), plain("_" * 1990)))

    content = (await fake.wait_for_call("edit_message")).json["content"]
    assert len(content) <= 2000
    assert content.endswith("…") and content.startswith("\\_")


async def test_a_message_inside_a_thread_is_edited_there(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    card = await adapter.send(Outbound(_staff(fake), plain("card"), open_thread="t"))
    inside = await adapter.send(Outbound(_staff(fake, card.thread_id), plain("note")))
    await adapter.edit(inside, Outbound(_staff(fake, card.thread_id), plain("note (edited)")))

    edit = await fake.wait_for_call("edit_message")
    assert edit.params == {"channel_id": card.thread_id, "message_id": inside.message_id}


async def test_a_short_429_is_retried_by_discord_py(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.rate_limit_next("create_message", 0.05)
    ref = await adapter.send(Outbound(_dm(fake), plain("hi")))

    assert len(fake.calls_of("create_message")) == 2
    assert int(ref.message_id) in fake.messages


async def test_a_long_429_is_handed_to_the_outbox_with_its_wait(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.rate_limit_next("create_message", 120.0)
    with pytest.raises(DeliveryError) as failure:
        await adapter.send(Outbound(_dm(fake), plain("hi")))

    assert failure.value.retry_after == 120.0
    assert failure.value.permanent is False
    assert len(fake.calls_of("create_message")) == 1


async def test_a_429_that_outlasts_the_library_retries_keeps_its_wait(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.rate_limit_next("create_message", 0.01, times=5)
    with pytest.raises(DeliveryError) as failure:
        await adapter.send(Outbound(_dm(fake), plain("hi")))

    assert failure.value.retry_after == 1.0
    assert failure.value.permanent is False
    assert len(fake.calls_of("create_message")) == 5


@pytest.mark.parametrize(
    ("status", "body", "permanent"),
    [
        (403, {"message": "Cannot send messages to this user", "code": 50007}, True),
        (404, {"message": "Unknown Channel", "code": 10003}, True),
        (400, {"message": "Invalid Form Body", "code": 50035}, True),
        (503, {"message": "upstream unavailable", "code": 0}, False),
    ],
)
async def test_failures_are_classified(
    fake: FakeDiscord, adapter: DiscordAdapter, status: int, body: Payload, permanent: bool
) -> None:
    fake.fail_next("create_message", status, body)
    with pytest.raises(DeliveryError) as failure:
        await adapter.send(Outbound(_dm(fake), plain("hi")))

    assert failure.value.permanent is permanent
    assert failure.value.retry_after is None
    assert str(status) in str(failure.value)


async def test_a_dropped_connection_is_transient(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.disconnect_next("edit_message")
    card = await adapter.send(Outbound(_dm(fake), plain("x")))
    with pytest.raises(DeliveryError) as failure:
        await adapter.edit(card, Outbound(_dm(fake), plain("y")))

    assert failure.value.permanent is False
    assert "connection failed" in str(failure.value)


async def test_stop_is_idempotent_and_sending_afterwards_fails_cleanly(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    await adapter.stop()
    await adapter.stop()

    with pytest.raises(DeliveryError, match="not started"):
        await adapter.send(Outbound(_dm(fake), plain("hi")))


async def test_the_gateway_comes_from_the_api_unless_configured(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    await start_adapter()
    assert len(fake.calls_of("get_gateway_bot")) == 1

    await start_adapter(gateway_url=fake.gateway_url)
    await fake.wait_for_identify(2)
    assert len(fake.calls_of("get_gateway_bot")) == 1


async def test_a_wrong_token_fails_the_start(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    with pytest.raises(discord.LoginFailure):
        await start_adapter(token="not-the-token")
    assert fake.identified == 0
