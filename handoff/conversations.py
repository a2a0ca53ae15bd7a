"""Customers' conversations: found by (platform, chat, user), created on first contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.models import Conversation


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
        state="bot",
        misses=0,
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    await session.flush()
    return conversation
