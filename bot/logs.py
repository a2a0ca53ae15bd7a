"""Structured logs: one JSON object a line, with every configured secret scrubbed.

The scrubbing happens in the handler's formatter, after the message is rendered, so
a token that reaches a log line by any path (an exception text, a library's debug
output, a URL with the token in it) is replaced by `***`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class ScrubbingFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str], *, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._as_json = as_json

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def format(self, record: logging.LogRecord) -> str:
        if not self._as_json:
            return self.scrub(super().format(record))
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.scrub(json.dumps(entry, default=str, ensure_ascii=False))


def configure(level: str, *, as_json: bool, secrets: Iterable[str]) -> None:
    """Send all logging to stderr through the scrubbing formatter."""
    handler = logging.StreamHandler()
    handler.setFormatter(ScrubbingFormatter(secrets, as_json=as_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
