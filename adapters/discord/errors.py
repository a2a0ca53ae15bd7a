"""discord.py and transport failures -> `DeliveryError` for the core's outbox.

discord.py has already retried what it retries itself (a 429 with a short
`retry_after`, a 500/502/504); what arrives here is final for this attempt. A request
that timed out or lost its connection after it was made may have been carried out by
Discord (`maybe_sent`); one that never connected, or got an answer, was not.
"""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.contract import DeliveryError

DEFAULT_RETRY_AFTER = 1.0


def _retry_after(exc: discord.HTTPException) -> float:
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def delivery_error(exc: Exception) -> DeliveryError:
    """Classify `exc`: rate limited (retry_after), transient, or permanent.

    403 (the user blocks DMs from the bot: code 50007, missing access), 404 (unknown
    channel or message) and other 4xx cannot succeed on a retry: permanent.
    """
    if isinstance(exc, discord.RateLimited):
        return DeliveryError("discord: rate limited", retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        reason = f"discord: HTTP {exc.status} (code {exc.code})"
        if exc.status == 429:
            return DeliveryError(reason, retry_after=_retry_after(exc))
        return DeliveryError(reason, permanent=exc.status < 500)
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return DeliveryError(
            f"discord: connection failed ({type(exc).__name__})",
            maybe_sent=not isinstance(exc, aiohttp.ClientConnectorError),
        )
    return DeliveryError(f"discord: cannot send ({type(exc).__name__})", permanent=True)
