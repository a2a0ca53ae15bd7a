"""Purging texts older than `privacy.retention_days`, now and then while the bot runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import astuple
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outage import Outage, is_outage
from handoff import privacy

logger = logging.getLogger("bot.retention")

PURGE_SECONDS = 3600.0


async def purge_once(
    sessions: async_sessionmaker[AsyncSession], now: datetime, retention: timedelta
) -> privacy.Purged:
    """One purge, in one transaction; `now` is naive UTC, as stored."""
    async with sessions() as session, session.begin():
        return await privacy.purge(session, now - retention)


async def purge_periodically(
    sessions: async_sessionmaker[Any],
    retention: timedelta,
    now: Callable[[], datetime],
    outage: Outage,
    every: float = PURGE_SECONDS,
) -> None:
    """Purge at once, then every `every` seconds; a database outage waits for the next."""
    while True:
        try:
            purged = await purge_once(sessions, now(), retention)
            if any(astuple(purged)):
                logger.info(
                    "retention: emptied %d transcript lines and %d event payloads,"
                    " deleted %d sent messages, %d learning loop questions and %d expired"
                    " blocks",
                    purged.messages,
                    purged.inbox,
                    purged.outbox,
                    purged.feedback,
                    purged.blocks,
                )
        except Exception as exc:
            if not is_outage(exc):
                raise
            outage.failed(exc)
        await asyncio.sleep(every)
