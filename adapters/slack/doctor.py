"""`supportbot doctor` for Slack: the tokens, the scopes granted, the channels joined.

What the Slack app needs is declared here once (`BOT_SCOPES`, `BOT_EVENTS`,
`APP_TOKEN_SCOPES`); docs/slack-manifest.yaml, the manifest users paste, is tested to
ask for exactly these. The checkup uses the adapter's own client settings (same API
base URL, same timeout): `auth.test` (is the bot token accepted; Slack lists the
token's scopes in the answer's `x-oauth-scopes` header), `apps.connections.open` in
Socket Mode (is the app token accepted), and `conversations.info` on the staff and
support channels (does the channel exist for the app, is the app a member).
"""

from __future__ import annotations

import math

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.registry import Finding, ok, problem
from adapters.slack.adapter import api_base
from adapters.slack.errors import CALL_ERRORS
from bot.config import SlackSection, StaffSection

PLATFORM = "slack"

BOT_SCOPES = frozenset(
    {
        "app_mentions:read",  # customers @mention the app in the support channel
        "channels:history",  # messages in public channels (staff threads, support channel)
        "channels:read",  # a public channel's members (who is staff)
        "chat:write",  # every reply, card and edit
        "groups:history",  # the same for a private staff channel
        "groups:read",
        "im:history",  # customers' direct messages, and the bot's own (resend checks)
        "users:read",  # names and languages of customers and agents
    }
)
BOT_EVENTS = frozenset({"app_mention", "message.channels", "message.groups", "message.im"})
APP_TOKEN_SCOPES = frozenset({"connections:write"})  # Socket Mode

REJECTED = frozenset({"invalid_auth", "not_authed", "token_revoked", "account_inactive"})
BOT_LOGIN_FIX = (
    "copy the Bot User OAuth Token (xoxb-...) from your app's OAuth & Permissions page "
    "into the variable slack.bot_token names (SLACK_BOT_TOKEN in the example)"
)
APP_LOGIN_FIX = (
    "create an app-level token with the scope connections:write (Basic Information > "
    "App-Level Tokens) and put it (xapp-...) in the variable slack.app_token names"
)
SCOPES_FIX = (
    "add them under OAuth & Permissions > Bot Token Scopes (or paste "
    "docs/slack-manifest.yaml into the app's manifest), reinstall the app to the "
    "workspace, and use the bot token it shows then"
)


