"""Bot API failures -> DeliveryError, so the core's outbox knows whether to retry."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.contract import DeliveryError


def delivery_error(exc: TelegramError) -> DeliveryError:
    """Classify `exc`.

    A 429 that the rate limiter's own retries could not absorb keeps its wait hint.
    Forbidden (bot blocked or kicked), Bad Request (chat not found, unknown message,
    rejected markup) and a migrated chat cannot succeed on retry: permanent. Everything
    else (timeouts, 5xx, connection errors, a revoked token) is transient, so the outbox
    keeps the message until it can go out. A request that timed out may have been
    carried out all the same (`maybe_sent`).
    """
    reason = f"{type(exc).__name__}: {exc.message}"
    if isinstance(exc, RetryAfter):
        return DeliveryError(reason, retry_after=retry_after_seconds(exc))
    if isinstance(exc, Forbidden | BadRequest | ChatMigrated):
        return DeliveryError(reason, permanent=True)
    return DeliveryError(reason, maybe_sent=isinstance(exc, TimedOut))


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 returns an int or a timedelta depending on PTB_TIMEDELTA, and warns about the int.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_not_modified(exc: TelegramError) -> bool:
    """An edit that changes nothing: Telegram refuses it, but the message already says it."""
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower()
