"""Who is staff, and where a Discord event happened in the core's terms.

Three kinds of place matter: a DM (a customer), the support channel (customers; the
message being answered is the `thread_id`, replies go in the channel as replies to
it) and the staff channel with its ticket threads. Events anywhere else are ignored.
Staff means: in the staff channel or one of its threads AND holding the staff role,
read from the member data Discord attaches to the event (no members intent needed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import discord

from adapters.common import TtlCache
from bot.config import DiscordSection, StaffSection
from bot.contract import Agent

log = logging.getLogger("adapters.discord")

# How to let the bot list the staff role's members (doctor says it too).
MEMBERS_FIX = (
    "in the Developer Portal open your application > Bot > Privileged Gateway Intents "
    "and switch on Server Members Intent (or list every agent's id in staff.agents)"
)

# A button press (interaction) can be answered with an ephemeral follow-up for 15 min.
FOLLOW_UP_SECONDS = 14 * 60
Pressed = TtlCache[str, discord.Interaction[Any]]


def pressed_cache() -> Pressed:
    """Recent button presses by interaction id, to answer one only its presser sees."""
    return TtlCache(ttl=FOLLOW_UP_SECONDS, capacity=2000)


@dataclass(frozen=True)
class Place:
    chat_id: str
    thread_id: str | None
    staff_room: bool = False


def _snowflake(value: str | None, key: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"{key} must be a Discord id (digits), not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Rooms:
    staff_channel_id: int | None
    staff_role_id: int | None
    support_channel_id: int | None
    # Servers whose members Discord would not list (logged once each).
    _no_members_intent: set[int] = field(default_factory=set, init=False, compare=False)

    @classmethod
    def from_config(cls, section: DiscordSection, staff: StaffSection) -> Rooms:
        return cls(
            staff_channel_id=(
                _snowflake(staff.chat_id, "staff.chat_id") if staff.platform == "discord" else None
            ),
            staff_role_id=_snowflake(section.staff_role_id, "discord.staff_role_id"),
            support_channel_id=_snowflake(section.support_channel_id, "discord.support_channel_id"),
        )

    def place(self, channel_id: int, parent_id: int | None, *, direct: bool) -> Place | None:
        """The place of a channel (`parent_id`: the channel a thread belongs to)."""
        if direct:
            return Place(str(channel_id), None)
        staff = self.staff_channel_id
        if staff is not None and staff in (channel_id, parent_id):
            thread = str(channel_id) if parent_id == staff else None
            return Place(str(staff), thread, staff_room=True)
        if channel_id == self.support_channel_id:
            return Place(str(channel_id), None)
        return None

    def is_staff(self, user: discord.User | discord.Member) -> bool:
        return (
            isinstance(user, discord.Member)
            and self.staff_role_id is not None
            and user.get_role(self.staff_role_id) is not None
        )

    async def agents(self, client: discord.Client) -> list[Agent]:
        """The members holding the staff role: read page by page from
        `GET /guilds/{id}/members`, which Discord answers only when the app has the
        Server Members intent switched on in the Developer Portal; without it (403), the
        role's members this connection has cached, and a warning naming the intent (once).
        Other errors propagate (the directory keeps its last list)."""
        role_id = self.staff_role_id
        channel = client.get_channel(self.staff_channel_id or 0)
        guild = getattr(channel, "guild", None)
        if role_id is None or not isinstance(guild, discord.Guild):
            return []
        try:
            return await _members_with_role(client, guild.id, role_id)
        except discord.Forbidden:
            if guild.id not in self._no_members_intent:
                self._no_members_intent.add(guild.id)
                log.warning(
                    "Discord refused to list the server's members (the Server Members intent "
                    "is off): /transfer knows only the agents seen in the staff channel; %s",
                    MEMBERS_FIX,
                )
            role = guild.get_role(role_id)
            cached = role.members if role is not None else []
            return [Agent(str(m.id), m.display_name, (m.name,)) for m in cached if not m.bot]

    def is_support_channel(self, chat_id: str) -> bool:
        return self.support_channel_id is not None and chat_id == str(self.support_channel_id)


MEMBERS_PAGE = 1000
MAX_MEMBERS = 10_000  # members read per directory refresh


async def _members_with_role(client: discord.Client, guild_id: int, role_id: int) -> list[Agent]:
    agents: list[Agent] = []
    after: int | None = None
    for _ in range(MAX_MEMBERS // MEMBERS_PAGE):
        page: list[Any] = list(await client.http.get_members(guild_id, MEMBERS_PAGE, after))
        for member in page:
            user = member.get("user") or {}
            if user.get("bot") or str(role_id) not in member.get("roles", ()):
                continue
            username = str(user.get("username") or "")
            name = member.get("nick") or user.get("global_name") or username or str(user["id"])
            agents.append(Agent(str(user["id"]), str(name), (username,) if username else ()))
        if len(page) < MEMBERS_PAGE:
            break
        after = int(page[-1]["user"]["id"])
    return agents
