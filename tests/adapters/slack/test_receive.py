"""Slack is acknowledged only once the core has stored an event.

Over HTTP the 200 waits for the core; a core that cannot store answers non-2xx, and the
fake Slack's redelivery (X-Slack-Retry-Num) reaches the core once it recovers. Over
Socket Mode the envelope is acked only after the core stored it; an unacked envelope
is sent again (retry_attempt). A button press that cannot be stored is not acked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.slack import SlackAdapter
from adapters.slack.receive import PATIENCE
from bot.contract import Address, Button, Event, Inbound, Outbound, plain
from tests.adapters.slack.conftest import (
    AGENT,
    CUSTOMER,
    DM,
    STAFF,
    STAFF_CHANNEL,
    RecordingCore,
    slack_section,
)
from tests.fakes.slack_api import FakeSlack, HttpAttempt

HOLD = "hold this one"
OTHER_DM = "DOTHER"


class HoldingCore(RecordingCore):
    """Stores every event, but holds a message saying HOLD until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        if isinstance(event, Inbound) and event.text == HOLD:
            self.holding.set()
            await self.release.wait()
        await super().receive(event, patience=patience)


async def started(fake: FakeSlack, core: RecordingCore, mode: str) -> SlackAdapter:
    overrides = {"mode": "http", "app_token": None, "http_port": 0} if mode == "http" else {}
    slack = SlackAdapter(slack_section(fake, **overrides), STAFF)
    await slack.start(core)
    return slack


@pytest.fixture
async def http_adapter(fake: FakeSlack, core: RecordingCore) -> AsyncIterator[SlackAdapter]:
    slack = await started(fake, core, "http")
    yield slack
    await slack.stop()


def events_url(adapter: SlackAdapter) -> str:
    return f"http://127.0.0.1:{adapter.http_port}/slack/events"


async def test_http_answers_non_2xx_until_stored_and_the_retry_lands_once(
    fake: FakeSlack, core: RecordingCore, http_adapter: SlackAdapter
) -> None:
    core.refuse_next = 2
    event = fake.message_event(DM, CUSTOMER, "are you there?")

    status = await fake.deliver_event(events_url(http_adapter), event, event_id="Ev-away")

    assert status == 200
    assert fake.http_attempts == [
        HttpAttempt("Ev-away", 0, 503),
        HttpAttempt("Ev-away", 1, 503),
        HttpAttempt("Ev-away", 2, 200),
    ]
    assert [e.message_id for e in core.events] == [event["ts"]]
    assert core.received == 3


async def test_http_answers_only_after_the_core_stored_the_event(fake: FakeSlack) -> None:
    core = HoldingCore()
    slack = await started(fake, core, "http")
    try:
        held = fake.message_event(DM, CUSTOMER, HOLD)
        first = asyncio.create_task(fake.deliver_event(events_url(slack), held))
        await asyncio.wait_for(core.holding.wait(), 5)
        # Another chat is not held up (one chat's messages wait for each other).
        later = fake.message_event(OTHER_DM, CUSTOMER, "not held")
        assert await fake.deliver_event(events_url(slack), later) == 200

        assert not first.done()
        assert [e.message_id for e in core.events] == [later["ts"]]
        core.release.set()
        assert await asyncio.wait_for(first, 5) == 200
    finally:
        core.release.set()
        await slack.stop()

    assert [a.retry_num for a in fake.http_attempts] == [0, 0]
    assert [e.message_id for e in core.events] == [later["ts"], held["ts"]]


async def test_a_socket_envelope_is_not_acked_until_stored_and_is_redelivered(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    fake.ack_timeout = 0.3
    core.refuse_next = 2
    event = fake.message_event(DM, CUSTOMER, "anyone?")

    first = await fake.push_event(event, event_id="Ev-socket-away")
    stored = await core.wait_for(1)

    deliveries = [e for e in fake.envelopes if e["payload"]["event_id"] == "Ev-socket-away"]
    assert [d.get("retry_attempt") for d in deliveries] == [None, 1, 2]
    assert deliveries[0]["envelope_id"] == first
    await fake.wait_for_ack(deliveries[2]["envelope_id"])
    assert first not in fake.acks and deliveries[1]["envelope_id"] not in fake.acks
    assert stored.message_id == event["ts"] and len(core.events) == 1
    assert core.received == 3


async def test_a_socket_envelope_is_acked_only_after_the_core_returned(fake: FakeSlack) -> None:
    core = HoldingCore()
    slack = await started(fake, core, "socket")
    try:
        held = await fake.push_event(fake.message_event(DM, CUSTOMER, HOLD))
        await asyncio.wait_for(core.holding.wait(), 5)
        behind = await fake.push_event(fake.message_event(DM, CUSTOMER, "same chat, later"))
        later = await fake.push_event(fake.message_event(OTHER_DM, CUSTOMER, "not held"))
        await fake.wait_for_ack(later)

        assert held not in fake.acks and behind not in fake.acks
        core.release.set()
        await fake.wait_for_ack(held)
        await fake.wait_for_ack(behind)
    finally:
        core.release.set()
        await slack.stop()

    # One chat's messages reach the core in the order they came.
    texts = [e.text for e in core.events if isinstance(e, Inbound) and e.chat_id == DM]
    assert texts == [HOLD, "same chat, later"]
    assert len(core.events) == 3


async def test_a_press_that_cannot_be_stored_is_not_acked_over_socket_mode(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    card = await adapter.send(
        Outbound(
            to=Address("slack", STAFF_CHANNEL),
            text=plain("Ticket #9"),
            buttons=(Button("Claim", "claim", "9"),),
        )
    )
    core.refuse_next = 1
    refused = await fake.push_interactive(
        fake.press(STAFF_CHANNEL, card.message_id, AGENT, "Claim")
    )
    await core.wait_received(1)
    again = await fake.push_interactive(fake.press(STAFF_CHANNEL, card.message_id, AGENT, "Claim"))
    await fake.wait_for_ack(again)

    assert refused not in fake.acks
    assert len(core.events) == 1


async def test_a_press_that_cannot_be_stored_gets_a_non_2xx_over_http(
    fake: FakeSlack, core: RecordingCore, http_adapter: SlackAdapter
) -> None:
    card = await http_adapter.send(
        Outbound(
            to=Address("slack", STAFF_CHANNEL),
            text=plain("Ticket #9"),
            buttons=(Button("Claim", "claim", "9"),),
        )
    )
    core.refuse_next = 1
    url = events_url(http_adapter)
    refused = fake.press(STAFF_CHANNEL, card.message_id, AGENT, "Claim")
    accepted = fake.press(STAFF_CHANNEL, card.message_id, AGENT, "Claim")

    assert await fake.deliver_press(url, refused) == 503
    assert await fake.deliver_press(url, accepted) == 200
    stored = await core.wait_for(1)
    assert stored.event_id == accepted["trigger_id"]  # type: ignore[union-attr]
    assert len(core.events) == 1


async def test_the_core_gets_less_patience_than_slacks_three_seconds(
    fake: FakeSlack, core: RecordingCore, adapter: SlackAdapter
) -> None:
    await fake.wait_for_ack(await fake.push_event(fake.message_event(DM, CUSTOMER, "hi")))

    assert core.patience == [PATIENCE]
    assert 0 < PATIENCE < 3.0
