"""`supportbot doctor` for Discord: the token, the Message Content and Server Members
intents, the staff channel and role.

Uses discord.py's REST client against the adapter's API (`transport.use_api`): log in
with the token (GET /users/@me), read the application's flags (is the Message Content
intent switched on in the Developer Portal, without which every message arrives empty;
with a Discord staff channel, is the Server Members intent on, without which the agent
directory cannot list the staff role's members), fetch the staff and support channels
(can the bot see them), work out the bot's permissions in each from the server's
roles, the bot's member record and the channel's overwrites, and look for the staff
role among the server's roles.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
import discord.http

from adapters.discord import transport
from adapters.discord.inbound import PLATFORM
from adapters.discord.staff import MEMBERS_FIX
from adapters.registry import Finding, ok, problem, warning
from bot.config import DiscordSection, StaffSection

# Application flags: the Message Content intent, switched on for a verified bot
# (GATEWAY_MESSAGE_CONTENT) or for one in fewer than 100 servers (..._LIMITED).
MESSAGE_CONTENT = discord.ApplicationFlags.gateway_message_content.flag
MESSAGE_CONTENT_LIMITED = discord.ApplicationFlags.gateway_message_content_limited.flag
# Likewise the Server Members intent. The gateway is never asked for it (no 4014 when it
# is off); `GET /guilds/{id}/members`, how adapters/discord/staff.py lists the agents
# /transfer takes, answers only while it is on.
SERVER_MEMBERS = discord.ApplicationFlags.gateway_guild_members.flag
SERVER_MEMBERS_LIMITED = discord.ApplicationFlags.gateway_guild_members_limited.flag
TEXT_CHANNELS = (discord.ChannelType.text.value, discord.ChannelType.news.value)
# What the bot needs in the staff channel (cards, a thread per ticket, catching up
# after a restart) and in the support channel (answers as replies), by their names in
# Discord's settings. INVITE_PERMISSIONS is all of them: the invite link's value.
STAFF_NEEDS = {
    "view_channel": "View Channels",
    "send_messages": "Send Messages",
    "read_message_history": "Read Message History",
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
}
SUPPORT_NEEDS = {
    name: STAFF_NEEDS[name] for name in ("view_channel", "send_messages", "read_message_history")
}
INVITE_PERMISSIONS = discord.Permissions(**dict.fromkeys(STAFF_NEEDS, True))

LOGIN_FIX = (
    "in the Developer Portal open your application > Bot > Reset Token, and put the new "
    "token in the variable discord.token names (DISCORD_BOT_TOKEN in the example)"
)
INTENT_FIX = (
    "in the Developer Portal open your application > Bot > Privileged Gateway Intents "
    "and switch on Message Content Intent"
)
INVITE_FIX = (
    "invite the bot with the link in docs/discord.md (permissions "
    f"{', '.join(STAFF_NEEDS.values())}) and let it see the channel"
)


class DiscordCheckup:
    platform = PLATFORM

    def __init__(self, section: DiscordSection, staff: StaffSection) -> None:
        self._section = section
        self._staff = staff

    async def run(self) -> list[Finding]:
        token = self._section.token.get_secret_value() if self._section.token else ""
        if not token:
            return [problem(PLATFORM, "discord.token is empty", LOGIN_FIX)]
        transport.use_api(self._section)
        http = discord.http.HTTPClient(asyncio.get_running_loop())
        try:
            async with asyncio.timeout(self._section.request_timeout):
                return await self._findings(http, token)
        except discord.LoginFailure:
            return [problem(PLATFORM, "Discord rejected the token (discord.token)", LOGIN_FIX)]
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            return [
                problem(
                    PLATFORM,
                    f"cannot talk to Discord at {discord.http.Route.BASE} ({_failure(exc)})",
                    "check the network (a proxy, a firewall) and discord.api_base_url",
                )
            ]
        finally:
            await http.close()

    def start_failure(self, exc: BaseException) -> str | None:
        if isinstance(exc, discord.LoginFailure):
            return f"Discord rejected the token (discord.token): {LOGIN_FIX}"
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            return f"Discord refused the Message Content intent: {INTENT_FIX}"
        return None

    async def _findings(self, http: discord.http.HTTPClient, token: str) -> list[Finding]:
        me = await http.static_login(token)
        found = [ok(PLATFORM, f"token accepted: the bot is {me['username']} (id {me['id']})")]
        application = await http.application_info()
        flags = int(application.get("flags") or 0)
        found.append(_message_content(flags))
        found += _agent_ids(self._staff)
        if self._staff.platform == PLATFORM:
            found.append(_server_members(flags))
            name = "staff channel (staff.chat_id)"
            finding, channel = await _channel(http, name, self._staff.chat_id)
            found.append(finding)
            if channel is not None:
                found.append(await _permissions(http, name, channel, str(me["id"]), STAFF_NEEDS))
            guild_id = str(channel["guild_id"]) if channel is not None else None
            found.append(await self._staff_role(http, guild_id))
        if self._section.support_channel_id:
            name = "support channel (discord.support_channel_id)"
            finding, channel = await _channel(http, name, self._section.support_channel_id)
            found.append(finding)
            if channel is not None:
                found.append(await _permissions(http, name, channel, str(me["id"]), SUPPORT_NEEDS))
        return found

    async def _staff_role(self, http: discord.http.HTTPClient, guild_id: str | None) -> Finding:
        role_id = self._section.staff_role_id
        if not role_id:
            return problem(
                PLATFORM,
                "discord.staff_role_id is not set: nobody in the staff channel counts as staff",
                "create a role for agents (Server Settings > Roles), give it to them, and "
                "set discord.staff_role_id to its id (right-click the role > Copy Role ID)",
            )
        if guild_id is None:
            return problem(
                PLATFORM,
                f"discord.staff_role_id {role_id}: not checked, the staff channel is not visible",
                INVITE_FIX,
            )
        roles = await http.get_roles(int(guild_id))
        named = {str(role["id"]): str(role.get("name", "")) for role in roles}
        if role_id not in named:
            return problem(
                PLATFORM,
                f"discord.staff_role_id {role_id}: no such role in the staff channel's server",
                "copy the id of the agents' role in that server (right-click > Copy Role ID)",
            )
        return ok(PLATFORM, f"staff role @{named[role_id]} exists in the staff channel's server")


def _message_content(flags: int) -> Finding:
    if flags & (MESSAGE_CONTENT | MESSAGE_CONTENT_LIMITED):
        return ok(PLATFORM, "the Message Content intent is on")
    return problem(
        PLATFORM,
        "the Message Content intent is off: Discord would refuse the connection "
        "(or deliver every message empty)",
        INTENT_FIX,
    )


def _server_members(flags: int) -> Finding:
    """The agent directory's source: a warning, as the bot works without it, but
    /transfer then knows only the agents seen acting in the staff channel."""
    if flags & (SERVER_MEMBERS | SERVER_MEMBERS_LIMITED):
        return ok(PLATFORM, "the Server Members intent is on: /transfer knows every agent")
    return warning(
        PLATFORM,
        "the Server Members intent is off: the bot cannot list the staff role's members, "
        "so /transfer knows only the agents it has seen write in the staff channel",
        MEMBERS_FIX,
    )


async def _channel(
    http: discord.http.HTTPClient, name: str, channel_id: str
) -> tuple[Finding, Any | None]:
    """Whether the bot can see the channel (a text channel in a server), and its data."""
    if not channel_id.isdigit():
        fix = "enable Developer Mode (User Settings > Advanced), right-click the channel > Copy ID"
        return problem(PLATFORM, f"{name} {channel_id!r} is not a Discord id", fix), None
    try:
        channel: Any = await http.get_channel(int(channel_id))
    except discord.NotFound:
        fix = "copy the channel's id again (Developer Mode on, right-click the channel > Copy ID)"
        return problem(PLATFORM, f"{name} {channel_id}: Discord has no such channel", fix), None
    except discord.Forbidden:
        return problem(PLATFORM, f"{name} {channel_id}: the bot may not see it", INVITE_FIX), None
    if channel.get("type") not in TEXT_CHANNELS or not channel.get("guild_id"):
        return (
            problem(
                PLATFORM,
                f"{name} #{channel.get('name')} is not a text channel of a server",
                "use a text channel: tickets are threads started from cards posted there",
            ),
            None,
        )
    return ok(PLATFORM, f"{name}: the bot sees #{channel.get('name')}"), channel


async def _permissions(
    http: discord.http.HTTPClient, name: str, channel: Any, bot_id: str, needs: dict[str, str]
) -> Finding:
    """Whether the bot holds every permission in `needs` in the channel: its roles'
    permissions, then the channel's overwrites, as Discord computes them."""
    granted = await _granted(http, channel, bot_id)
    missing = [shown for flag, shown in needs.items() if not getattr(granted, flag)]
    if missing:
        return problem(
            PLATFORM,
            f"{name}: the bot lacks the permissions {', '.join(missing)} in #{channel['name']}",
            "grant them to the bot's role, in the server or in the channel's permissions "
            "(or invite it again with the link in docs/discord.md)",
        )
    return ok(PLATFORM, f"{name}: the bot has every permission it needs there")


