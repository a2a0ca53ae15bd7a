"""Customers' conversations: found by (platform, chat, user), created on first contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.models import Conversation
from handoff.states import ConversationState


async def find_conversation(
    session: AsyncSession, platform: str, chat_id: str, user_id: str
) -> Conversation | None:
    found: Conversation | None = await session.scalar(
        select(Conversation).where(
            Conversation.platform == platform,
            Conversation.chat_id == chat_id,
            Conversation.user_id == user_id,
        )
    )
    return found


async def get_conversation(session: AsyncSession, conversation_id: int) -> Conversation:
    """The conversation as the database has it now (rows changed by an UPDATE are
    re-read, not taken from the session's cache)."""
    found = await session.get(Conversation, conversation_id, populate_existing=True)
    if found is None:
        raise LookupError(f"conversation {conversation_id} does not exist")
    return found


async def open_conversation(
    session: AsyncSession,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    display_name: str,
    locale: str,
    now: datetime,
    thread_id: str | None = None,
) -> Conversation:
    """A new conversation with the bot, flushed so it has its id."""
    conversation = Conversation(
        platform=platform,
        chat_id=chat_id,
        thread_id=thread_id,
        user_id=user_id,
        display_name=display_name[:200] or user_id,
        locale=locale,
        state=ConversationState.BOT,
        misses=0,
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    await session.flush()
    return conversation
