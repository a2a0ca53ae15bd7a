"""Structured logs: one JSON object a line, with every configured secret scrubbed.

The scrubbing happens in the handler's formatter, after the message is rendered, so
a token that reaches a log line by any path (an exception text, a library's debug
output, a URL with the token in it) is replaced by `***`.

`scrub(text)` is the same scrubber for text that is stored rather than logged (an
outbox row's last error) or printed (the CLI): `configure` sets the secrets it knows.
Besides the configured secrets it removes anything shaped like a platform token
(a Telegram bot token, a Slack xox/xapp token), which covers a token the
configuration does not name.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}
MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words
_TOKEN_SHAPES = re.compile(
    r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}"  # Telegram: <bot id>:<35 characters>, as in /bot<token>/
    r"|(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack bot / user tokens
    r"|(?<![A-Za-z0-9])xapp-[A-Za-z0-9-]{10,}"  # Slack app-level tokens
)


class Scrubber:
    """Replaces each secret (as written, and URL-encoded) and token-shaped text by ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = {form for s in secrets if len(s) >= MIN_SECRET for form in (s, quote(s, safe=""))}
        self._secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _TOKEN_SHAPES.sub(MASK, text)


_scrubber = Scrubber()


def scrub(text: str) -> str:
    """`text` without any secret `configure` was given, nor anything token-shaped."""
    return _scrubber(text)


def use_secrets(secrets: Iterable[str]) -> None:
    """What `scrub` removes from now on (`configure` calls this)."""
    global _scrubber
    _scrubber = Scrubber(secrets)


class ScrubbingFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str], *, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.scrub = Scrubber(secrets)
        self._as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        if not self._as_json:
            return self.scrub(super().format(record))
        # Each value is scrubbed before encoding: JSON escapes would hide a secret
        # holding a quote, a backslash or a non-ASCII character from a later pass.
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": self.scrub(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = self.scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = self.scrub(self.formatException(record.exc_info))
        return self.scrub(
            json.dumps(entry, default=lambda v: self.scrub(str(v)), ensure_ascii=False)
        )


def configure(level: str, *, as_json: bool, secrets: Iterable[str]) -> None:
    """Send all logging to stderr through the scrubbing formatter, and let `scrub` know
    the secrets too."""
    secrets = list(secrets)
    use_secrets(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(ScrubbingFormatter(secrets, as_json=as_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
