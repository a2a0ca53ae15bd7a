"""The Server Members intent: what doctor says about it, what the gateway is asked for,
and what the running bot logs when Discord will not list the staff role's members.
The real discord.py against the fake Discord."""

from __future__ import annotations

import logging

import discord
import pytest

from adapters.discord import DiscordAdapter
from adapters.discord.doctor import (
    INTENT_FIX,
    INVITE_PERMISSIONS,
    MESSAGE_CONTENT_LIMITED,
    SERVER_MEMBERS_LIMITED,
    DiscordCheckup,
)
from adapters.discord.staff import MEMBERS_FIX
from adapters.registry import Finding, Severity
from bot.config import StaffSection
from tests.adapters.discord.conftest import discord_section, staff_section
from tests.fakes.discord_api import FakeDiscord


@pytest.fixture
def app(fake: FakeDiscord) -> FakeDiscord:
    """Set up as docs/discord.md says, but for the Server Members intent."""
    fake.application_flags = MESSAGE_CONTENT_LIMITED
    fake.bot_permissions = INVITE_PERMISSIONS.value
    return fake


async def _check(fake: FakeDiscord, staff: StaffSection | None = None) -> list[Finding]:
    return await DiscordCheckup(discord_section(fake), staff or staff_section(fake)).run()


async def test_the_server_members_intent_off_is_a_warning_with_its_fix(app: FakeDiscord) -> None:
    found = await _check(app)

    [warning] = [f for f in found if f.severity != Severity.OK]
    assert warning.severity == Severity.WARNING
    assert warning.what.startswith("the Server Members intent is off")
    assert "/transfer" in warning.what
    assert warning.fix == MEMBERS_FIX and "Server Members Intent" in warning.fix


async def test_the_limited_flag_of_an_unverified_bot_is_enough(app: FakeDiscord) -> None:
    app.application_flags |= SERVER_MEMBERS_LIMITED

    found = await _check(app)

    assert {f.severity for f in found} == {Severity.OK}
    assert any(f.what.startswith("the Server Members intent is on") for f in found)


async def test_not_asked_when_the_staff_room_is_on_another_platform(app: FakeDiscord) -> None:
    found = await _check(app, StaffSection(platform="telegram", chat_id="-100123"))

    assert {f.severity for f in found} == {Severity.OK}
    assert not any("Server Members" in f.what for f in found)


async def test_the_gateway_is_never_asked_for_the_members_intent(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    """So an intent switched off cannot close the connection with 4014; the one
    privileged intent asked for is Message Content, which a 4014 is then explained by."""
    asked = discord.Intents._from_value(fake.identify_intents or 0)

    assert asked.message_content and asked.guild_messages
    assert not asked.members and not asked.presences
    checkup = DiscordCheckup(discord_section(fake), staff_section(fake))
    assert checkup.start_failure(discord.PrivilegedIntentsRequired(None)) == (
        f"Discord refused the Message Content intent: {INTENT_FIX}"
    )


async def test_a_refused_member_list_is_logged_once_with_the_fix(
    fake: FakeDiscord, adapter: DiscordAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    dana = fake.user(fake.new_id(), "dana")
    fake.guild_members = [fake.member(dana, staff=True)]
    fake.members_intent = False

    with caplog.at_level(logging.WARNING, logger="adapters.discord"):
        assert await adapter.list_agents() == []
        assert await adapter.list_agents() == []

    told = [r.getMessage() for r in caplog.records if "Server Members intent" in r.getMessage()]
    assert len(told) == 1 and MEMBERS_FIX in told[0]

    fake.members_intent = True  # switched on in the portal: the role's members, no warning
    caplog.clear()
    assert [a.user_id for a in await adapter.list_agents()] == [dana["id"]]
    assert not caplog.records
