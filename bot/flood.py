"""Relaying what a flooding customer wrote once they stop.

Messages past the rate limit are held (bot/flows/customer.py). When the customer writes
again within the limit, the held ones go first; when they simply stop, this sweep sends
their conversation a `RELEASE_HELD` event through the inbox, so the batch is relayed in
order with everything else of that conversation, once (the event id names the newest
held message, so two processes sweeping at once store it once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.contract import Action, Core, Sender
from bot.flows.actions import ActionId
from bot.outage import is_outage
from handoff import messages

log = logging.getLogger("bot.flood")


async def release_stale_holds(
    sessions: async_sessionmaker[AsyncSession],
    core: Core,
    window: timedelta,
    now: datetime,
) -> int:
    """Ask for the release of every batch whose newest message is older than `window`."""
    async with sessions() as session:
        holding = await messages.conversations_holding(session, now - window)
    for conversation, last_id in holding:
        await core.receive(
            Action(
                platform=conversation.platform,
                chat_id=conversation.chat_id,
                thread_id=conversation.thread_id,
                sender=Sender(conversation.user_id, conversation.display_name),
                action_id=ActionId.RELEASE_HELD,
                value="",
                message_id="",
                event_id=f"release-held:{last_id}",
            )
        )
    return len(holding)


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    core: Core,
    window: timedelta,
    now: Callable[[], datetime],
) -> None:
    """Run `release_stale_holds` every half window, until cancelled."""
    while True:
        await asyncio.sleep(window.total_seconds() / 2)
        try:
            await release_stale_holds(sessions, core, window, now())
        except Exception as exc:
            if not is_outage(exc):
                log.exception("releasing held messages failed")
