"""`supportbot doctor` for Discord: discord.py's REST client against the fake Discord."""

from __future__ import annotations

import discord
import pytest

from adapters.discord.doctor import (
    INTENT_FIX,
    INVITE_PERMISSIONS,
    LOGIN_FIX,
    MESSAGE_CONTENT,
    MESSAGE_CONTENT_LIMITED,
    SERVER_MEMBERS,
    SERVER_MEMBERS_LIMITED,
    DiscordCheckup,
)
from adapters.registry import Finding, Severity
from bot.config import StaffSection
from tests.adapters.discord.conftest import discord_section, staff_section
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.unreachable import free_port


@pytest.fixture
def app(fake: FakeDiscord) -> FakeDiscord:
    """The application with the Message Content and Server Members intents switched on
    (fewer than 100 servers), invited with the link docs/discord.md gives."""
    fake.application_flags = MESSAGE_CONTENT_LIMITED | SERVER_MEMBERS_LIMITED
    fake.bot_permissions = INVITE_PERMISSIONS.value
    return fake


def _problems(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.severity == Severity.PROBLEM]


async def _check(
    fake: FakeDiscord, staff: StaffSection | None = None, **section: object
) -> list[Finding]:
    return await DiscordCheckup(
        discord_section(fake, **section), staff or staff_section(fake)
    ).run()


async def test_a_complete_setup_is_all_ok(app: FakeDiscord) -> None:
    found = await _check(app)

    assert [f.severity for f in found] == [Severity.OK] * 8
    assert "token accepted" in found[0].what and "Message Content intent is on" in found[1].what
    assert "Server Members intent is on" in found[2].what
    assert "#staff" in found[3].what and "every permission" in found[4].what
    assert "@staff" in found[5].what
    assert "#support" in found[6].what and "every permission" in found[7].what
    assert [c.name for c in app.calls] == [
        "get_current_user",
        "get_current_application",
        "get_channel",
        "get_roles",
        "get_member",
        "get_roles",
        "get_channel",
        "get_roles",
        "get_member",
    ]


async def test_the_verified_bots_intent_flags_count_too(app: FakeDiscord) -> None:
    app.application_flags = MESSAGE_CONTENT | SERVER_MEMBERS

    found = await _check(app)

    assert {f.severity for f in found} == {Severity.OK}


async def test_a_rejected_token(app: FakeDiscord) -> None:
    found = await _check(app, token="not-the-token")

    assert [(f.severity, f.fix) for f in found] == [(Severity.PROBLEM, LOGIN_FIX)]


async def test_the_message_content_intent_off(app: FakeDiscord) -> None:
    app.application_flags = 0

    [problem] = _problems(await _check(app))

    assert "Message Content intent is off" in problem.what and problem.fix == INTENT_FIX


async def test_a_staff_channel_that_does_not_exist(app: FakeDiscord) -> None:
    staff = StaffSection(platform="discord", chat_id=str(app.new_id()))

    problems = _problems(await _check(app, staff))

    assert "no such channel" in problems[0].what
    assert "not checked" in problems[1].what  # the role: no server to look in


async def test_a_staff_channel_the_bot_may_not_see(app: FakeDiscord) -> None:
    app.fail_next("get_channel", 403, {"message": "Missing Access", "code": 50001})

    problems = _problems(await _check(app))

    assert "may not see it" in problems[0].what and "invite the bot" in problems[0].fix


async def test_a_staff_role_that_is_not_in_the_server(app: FakeDiscord) -> None:
    [problem] = _problems(await _check(app, staff_role_id=str(app.new_id())))

    assert "no such role" in problem.what


async def test_no_staff_role_means_nobody_is_staff(app: FakeDiscord) -> None:
    [problem] = _problems(await _check(app, staff_role_id=None))

    assert "nobody in the staff channel counts as staff" in problem.what


async def test_agent_ids_and_channel_ids_must_be_numbers(app: FakeDiscord) -> None:
    staff = StaffSection(platform="discord", chat_id="staff", agents=["123", "bob"])

    problems = _problems(await _check(app, staff, support_channel_id=None))

    assert "bob" in problems[0].what
    assert "'staff' is not a Discord id" in problems[1].what


async def test_an_unreachable_api(app: FakeDiscord) -> None:
    [problem] = await _check(app, api_base_url=f"http://127.0.0.1:{free_port()}/api/v10")

    assert problem.severity == Severity.PROBLEM and "cannot talk to Discord" in problem.what


def test_start_failure_explains_token_and_intent(app: FakeDiscord) -> None:
    checkup = DiscordCheckup(discord_section(app), staff_section(app))

    assert checkup.start_failure(discord.LoginFailure("Improper token")) == (
        f"Discord rejected the token (discord.token): {LOGIN_FIX}"
    )
    assert checkup.start_failure(discord.PrivilegedIntentsRequired(None)) == (
        f"Discord refused the Message Content intent: {INTENT_FIX}"
    )
    assert checkup.start_failure(ValueError("x")) is None


async def test_permissions_the_invite_did_not_grant(app: FakeDiscord) -> None:
    app.bot_permissions = discord.Permissions(view_channel=True, send_messages=True).value

    [staff, support] = _problems(await _check(app))

    assert staff.what == (
        "staff channel (staff.chat_id): the bot lacks the permissions Read Message History, "
        "Create Public Threads, Send Messages in Threads in #staff"
    )
    assert "Read Message History" in support.what and "Threads" not in support.what


async def test_a_channel_overwrite_that_takes_a_permission_away(app: FakeDiscord) -> None:
    deny = discord.Permissions(send_messages_in_threads=True).value
    app.staff_overwrites = [
        {"id": str(app.bot_role_id), "type": 0, "allow": "0", "deny": str(deny)}
    ]

    [problem] = _problems(await _check(app))

    assert problem.what.endswith("lacks the permissions Send Messages in Threads in #staff")


async def test_a_member_overwrite_gives_back_what_the_role_lacks(app: FakeDiscord) -> None:
    app.bot_permissions = discord.Permissions(view_channel=True, send_messages=True).value
    allow = INVITE_PERMISSIONS.value
    app.staff_overwrites = [{"id": str(app.bot_id), "type": 1, "allow": str(allow), "deny": "0"}]

    problems = _problems(await _check(app))

    assert [p.what.split(":")[0] for p in problems] == [
        "support channel (discord.support_channel_id)"
    ]


async def test_an_administrator_has_every_permission(app: FakeDiscord) -> None:
    app.bot_permissions = discord.Permissions(administrator=True).value
    deny = INVITE_PERMISSIONS.value
    app.staff_overwrites = [{"id": str(app.guild_id), "type": 0, "allow": "0", "deny": str(deny)}]

    assert not _problems(await _check(app))