async def _granted(http: discord.http.HTTPClient, channel: Any, bot_id: str) -> discord.Permissions:
    guild_id = str(channel["guild_id"])
    roles = {
        str(role["id"]): int(role["permissions"]) for role in await http.get_roles(int(guild_id))
    }
    member = await http.get_member(int(guild_id), int(bot_id))
    held = {str(role) for role in member["roles"]}
    value = roles.get(guild_id, 0)  # @everyone has the server's id
    for role in held:
        value |= roles.get(role, 0)
    granted = discord.Permissions(value)
    if granted.administrator:
        return discord.Permissions.all()
    overwrites = channel.get("permission_overwrites") or []
    for overwrite in overwrites:
        if overwrite["id"] == guild_id:
            granted.handle_overwrite(int(overwrite["allow"]), int(overwrite["deny"]))
    allow = deny = 0
    for overwrite in overwrites:
        if overwrite["type"] == 0 and overwrite["id"] in held:
            allow, deny = allow | int(overwrite["allow"]), deny | int(overwrite["deny"])
    granted.handle_overwrite(allow, deny)
    for overwrite in overwrites:
        if overwrite["type"] == 1 and overwrite["id"] == bot_id:
            granted.handle_overwrite(int(overwrite["allow"]), int(overwrite["deny"]))
    return granted


def _agent_ids(staff: StaffSection) -> list[Finding]:
    if staff.platform != PLATFORM:
        return []
    wrong = [agent for agent in staff.agents if not agent.isdigit()]
    if not wrong:
        return []
    return [
        problem(
            PLATFORM,
            f"staff.agents: {', '.join(wrong)} are not Discord user ids (numbers)",
            "with Developer Mode on, right-click each agent > Copy User ID",
        )
    ]


def _failure(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}"
    return type(exc).__name__
