"""Shared pieces of the Slack adapter tests: the fake Slack, a recording core, the adapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.slack import SlackAdapter
from bot.config import SlackSection, StaffSection
from bot.contract import Event
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack

STAFF_CHANNEL = "CSTAFF"
SUPPORT_CHANNEL = "CSUPPORT"
CUSTOMER = "UCUST"
AGENT = "UAGENT"
OUTSIDER = "UOUT"
DM = "DCUST"

STAFF = StaffSection(platform="slack", chat_id=STAFF_CHANNEL)


class RecordingCore:
    """Records every event; `fail_with` makes the next `handle` raise after recording."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.fail_with: Exception | None = None
        self._changed = asyncio.Condition()

    async def handle(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()
        failure, self.fail_with = self.fail_with, None
        if failure is not None:
            raise failure

    async def wait_for(self, count: int, timeout: float = 5.0) -> Event:
        """The `count`-th event (1-based), once it has arrived."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.events) >= count), timeout
            )
            return self.events[count - 1]


@pytest.fixture(autouse=True)
def _direct_to_fakes(no_proxy: None) -> None:
    """slack-sdk honours HTTP(S)_PROXY even for 127.0.0.1."""


def slack_section(fake: FakeSlack, **overrides: Any) -> SlackSection:
    values: dict[str, Any] = {
        "enabled": True,
        "bot_token": BOT_TOKEN,
        "app_token": APP_TOKEN,
        "signing_secret": SIGNING_SECRET,
        "support_channel": SUPPORT_CHANNEL,
        "api_base_url": fake.base_url,
    }
    values.update(overrides)
    return SlackSection.model_validate(values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        server.add_user(CUSTOMER, "cara", display_name="Cara <!channel>", locale="de-DE")
        server.add_user(AGENT, "alex", display_name="Alex")
        server.add_user(OUTSIDER, "olga")
        # Page size 2: the agent is only on the second page of conversations.members.
        server.members[STAFF_CHANNEL] = ["UBOT", "UOTHER", AGENT, "UOTHER2"]
        yield server


@pytest.fixture
async def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def adapter(fake: FakeSlack, core: RecordingCore) -> AsyncIterator[SlackAdapter]:
    """A started Socket Mode adapter feeding `core`."""
    slack = SlackAdapter(slack_section(fake), STAFF)
    await slack.start(core)
    yield slack
    await slack.stop()