class SlackCheckup:
    platform = PLATFORM

    def __init__(self, section: SlackSection, staff: StaffSection) -> None:
        self._section = section
        self._staff = staff

    async def run(self) -> list[Finding]:
        token = self._section.bot_token.get_secret_value() if self._section.bot_token else ""
        if not token:
            return [problem(PLATFORM, "slack.bot_token is empty", BOT_LOGIN_FIX)]
        client = self._client(token)
        try:
            identity = await client.auth_test()
        except SlackApiError as exc:
            return [self._rejected_or_failed(exc, "slack.bot_token", BOT_LOGIN_FIX)]
        except CALL_ERRORS as exc:
            return [_unreachable(self._section, exc)]
        found = [
            ok(
                PLATFORM,
                f"bot token accepted: @{identity.get('user')} in workspace {identity.get('team')}",
            ),
            _scopes(identity.headers.get("x-oauth-scopes")),
        ]
        found += await self._app_token()
        found += _agent_ids(self._staff)
        rooms = []
        if self._staff.platform == PLATFORM:
            rooms.append(("staff channel (staff.chat_id)", self._staff.chat_id))
        if self._section.support_channel:
            rooms.append(("support channel (slack.support_channel)", self._section.support_channel))
        for name, channel in rooms:
            found.append(await self._channel(client, name, channel))
        return found

    def start_failure(self, exc: BaseException) -> str | None:
        if not isinstance(exc, SlackApiError) or _error(exc) not in REJECTED:
            return None
        if _method(exc) == "apps.connections.open":
            return f"Slack rejected the app token (slack.app_token): {APP_LOGIN_FIX}"
        return f"Slack rejected the bot token (slack.bot_token): {BOT_LOGIN_FIX}"

    def _client(self, token: str) -> AsyncWebClient:
        return AsyncWebClient(
            token=token,
            base_url=api_base(self._section.api_base_url),
            timeout=math.ceil(self._section.request_timeout),
        )

    async def _app_token(self) -> list[Finding]:
        if self._section.mode != "socket":
            return []
        token = self._section.app_token.get_secret_value() if self._section.app_token else ""
        if not token:
            return [problem(PLATFORM, "slack.app_token is empty (Socket Mode)", APP_LOGIN_FIX)]
        try:
            await self._client(token).apps_connections_open(app_token=token)
        except SlackApiError as exc:
            return [self._rejected_or_failed(exc, "slack.app_token", APP_LOGIN_FIX)]
        except CALL_ERRORS as exc:
            return [_unreachable(self._section, exc)]
        return [ok(PLATFORM, "app token accepted: Socket Mode can connect")]

    async def _channel(self, client: AsyncWebClient, name: str, channel: str) -> Finding:
        try:
            answer = await client.conversations_info(channel=channel)
        except SlackApiError as exc:
            if _error(exc) == "channel_not_found":
                return problem(
                    PLATFORM,
                    f"{name} {channel}: Slack says there is no such channel for this app",
                    "use the channel's id (C..., at the bottom of the channel's details), "
                    "and for a private channel invite the app first: /invite @yourapp",
                )
            return self._rejected_or_failed(exc, name, SCOPES_FIX)
        except CALL_ERRORS as exc:
            return _unreachable(self._section, exc)
        info = answer.get("channel") or {}
        shown = f"#{info.get('name', channel)}"
        if not info.get("is_member"):
            return problem(
                PLATFORM,
                f"{name}: the app is not a member of {shown}, so it hears nothing there",
                f"in {shown}, type /invite @yourapp (the app's name)",
            )
        return ok(PLATFORM, f"{name}: the app is a member of {shown}")

    def _rejected_or_failed(self, exc: SlackApiError, key: str, fix: str) -> Finding:
        error = _error(exc)
        if error in REJECTED:
            return problem(PLATFORM, f"Slack rejected {key} ({error})", fix)
        if error == "missing_scope":
            needed = exc.response.get("needed") or "?"
            return problem(PLATFORM, f"{key}: the token lacks the scope {needed}", SCOPES_FIX)
        return problem(
            PLATFORM,
            f"{key}: Slack answered {error or exc.response.status_code} to {_method(exc)}",
            "see the Slack API documentation for that error",
        )


def _scopes(header: str | None) -> Finding:
    if header is None:
        return problem(
            PLATFORM,
            "Slack did not say which scopes the bot token has (no x-oauth-scopes header)",
            "use a bot token (xoxb-...), not a user or app token",
        )
    granted = {scope.strip() for scope in header.split(",") if scope.strip()}
    missing = sorted(BOT_SCOPES - granted)
    if missing:
        return problem(PLATFORM, f"the bot token lacks the scopes {', '.join(missing)}", SCOPES_FIX)
    return ok(PLATFORM, f"the bot token has every scope needed ({len(BOT_SCOPES)})")


def _agent_ids(staff: StaffSection) -> list[Finding]:
    if staff.platform != PLATFORM:
        return []
    wrong = [a for a in staff.agents if not (a[:1] in ("U", "W") and a[1:].isalnum())]
    if not wrong:
        return []
    return [
        problem(
            PLATFORM,
            f"staff.agents: {', '.join(wrong)} are not Slack member ids (U...)",
            "copy each agent's member id (profile > ... > Copy member ID)",
        )
    ]


def _unreachable(section: SlackSection, exc: Exception) -> Finding:
    return problem(
        PLATFORM,
        f"cannot reach Slack at {api_base(section.api_base_url)} ({type(exc).__name__})",
        "check the network (a proxy, a firewall) and slack.api_base_url",
    )


def _error(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def _method(exc: SlackApiError) -> str:
    return str(exc.response.api_url).rstrip("/").rsplit("/", 1)[-1]
