"""A send whose outcome is unknown is resent without posting anything twice.

The fake carries the call out and then loses its answer (held back past the client's
timeout, or the connection dropped); the outbox then resends with `maybe_sent`, and the
adapter finds the pieces already posted by the key in their metadata.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.slack import SlackAdapter
from adapters.slack.errors import delivery_error
from bot.contract import Address, Button, DeliveryError, Outbound, plain
from tests.adapters.slack.conftest import DM, STAFF, STAFF_CHANNEL, RecordingCore, slack_section
from tests.fakes.slack_api import FakeSlack
from tests.fakes.unreachable import refused_connection

TIMEOUT = 0.3


@pytest.fixture
async def impatient(fake: FakeSlack, core: RecordingCore) -> AsyncIterator[SlackAdapter]:
    """An adapter that gives up on a Web API call after TIMEOUT seconds, and leaves 429s
    to the outbox."""
    slack = SlackAdapter(slack_section(fake, request_timeout=TIMEOUT, rate_limit_retries=0), STAFF)
    await slack.start(core)
    yield slack
    await slack.stop()


def _words(count: int) -> str:
    return " ".join(f"word{i}" for i in range(count))


async def _send_failing(adapter: SlackAdapter, out: Outbound) -> DeliveryError:
    with pytest.raises(DeliveryError) as failure:
        await adapter.send(out)
    return failure.value


async def test_an_answer_lost_to_a_timeout_is_found_instead_of_posted_again(
    fake: FakeSlack, impatient: SlackAdapter
) -> None:
    out = Outbound(Address("slack", DM), plain("Your parcel left today"), key="sb7")
    fake.lose_answer_next("chat.postMessage", stall=TIMEOUT * 4)

    failure = await _send_failing(impatient, out)
    assert failure.maybe_sent is True
    assert failure.permanent is False

    ref = await impatient.send(replace(out, maybe_sent=True))

    [message] = fake.messages_in(DM)
    assert message.text == "Your parcel left today"
    assert ref.message_id == message.ts
    assert message.metadata == {
        "event_type": "supportbot_outbox",
        "event_payload": {"key": "sb7", "piece": 0},
    }
    assert len(fake.calls_of("chat.postMessage")) == 1
    [lookup] = fake.calls_of("conversations.history")
    assert lookup.args["channel"] == DM
    assert lookup.args["include_all_metadata"] in ("1", "true")


async def test_a_connection_dropped_after_posting_is_not_retried_by_the_sdk(
    fake: FakeSlack, impatient: SlackAdapter
) -> None:
    out = Outbound(Address("slack", DM), plain("hello"), (Button("Yes", "helpful", "1"),), key="k")
    fake.lose_answer_next("chat.postMessage")

    failure = await _send_failing(impatient, out)
    assert failure.maybe_sent is True
    assert len(fake.calls_of("chat.postMessage")) == 1

    ref = await impatient.send(replace(out, maybe_sent=True))
    assert [m.ts for m in fake.messages_in(DM)] == [ref.message_id]


async def test_calls_that_are_safe_to_repeat_are_still_retried_by_the_sdk(
    fake: FakeSlack, impatient: SlackAdapter
) -> None:
    ref = await impatient.send(Outbound(Address("slack", DM), plain("open"), key="sb8"))
    fake.lose_answer_next("chat.update")

    await impatient.edit(ref, Outbound(Address("slack", DM), plain("closed")))

    assert len(fake.calls_of("chat.update")) == 2
    assert [m.text for m in fake.messages_in(DM)] == ["closed"]


async def test_a_resend_posts_only_the_pieces_slack_does_not_have(
    fake: FakeSlack, impatient: SlackAdapter
) -> None:
    card = await impatient.send(Outbound(Address("slack", STAFF_CHANNEL), plain("Ticket #1")))
    thread = Address("slack", STAFF_CHANNEL, card.message_id)
    out = Outbound(thread, plain(_words(1000)), key="sb9")  # about 6,900 characters: 3 pieces
    fake.lose_answer_next("chat.postMessage", stall=TIMEOUT * 4)

    await _send_failing(impatient, out)
    ref = await impatient.send(replace(out, maybe_sent=True))

    replies = fake.messages_in(STAFF_CHANNEL, thread_ts=card.message_id)
    assert [m.metadata["event_payload"] for m in replies if m.metadata] == [
        {"key": "sb9", "piece": n} for n in range(3)
    ]
    assert " ".join(m.text.strip() for m in replies) == _words(1000)
    assert ref.message_id == replies[-1].ts
    assert fake.calls_of("conversations.replies")[0].args["ts"] == card.message_id


async def test_the_lookup_pages_through_a_long_thread(
    fake: FakeSlack, impatient: SlackAdapter
) -> None:
    parent = fake.add_message(STAFF_CHANNEL, "Ticket #2")
    for n in range(120):
        fake.add_message(STAFF_CHANNEL, f"reply {n}", thread_ts=parent)
    out = Outbound(Address("slack", STAFF_CHANNEL, parent), plain("late relay"), key="sb11")
    fake.lose_answer_next("chat.postMessage", stall=TIMEOUT * 4)

    await _send_failing(impatient, out)
    ref = await impatient.send(replace(out, maybe_sent=True))

    assert [m.text for m in fake.messages_in(STAFF_CHANNEL, thread_ts=parent)].count(
        "late relay"
    ) == 1
    assert ref.message_id == fake.messages_in(STAFF_CHANNEL, thread_ts=parent)[-1].ts
    assert len(fake.calls_of("conversations.replies")) == 3


async def test_a_message_that_never_went_out_is_posted_on_the_resend(
    fake: FakeSlack, impatient: SlackAdapter
) -> None:
    out = Outbound(Address("slack", DM), plain("hello"), key="sb12", maybe_sent=True)

    ref = await impatient.send(out)

    assert [m.ts for m in fake.messages_in(DM)] == [ref.message_id]
    assert len(fake.calls_of("conversations.history")) == 1


@pytest.mark.parametrize(
    ("status", "error", "retry_after"),
    [(429, "ratelimited", 3), (500, "internal_error", None), (503, "service_unavailable", None)],
)
async def test_an_answered_failure_is_not_in_doubt(
    fake: FakeSlack, impatient: SlackAdapter, status: int, error: str, retry_after: int | None
) -> None:
    fake.fail_next("chat.postMessage", status=status, error=error, retry_after=retry_after)

    failure = await _send_failing(impatient, Outbound(Address("slack", DM), plain("x"), key="k"))

    assert failure.maybe_sent is False
    assert failure.retry_after == retry_after
    assert fake.messages_in(DM) == []


async def test_a_refused_connection_is_not_in_doubt() -> None:
    refused = await refused_connection("/api/chat.postMessage")

    failure = delivery_error(refused, "chat.postMessage")

    assert failure.maybe_sent is False
    assert failure.permanent is False
