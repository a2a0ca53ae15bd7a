"""`supportbot doctor` for Slack: slack-sdk against the fake Slack Web API."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.registry import Finding, Severity
from adapters.slack.doctor import (
    APP_LOGIN_FIX,
    BOT_LOGIN_FIX,
    BOT_SCOPES,
    SCOPES_FIX,
    SlackCheckup,
)
from bot.config import StaffSection
from tests.adapters.slack.conftest import STAFF, STAFF_CHANNEL, SUPPORT_CHANNEL, slack_section
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.fakes.unreachable import free_port


@pytest.fixture
def workspace(fake: FakeSlack) -> FakeSlack:
    """The app installed with every scope, a member of the staff and support channels."""
    fake.scopes = sorted(BOT_SCOPES)
    fake.add_channel(STAFF_CHANNEL, "staff", private=True)
    fake.add_channel(SUPPORT_CHANNEL, "support")
    return fake


def _problems(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.severity == Severity.PROBLEM]


async def _check(fake: FakeSlack, staff: StaffSection = STAFF, **section: object) -> list[Finding]:
    return await SlackCheckup(slack_section(fake, **section), staff).run()


async def test_a_complete_installation_is_all_ok(workspace: FakeSlack) -> None:
    found = await _check(workspace)

    assert [f.severity for f in found] == [Severity.OK] * 5
    assert "bot token accepted" in found[0].what and "every scope" in found[1].what
    assert "Socket Mode" in found[2].what
    assert "#staff" in found[3].what and "#support" in found[4].what
    assert [c.method for c in workspace.calls] == [
        "auth.test",
        "apps.connections.open",
        "conversations.info",
        "conversations.info",
    ]
    assert workspace.calls_of("apps.connections.open")[0].token == APP_TOKEN


async def test_a_rejected_bot_token_stops_the_checkup(workspace: FakeSlack) -> None:
    found = await _check(workspace, bot_token="xoxb-wrong")

    assert [(f.severity, f.fix) for f in found] == [(Severity.PROBLEM, BOT_LOGIN_FIX)]
    assert "rejected slack.bot_token (invalid_auth)" in found[0].what


async def test_a_rejected_app_token(workspace: FakeSlack) -> None:
    [problem] = _problems(await _check(workspace, app_token="xapp-wrong"))

    assert "slack.app_token" in problem.what and problem.fix == APP_LOGIN_FIX


async def test_http_mode_needs_no_app_token(workspace: FakeSlack) -> None:
    found = await _check(workspace, mode="http", app_token=None)

    assert not _problems(found)
    assert not workspace.calls_of("apps.connections.open")


async def test_missing_scopes_are_named(workspace: FakeSlack) -> None:
    workspace.scopes = sorted(BOT_SCOPES - {"groups:history", "users:read"})

    [problem] = _problems(await _check(workspace))

    assert problem.what == "the bot token lacks the scopes groups:history, users:read"
    assert problem.fix == SCOPES_FIX


async def test_no_scopes_header_is_a_problem(workspace: FakeSlack) -> None:
    workspace.scopes = None

    [problem] = _problems(await _check(workspace))

    assert "x-oauth-scopes" in problem.what


async def test_a_channel_the_app_is_not_in(workspace: FakeSlack) -> None:
    workspace.add_channel(STAFF_CHANNEL, "staff", member=False)

    [problem] = _problems(await _check(workspace))

    assert "not a member of #staff" in problem.what and "/invite" in problem.fix


async def test_a_channel_slack_does_not_show_the_app(workspace: FakeSlack) -> None:
    staff = StaffSection(platform="slack", chat_id="CNOWHERE")

    [problem] = _problems(await _check(workspace, staff))

    assert "CNOWHERE" in problem.what and "no such channel" in problem.what


async def test_agent_ids_that_are_not_member_ids(workspace: FakeSlack) -> None:
    staff = StaffSection(platform="slack", chat_id=STAFF_CHANNEL, agents=["UAGENT", "alex"])

    [problem] = _problems(await _check(workspace, staff))

    assert "alex" in problem.what and "UAGENT" not in problem.what


async def test_an_unreachable_api(workspace: FakeSlack) -> None:
    [problem] = await _check(workspace, api_base_url=f"http://127.0.0.1:{free_port()}/api/")

    assert problem.severity == Severity.PROBLEM and "cannot reach Slack" in problem.what


async def test_start_failure_tells_the_bot_token_from_the_app_token(workspace: FakeSlack) -> None:
    checkup = SlackCheckup(slack_section(workspace), STAFF)
    base = workspace.base_url
    with pytest.raises(SlackApiError) as bot_rejected:
        await AsyncWebClient(token="xoxb-wrong", base_url=base).auth_test()
    with pytest.raises(SlackApiError) as app_rejected:
        await AsyncWebClient(token="xapp-wrong", base_url=base).apps_connections_open(
            app_token="xapp-wrong"
        )
    with pytest.raises(SlackApiError) as other:
        await AsyncWebClient(token=BOT_TOKEN, base_url=base).conversations_info(channel="CX")

    assert checkup.start_failure(bot_rejected.value) == (
        f"Slack rejected the bot token (slack.bot_token): {BOT_LOGIN_FIX}"
    )
    assert checkup.start_failure(app_rejected.value) == (
        f"Slack rejected the app token (slack.app_token): {APP_LOGIN_FIX}"
    )
    assert checkup.start_failure(other.value) is None
