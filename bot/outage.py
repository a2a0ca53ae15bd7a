"""Is the database away? Telling an outage from a bad event, and logging it once.

An outage (refused or cut connections, a server restarting, a locked or full SQLite
file) is waited out with backoff, never a reason to drop anything. Everything that
waits reports to one `Outage`, which logs one warning when the outage starts and one
line when it ends, and tells `/healthz` why it answers 503.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.logs import scrub

log = logging.getLogger("bot.outage")

BACKOFF_START = 0.05
BACKOFF_CAP = 2.0
_HINTS = (
    "connect",
    "connection",
    "closed",
    "terminat",
    "timeout",
    "timed out",
    "locked",
    "busy",
    "disk",
    "full",
    "unable to open",
    "shutting down",
    "starting up",
    "recovery",
    "too many clients",
)


def is_outage(exc: BaseException) -> bool:
    """True for errors that say the database is unreachable or cannot write right now."""
    if isinstance(exc, OSError | ConnectionError | PoolTimeout | asyncio.TimeoutError):
        return True
    if isinstance(exc, IntegrityError):
        return False
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        cause = exc.orig if exc.orig is not None else exc
        message = f"{type(cause).__name__} {cause}".lower()
        return any(hint in message for hint in _HINTS)
    if isinstance(exc, SQLAlchemyError):
        return "connection" in str(exc).lower()
    # asyncpg raises its own classes, not always wrapped (e.g. while connecting).
    name = type(exc).__name__
    return name.endswith(
        ("ConnectionError", "CannotConnectNowError", "ConnectionDoesNotExistError")
    )


class Outage:
    """The database's state as the workers last saw it.

    An outage ends only with a success `settle` seconds or more after its last failure:
    a database that fails and works by turns (a nearly full disk takes a small write,
    refuses the next) stays one outage, not a warning every second."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, settle: float = 2.0) -> None:
        self._clock = clock
        self._settle = settle
        self._since: float | None = None
        self._last_failure = 0.0
        self.reason: str | None = None

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        reason = describe(exc)
        self._last_failure = self._clock()
        if self._since is None:
            self._since = self._clock()
            log.warning("database unreachable (%s); waiting for it, nothing is dropped", reason)
        self.reason = reason

    def recovered(self) -> None:
        if self._since is None or self._clock() - self._last_failure < self._settle:
            return
        log.warning("database back after %.1f s", self._clock() - self._since)
        self._since = None
        self.reason = None


class Backoff:
    """Doubling waits, from BACKOFF_START up to BACKOFF_CAP seconds."""

    def __init__(self) -> None:
        self._next = BACKOFF_START

    @property
    def next_wait(self) -> float:
        return self._next

    async def wait(self) -> None:
        await asyncio.sleep(self._next)
        self._next = min(self._next * 2, BACKOFF_CAP)


def describe(exc: BaseException) -> str:
    """The error's class and the first line of the driver's message: never the SQL or its
    parameters (they carry customer text), which SQLAlchemy's own message includes."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    described = f"{type(cause).__name__}: {text[:200]}" if text else type(cause).__name__
    return scrub(described)  # it is stored (an inbox row's last error) and shown (/healthz)
