"""Telegram messages and button presses -> the core's Inbound / Action.

Only private chats are customer chats. The staff group is the only group the bot
listens to; every other group, channel and bot is ignored (these functions return
None). Service messages (joins, pins, topic edits) are never conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import CallbackQuery, Chat, Message, MessageEntity, Update, User
from telegram.constants import ChatType
from telegram.ext import filters

from adapters.common import locale_hint
from adapters.telegram.buttons import decode_callback
from bot.contract import Action, Inbound, Sender

PLATFORM = "telegram"

_COMMAND_TARGET = re.compile(r"^(/[A-Za-z0-9_]+)@([A-Za-z0-9_]+)")


@dataclass(frozen=True)
class StaffRoom:
    """The staff group: `chat_id` as Telegram reports it, `address` as the core names it."""

    chat_id: int
    address: str
    is_forum: bool


@dataclass(frozen=True)
class Origin:
    """Who the bot is (for "/cmd@botname") and where the staff room is, if on Telegram."""

    bot_username: str
    staff: StaffRoom | None


def sender_of(user: User) -> Sender:
    return Sender(
        user_id=str(user.id), display_name=user.full_name, locale=locale_hint(user.language_code)
    )


def is_staff_chat(chat: Chat, origin: Origin) -> bool:
    return origin.staff is not None and chat.id == origin.staff.chat_id


def inbound_from(update: Update, origin: Origin) -> Inbound | None:
    """The Inbound for a new message, or None when the bot must ignore it (edits too).

    In the staff group a message counts as staff: Telegram delivers group messages only
    from members. A photo, video or file with a caption reads as its caption. Customers'
    messages without either (stickers, a photo alone) become text="", so the core can
    tell them it reads text only; staff messages without text are not relayed.
    """
    message = update.message
    if message is None or filters.StatusUpdate.ALL.check_update(update):
        return None
    user = message.from_user
    if user is None or user.is_bot or message.sender_chat is not None:
        return None
    text = _command_for_us(message, origin.bot_username)
    if text is None:
        return None
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    if message.chat.type == ChatType.PRIVATE:
        return Inbound(
            platform=PLATFORM,
            chat_id=str(message.chat.id),
            thread_id=None,
            sender=sender_of(user),
            text=text,
            message_id=str(message.message_id),
            reply_to=_str_or_none(reply_to),
        )
    if origin.staff is None or not is_staff_chat(message.chat, origin) or not text:
        return None
    thread_id = message.message_thread_id if message.is_topic_message else None
    if thread_id is not None and reply_to == thread_id:
        # Inside a topic every message "replies" to the topic's first message.
        reply_to = None
    return Inbound(
        platform=PLATFORM,
        chat_id=origin.staff.address,
        thread_id=_str_or_none(thread_id),
        sender=sender_of(user),
        text=text,
        message_id=str(message.message_id),
        from_staff_room=True,
        reply_to=_str_or_none(reply_to),
        reply_to_bot=_replies_to_bot(message, origin),
        formatted=_formatted(message),
    )


def _formatted(message: Message) -> str | None:
    """An agent's text with its formatting (entities) as MarkdownV2, for bot/markup.py;
    None when it has none."""
    if message.text is not None:
        return message.text_markdown_v2_urled if message.entities else None
    return message.caption_markdown_v2_urled if message.caption_entities else None


def _replies_to_bot(message: Message, origin: Origin) -> bool:
    replied = message.reply_to_message
    author = replied.from_user if replied is not None else None
    return author is not None and author.is_bot and author.username == origin.bot_username


def action_from(query: CallbackQuery, origin: Origin, *, is_staff: bool) -> Action | None:
    """The Action for a button press, or None when it is not ours to handle.

    `event_id` is the callback query id, the same when Telegram delivers the press again.

    `is_staff`: the presser is a member of the staff group (checked by the caller);
    it only matters when the press happened in the staff group.
    """
    decoded = decode_callback(query.data)
    message = query.message
    if decoded is None or message is None or query.from_user.is_bot:
        return None
    action_id, value = decoded
    thread_id: int | None = None
    if isinstance(message, Message) and message.is_topic_message:
        thread_id = message.message_thread_id
    if message.chat.type == ChatType.PRIVATE:
        chat_id, from_staff = str(message.chat.id), False
    elif origin.staff is not None and is_staff_chat(message.chat, origin):
        chat_id, from_staff = origin.staff.address, is_staff
    else:
        return None
    return Action(
        platform=PLATFORM,
        chat_id=chat_id,
        thread_id=_str_or_none(thread_id),
        sender=sender_of(query.from_user),
        action_id=action_id,
        value=value,
        message_id=str(message.message_id),
        from_staff_room=from_staff,
        event_id=query.id,
    )


def _command_for_us(message: Message, bot_username: str) -> str | None:
    """The text (or caption), with "/cmd@thisbot" shortened to "/cmd"; None for
    "/cmd@otherbot"."""
    captioned = message.text is None
    text = (message.caption if captioned else message.text) or ""
    entities = message.caption_entities if captioned else message.entities
    starts_with_command = any(
        entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0 for entity in entities
    )
    match = _COMMAND_TARGET.match(text) if starts_with_command else None
    if match is None:
        return text
    if match.group(2).lower() != bot_username.lower():
        return None
    return match.group(1) + text[match.end() :]


def _str_or_none(value: int | None) -> str | None:
    return None if value is None else str(value)
