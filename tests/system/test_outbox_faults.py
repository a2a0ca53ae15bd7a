"""Faults between deciding a reply and Slack having it: nothing lost, nothing twice.

The real Runtime with the real Slack adapter, against the fake Slack. First in one
process, with the fake answering the first sends with a 429, a 500, a timeout (the
message posted, the answer held back) and a dropped connection (posted, then cut).
Then with the bot in a process of its own, killed (SIGKILL) while it waits for Slack's
answer to a message Slack has already posted, and replaced by a new process on the
same database: the reply is found, not posted again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.registry import enabled_adapters
from bot.config import Config, parse_config
from bot.runtime import Runtime
from tests.conftest import EXAMPLE_FAQ
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.system.bot_process import (
    QUESTIONS,
    STAFF_CHANNEL,
    answered,
    bots,
    outbox_rows,
    wait_until_delivered,
    write_config,
)

WAIT = 20.0  # generous, so a loaded CI machine does not flake; passing runs take seconds
CUSTOMERS = (("UANN", "DANN"), ("UBEN", "DBEN"), ("UCAT", "DCAT"))
TIMEOUT = 0.5  # the bot's Slack request timeout in the one-process test


@pytest.fixture
async def slack(no_proxy: None) -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        for user_id, _ in CUSTOMERS:
            fake.add_user(user_id, user_id.lower())
        fake.members[STAFF_CHANNEL] = ["UBOT"]
        yield fake


def one_process_config(fake: FakeSlack, database_url: str) -> Config:
    data: dict[str, Any] = {
        "faq": {"path": str(EXAMPLE_FAQ)},
        "hours": {"always_open": True},
        "staff": {"platform": "slack", "chat_id": STAFF_CHANNEL},
        "database": {"url": database_url},
        "delivery": {"lease_seconds": 10, "retry_seconds": 0.05},
        "slack": {
            "enabled": True,
            "bot_token": "${SLACK_BOT_TOKEN}",
            "app_token": "${SLACK_APP_TOKEN}",
            "api_base_url": fake.base_url,
            "request_timeout": TIMEOUT,
            "rate_limit_retries": 0,  # every 429 goes back to the outbox
        },
    }
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    return parse_config(data, "test", env=env)


async def test_429s_500s_and_lost_answers_end_in_one_delivery_each_in_order(
    slack: FakeSlack, database_url: str
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    slack.fail_next("chat.postMessage", status=500, error="internal_error")
    slack.lose_answer_next("chat.postMessage", stall=TIMEOUT * 4)
    slack.lose_answer_next("chat.postMessage")
    config = one_process_config(slack, database_url)
    runtime = Runtime(config, enabled_adapters(config))
    await runtime.start()
    try:
        for question in QUESTIONS:
            for user_id, dm in CUSTOMERS:
                await slack.push_event(slack.message_event(dm, user_id, question))
        await wait_until_delivered(database_url, at_least=9, timeout=WAIT)
    finally:
        await runtime.stop()

    rows = await outbox_rows(database_url)
    assert [row.status for row in rows] == ["sent"] * 9
    for _, dm in CUSTOMERS:
        # Each decided reply is in the chat once, and the chat shows them in decided order.
        decided = [row.sent_message_id for row in rows if row.chat_id == dm]
        assert [message.ts for message in slack.messages_in(dm)] == decided
        assert sorted(answered(slack, dm)) == sorted(QUESTIONS)
    statuses = [call.status for call in slack.calls_of("chat.postMessage")]
    assert statuses[:2] == [429, 500]
    assert len(statuses) == 9 + 2  # two refused, two posted without an answer: 9 messages
    # Both lost answers were looked up, found, and not posted again.
    assert len(slack.calls_of("conversations.history")) >= 2


async def test_a_bot_killed_mid_send_is_replaced_and_the_reply_arrives_once(
    slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    user_id, dm = CUSTOMERS[0]
    config = write_config(tmp_path, slack, database_url, lease_seconds=1.0)
    slack.lose_answer_next("chat.postMessage", stall=60.0)  # Slack posts it, then hangs
    async with bots(config) as running:
        first = await running.start()
        await slack.wait_connections(1, timeout=WAIT)
        await slack.push_event(slack.message_event(dm, user_id, "How do I reset my password?"))
        posted = await slack.wait_for_call("chat.postMessage", timeout=WAIT)

        await running.kill(first)
        await slack.wait_connections(0, timeout=WAIT)
        [row] = await outbox_rows(database_url)
        assert row.status == "pending"

        second = await running.start()
        await slack.wait_connections(1, timeout=WAIT)
        await wait_until_delivered(database_url, at_least=1, timeout=WAIT)
        assert await running.stop(second) == 0

    [row] = await outbox_rows(database_url)
    [message] = slack.messages_in(dm)
    assert (row.status, row.sent_message_id) == ("sent", message.ts)
    assert message.ts == posted.answer["ts"]
    assert answered(slack, dm) == ["How do I reset my password?"]
    assert len(slack.calls_of("chat.postMessage")) == 1
    [lookup] = slack.calls_of("conversations.history")
    assert lookup.args["channel"] == dm
