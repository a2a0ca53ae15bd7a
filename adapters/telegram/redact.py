"""Keep the bot token out of logs.

httpx logs every request URL at INFO, and a Bot API URL contains the token
(`/bot<TOKEN>/sendMessage`). This filter, on the "httpx" logger, masks it.
"""

from __future__ import annotations

import logging

HTTPX_LOGGER = "httpx"


class TokenRedactor(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg = message.replace(self._token, "<redacted>")
            record.args = None
        return True
