"""Discord messages and interactions -> the core's `Inbound` and `Action`."""

from __future__ import annotations

from typing import Any

import discord

from adapters.common import clean_event, locale_hint
from adapters.discord.staff import Place, Rooms
from bot.contract import Action, Inbound, Sender

PLATFORM = "discord"
_PEOPLE_WRITE = (discord.MessageType.default, discord.MessageType.reply)


def sender_of(user: discord.User | discord.Member, locale: discord.Locale | None) -> Sender:
    """The sender; `locale` (an interaction's client language, "en-US") becomes "en"."""
    hint = locale_hint(locale.value) if locale is not None else None
    return Sender(user_id=str(user.id), display_name=user.display_name, locale=hint)


class EventReader:
    """Places events; looks a thread up over REST when the cache does not know it.

    Events come out cleaned (`clean_event`) here, not only when handed over: one the
    core cannot take yet is written to the spool first."""

    def __init__(self, client: discord.Client, rooms: Rooms) -> None:
        self._client = client
        self._rooms = rooms

    async def _parent_id(self, channel: Any) -> int | None:
        if isinstance(channel, discord.Thread):
            return channel.parent_id
        if isinstance(channel, discord.PartialMessageable) and channel.guild_id is not None:
            fetched = await self._client.fetch_channel(channel.id)
            return fetched.parent_id if isinstance(fetched, discord.Thread) else None
        return None

    async def _place(self, channel: Any) -> Place | None:
        direct = isinstance(channel, discord.DMChannel)
        parent = None if direct else await self._parent_id(channel)
        return self._rooms.place(channel.id, parent, direct=direct)

    async def inbound(self, message: discord.Message) -> Inbound | None:
        """None for messages the core never sees: bots (this one too) and webhooks, system
        messages (pins, thread starts), places the bot does not serve."""
        if message.author.bot or message.webhook_id is not None:
            return None
        if message.type not in _PEOPLE_WRITE:
            return None
        place = await self._place(message.channel)
        if place is None:
            return None
        thread_id = place.thread_id
        if self._rooms.is_support_channel(place.chat_id):
            thread_id = str(message.id)
        reference = message.reference
        inbound = Inbound(
            platform=PLATFORM,
            chat_id=place.chat_id,
            thread_id=thread_id,
            sender=sender_of(message.author, None),
            text=message.content,
            message_id=str(message.id),
            from_staff_room=place.staff_room and self._rooms.is_staff(message.author),
            reply_to=str(reference.message_id) if reference and reference.message_id else None,
        )
        return clean_event(inbound)

    async def action(
        self, interaction: discord.Interaction[Any], action_id: str, value: str
    ) -> Action | None:
        message = interaction.message
        if message is None or interaction.channel is None:
            return None
        place = await self._place(interaction.channel)
        if place is None:
            return None
        thread_id = place.thread_id
        if self._rooms.is_support_channel(place.chat_id):
            answered = message.reference.message_id if message.reference else None
            thread_id = str(answered) if answered else None
        action = Action(
            platform=PLATFORM,
            chat_id=place.chat_id,
            thread_id=thread_id,
            sender=sender_of(interaction.user, interaction.locale),
            action_id=action_id,
            value=value,
            message_id=str(message.id),
            from_staff_room=place.staff_room and self._rooms.is_staff(interaction.user),
            event_id=str(interaction.id),
        )
        return clean_event(action)

    async def command(self, interaction: discord.Interaction[Any], text: str) -> Inbound | None:
        """An agent slash command as the text the core parses; None unless it was used by
        staff inside a ticket thread of the staff channel."""
        if interaction.channel is None:
            return None
        place = await self._place(interaction.channel)
        if place is None or place.thread_id is None or not place.staff_room:
            return None
        if not self._rooms.is_staff(interaction.user):
            return None
        command = Inbound(
            platform=PLATFORM,
            chat_id=place.chat_id,
            thread_id=place.thread_id,
            sender=sender_of(interaction.user, interaction.locale),
            text=text,
            message_id=str(interaction.id),
            from_staff_room=True,
        )
        return clean_event(command)
