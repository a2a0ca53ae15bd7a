"""Who is staff, and where a Discord event happened in the core's terms.

Three kinds of place matter: a DM (a customer), the support channel (customers; the
message being answered is the `thread_id`, replies go in the channel as replies to
it) and the staff channel with its ticket threads. Events anywhere else are ignored.
Staff means: in the staff channel or one of its threads AND holding the staff role,
read from the member data Discord attaches to the event (no members intent needed).
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.config import DiscordSection, StaffSection


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

    def is_support_channel(self, chat_id: str) -> bool:
        return self.support_channel_id is not None and chat_id == str(self.support_channel_id)
