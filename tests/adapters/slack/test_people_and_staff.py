"""User lookups and the staff member list, through the real client and the fake Slack."""

from __future__ import annotations

import asyncio
import logging

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import SlackAdapter
from adapters.slack.people import People
from adapters.slack.staff import ChannelMembers
from bot.config import ConfigError, StaffSection
from bot.contract import Sender
from tests.adapters.slack.conftest import (
    AGENT,
    CUSTOMER,
    OUTSIDER,
    STAFF,
    STAFF_CHANNEL,
    RecordingCore,
    slack_section,
)
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def client_for(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url)


async def test_members_are_read_across_pages_and_cached_for_the_ttl(fake: FakeSlack) -> None:
    clock = Clock()
    members = ChannelMembers(client_for(fake), STAFF_CHANNEL, ttl=60.0, clock=clock)

    assert await members.contains(AGENT)
    assert not await members.contains(OUTSIDER)
    assert len(fake.calls_of("conversations.members")) == 2  # two pages, one read

    fake.members[STAFF_CHANNEL] = [OUTSIDER]
    clock.now = 59.0
    assert await members.contains(AGENT)
    clock.now = 60.0
    assert not await members.contains(AGENT)
    assert await members.contains(OUTSIDER)


async def test_when_the_member_list_cannot_be_read_nobody_is_staff(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    members = ChannelMembers(client_for(fake), "CUNKNOWN")

    with caplog.at_level(logging.WARNING, logger="adapters.slack"):
        assert not await members.contains(AGENT)

    assert "conversations.members failed" in caplog.text


async def test_a_sender_has_a_display_name_and_a_language_hint_cached(fake: FakeSlack) -> None:
    clock = Clock()
    people = People(client_for(fake), ttl=600.0, clock=clock)

    assert await people.sender(CUSTOMER) == Sender(CUSTOMER, "Cara <!channel>", "de")
    assert await people.sender(OUTSIDER) == Sender(OUTSIDER, "Olga", "en")
    await people.sender(CUSTOMER)
    assert len(fake.calls_of("users.info")) == 2
    assert fake.calls_of("users.info")[0].args["include_locale"] in ("1", "true", True)

    clock.now = 600.0
    await people.sender(CUSTOMER)
    assert len(fake.calls_of("users.info")) == 3


async def test_lookups_of_one_user_at_once_ask_slack_once(fake: FakeSlack) -> None:
    people = People(client_for(fake))

    found = await asyncio.gather(*(people.sender(CUSTOMER) for _ in range(5)))

    assert set(found) == {Sender(CUSTOMER, "Cara <!channel>", "de")}
    assert len(fake.calls_of("users.info")) == 1


async def test_an_unknown_user_is_named_by_id_and_not_cached(fake: FakeSlack) -> None:
    people = People(client_for(fake))

    assert await people.sender("UGHOST") == Sender("UGHOST", "UGHOST")
    await people.sender("UGHOST")
    assert len(fake.calls_of("users.info")) == 2


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"bot_token": None}, "slack.bot_token"),
        ({"app_token": ""}, "slack.app_token"),
        ({"mode": "http", "signing_secret": None}, "slack.signing_secret"),
    ],
)
def test_missing_credentials_are_a_config_error_naming_the_key(
    fake: FakeSlack, overrides: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigError, match=key):
        SlackAdapter(slack_section(fake, **overrides), STAFF)


async def test_without_a_slack_staff_room_nobody_is_staff(fake: FakeSlack) -> None:
    core = RecordingCore()
    slack = SlackAdapter(
        slack_section(fake), StaffSection(platform="telegram", chat_id=STAFF_CHANNEL)
    )
    await slack.start(core)
    try:
        card_ts = fake.next_ts()
        await fake.push_event(
            fake.message_event(
                STAFF_CHANNEL, AGENT, "hi", channel_type="channel", thread_ts=card_ts
            )
        )
        await fake.push_event(fake.message_event("DAGENT", AGENT, "hello"))
        event = await core.wait_for(1)
    finally:
        await slack.stop()

    assert event.chat_id == "DAGENT" and not event.from_staff_room
    assert fake.calls_of("conversations.members") == []
