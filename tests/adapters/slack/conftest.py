"""Shared pieces of the Slack adapter tests: the fake Slack, a recording core, the adapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.slack import SlackAdapter
from bot.config import SlackSection, StaffSection
from bot.contract import Action, Event, NotStored
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack

STAFF_CHANNEL = "CSTAFF"
SUPPORT_CHANNEL = "CSUPPORT"
CUSTOMER = "UCUST"
AGENT = "UAGENT"
OUTSIDER = "UOUT"
DM = "DCUST"

STAFF = StaffSection(platform="slack", chat_id=STAFF_CHANNEL)


class RecordingCore:
    """Stores every event once, as the core's inbox does (same chat + message id, or the
    same `Action.event_id`, is a redelivery).

    `fail_with` makes the next `receive` raise after recording; `refuse_next` makes
    that many `receive` calls raise `NotStored` without storing, as a core whose
    database is away. `patience` records what each caller allowed.
    """

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.received = 0
        self.fail_with: Exception | None = None
        self.refuse_next = 0
        self.patience: list[float | None] = []
        self._keys: set[tuple[str, ...]] = set()
        self._changed = asyncio.Condition()

    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        async with self._changed:
            self.received += 1
            self.patience.append(patience)
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self._changed.notify_all()
                raise NotStored("the database is away")
            key = _inbox_key(event)
            if key not in self._keys:
                self._keys.add(key)
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

    async def wait_received(self, count: int, timeout: float = 5.0) -> None:
        """Until `receive` was called `count` times, stored or not."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.received >= count), timeout)


def _inbox_key(event: Event) -> tuple[str, ...]:
    if isinstance(event, Action) and event.event_id:
        return (event.platform, event.event_id)
    return (event.platform, event.chat_id, event.message_id)


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
