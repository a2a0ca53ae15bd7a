"""Building the python-telegram-bot Application from the config section."""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from adapters.telegram.updates_request import TolerantUpdatesRequest
from bot.config import TelegramSection

TelegramApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


def build_application(section: TelegramSection, token: str) -> TelegramApp:
    """An Application with AIORateLimiter (so 429s are retried after retry_after and the
    per-group and overall flood limits are respected) and the configured timeouts.

    `api_base_url` is a Bot API server's root, e.g. "https://api.telegram.org" or a local
    `telegram-bot-api` server; requests go to `<root>/bot<token>/<method>`.
    """
    timeout = section.request_timeout
    builder = (
        ApplicationBuilder()
        .token(token)
        .request(
            HTTPXRequest(
                connection_pool_size=16,
                connect_timeout=timeout,
                read_timeout=timeout,
                write_timeout=timeout,
                pool_timeout=timeout,
            )
        )
        # PTB adds the long-poll timeout to this read timeout for getUpdates.
        .get_updates_request(
            TolerantUpdatesRequest(
                connect_timeout=timeout,
                read_timeout=timeout,
                write_timeout=timeout,
                pool_timeout=timeout,
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=section.rate_limit_retries))
    )
    if section.api_base_url:
        root = section.api_base_url.rstrip("/")
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    app: TelegramApp = builder.build()
    return app
