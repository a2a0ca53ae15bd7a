"""Bot API failures -> DeliveryError, so the core's outbox knows whether to retry."""

from __future__ import annotations

from datetime import timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

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
    """A timedelta with PTB_TIMEDELTA set (adapters/telegram/__init__.py), else seconds."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_not_modified(exc: TelegramError) -> bool:
    """An edit that changes nothing: Telegram refuses it, but the message already says it."""
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower()


def is_transient(exc: TelegramError) -> bool:
    """A failure that may go away by itself: the network, a timeout, a 5xx, flood control."""
    return isinstance(exc, NetworkError | RetryAfter) and not isinstance(exc, BadRequest)
