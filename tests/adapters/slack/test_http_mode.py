"""The HTTP Events API: Bolt's aiohttp server on port 0, requests signed like Slack's."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from adapters.slack import SlackAdapter
from bot.contract import Action, Address, Button, Inbound, Outbound, plain
from tests.adapters.slack.conftest import (
    AGENT,
    CUSTOMER,
    DM,
    STAFF,
    STAFF_CHANNEL,
    RecordingCore,
    slack_section,
)
from tests.fakes.slack_api import FakeSlack, form_body, signed_headers


@pytest.fixture
async def http_adapter(fake: FakeSlack, core: RecordingCore) -> AsyncIterator[SlackAdapter]:
    section = slack_section(fake, mode="http", app_token=None, http_port=0)
    slack = SlackAdapter(section, STAFF)
    await slack.start(core)
    yield slack
    await slack.stop()


async def post(
    adapter: SlackAdapter, body: str, headers: dict[str, str]
) -> tuple[int, dict[str, Any] | str]:
    url = f"http://127.0.0.1:{adapter.http_port}/slack/events"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        text = await r.text()
        return r.status, json.loads(text) if text.startswith("{") else text


async def test_a_signed_event_is_accepted_and_delivered(
    fake: FakeSlack, core: RecordingCore, http_adapter: SlackAdapter
) -> None:
    event = fake.message_event(DM, CUSTOMER, "hello over http")
    body = json.dumps(fake.event_callback(event))

    status, _ = await post(http_adapter, body, signed_headers(body))

    assert status == 200
    inbound = await core.wait_for(1)
    assert isinstance(inbound, Inbound) and inbound.text == "hello over http"


async def test_a_forged_signature_is_rejected_before_the_core(
    fake: FakeSlack, core: RecordingCore, http_adapter: SlackAdapter
) -> None:
    forged_event = fake.message_event(DM, CUSTOMER, "<!channel> forged")
    forged = json.dumps(fake.event_callback(forged_event))
    headers = signed_headers(forged, secret="not-the-signing-secret")

    status, answer = await post(http_adapter, forged, headers)
    assert (status, answer) == (401, {"error": "invalid request"})

    tampered = forged.replace("forged", "tampered")
    status, _ = await post(http_adapter, tampered, signed_headers(forged))
    assert status == 401

    genuine_event = fake.message_event(DM, CUSTOMER, "genuine")
    genuine = json.dumps(fake.event_callback(genuine_event))
    assert (await post(http_adapter, genuine, signed_headers(genuine)))[0] == 200
    assert (await core.wait_for(1)).message_id == genuine_event["ts"]
    assert len(core.events) == 1


async def test_a_stale_timestamp_is_rejected(
    fake: FakeSlack, core: RecordingCore, http_adapter: SlackAdapter
) -> None:
    body = json.dumps(fake.event_callback(fake.message_event(DM, CUSTOMER, "replayed")))
    ten_minutes_ago = int(time.time()) - 600

    status, _ = await post(http_adapter, body, signed_headers(body, timestamp=ten_minutes_ago))

    assert status == 401
    assert core.events == []
    assert fake.calls_of("users.info") == []


async def test_a_retried_delivery_is_acknowledged_and_dropped(
    fake: FakeSlack, core: RecordingCore, http_adapter: SlackAdapter
) -> None:
    event = fake.message_event(DM, CUSTOMER, "once please")
    body = json.dumps(fake.event_callback(event, event_id="Ev-http-dup"))
    assert (await post(http_adapter, body, signed_headers(body)))[0] == 200
    await core.wait_for(1)

    retry = {**signed_headers(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"}
    assert (await post(http_adapter, body, retry))[0] == 200

    later = fake.message_event(DM, CUSTOMER, "next")
    later_body = json.dumps(fake.event_callback(later))
    await post(http_adapter, later_body, signed_headers(later_body))
    assert (await core.wait_for(2)).message_id == later["ts"]
    assert len(core.events) == 2


async def test_a_button_press_form_post_becomes_an_action(
    fake: FakeSlack, core: RecordingCore, http_adapter: SlackAdapter
) -> None:
    ref = await http_adapter.send(
        Outbound(
            to=Address("slack", STAFF_CHANNEL),
            text=plain("Ticket #3"),
            buttons=(Button("Claim", "claim", "3"),),
        )
    )
    body = form_body(fake.press(STAFF_CHANNEL, ref.message_id, AGENT, "Claim"))
    headers = signed_headers(body, content_type="application/x-www-form-urlencoded")

    status, _ = await post(http_adapter, body, headers)

    assert status == 200
    action = await core.wait_for(1)
    assert isinstance(action, Action)
    assert (action.action_id, action.value, action.from_staff_room) == ("claim", "3", True)


async def test_slack_url_verification_is_answered(
    fake: FakeSlack, http_adapter: SlackAdapter
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})

    status, answer = await post(http_adapter, body, signed_headers(body))

    assert (status, answer) == (200, {"challenge": "c-123"})
