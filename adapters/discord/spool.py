"""The local spool: events the core could not store yet, kept on disk in arrival order.

Discord never sends an event twice, so while the database is unreachable an event the
core refused waits here until it can be handed over (adapters/discord/receive.py drains
it). The file is JSON lines (bot/event_codec.py), appended to and flushed and fsynced
before an event counts as kept. Handed-over events leave by a rewrite of the file (a
new file renamed over the old), at once when the spool empties and otherwise at most
about once a second: a crash in between hands a few of them over again, which the
core recognises (same chat and message id, or the interaction id).

Bounded: once `capacity` events wait, new ones are refused (the caller logs them);
old ones are never dropped. One bot process per folder: a lock keeps a second out.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO

from bot.contract import Event
from bot.event_codec import decode_event, encode_event

log = logging.getLogger("adapters.discord")

SPOOL_FILE = "spool.jsonl"
LOCK_FILE = "lock"
COMPACT_SECONDS = 1.0


class SpoolInUse(RuntimeError):
    """Another process (or adapter) holds the spool folder."""


def _line(event: Event) -> str:
    return json.dumps(encode_event(event), ensure_ascii=False) + "\n"


def _private_file(path: Path) -> IO[str]:
    """`path` opened for writing from scratch, readable by its owner only."""
    return os.fdopen(
        os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8"
    )


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text`: all of it or, after a crash, the old file."""
    temporary = path.with_name(path.name + ".tmp")
    with _private_file(temporary) as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


class Spool:
    def __init__(
        self, folder: Path, capacity: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.folder = folder
        self.capacity = capacity
        self._clock = clock
        self._events: deque[Event] = deque()
        self._file: IO[str] | None = None
        self._lock: int | None = None
        self._compacted_at = 0.0

    @property
    def path(self) -> Path:
        return self.folder / SPOOL_FILE

    def __len__(self) -> int:
        return len(self._events)

    def open(self) -> None:
        """Lock the folder and load what a previous process left (a crash)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            raise SpoolInUse(
                f"discord.spool_dir {self.folder} is in use by another bot process; "
                "give each process a folder of its own"
            ) from None
        self._lock = lock
        self._events.extend(self._load())
        self._compact()

    def _load(self) -> list[Event]:
        if not self.path.exists():
            return []
        events: list[Event] = []
        lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                events.append(decode_event(json.loads(line)))
            except (ValueError, TypeError, AttributeError) as exc:
                # A line cut short by a crash mid-write: that event was never kept.
                log.warning("spool line %d is unreadable and skipped (%s)", number, exc)
        if events:
            log.warning("%d events left in the spool by a previous run", len(events))
        return events

    def close(self) -> None:
        if self._file is not None:
            self._compact()
            self._file.close()
            self._file = None
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    def append(self, event: Event) -> bool:
        """Keep `event` on disk (flushed and fsynced); False when the spool is full.
        Raises OSError when the disk will not take it."""
        if len(self._events) >= self.capacity:
            return False
        if self._file is None:
            raise OSError("the spool is closed")
        start = self._file.tell()
        try:
            self._file.write(_line(event))
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError:
            self._file.truncate(start)  # no half line for the next event to run into
            raise
        self._events.append(event)
        return True

    def head(self) -> Event | None:
        return self._events[0] if self._events else None

    def pop(self) -> None:
        """Forget the oldest event: the core has it."""
        self._events.popleft()
        if not self._events or self._clock() - self._compacted_at >= COMPACT_SECONDS:
            try:
                self._compact()
            except OSError as exc:
                log.warning("could not rewrite the spool (%s); handed-over events may repeat", exc)

    def _compact(self) -> None:
        """Rewrite the file with the events still waiting, and append to it from now on."""
        write_atomically(self.path, "".join(_line(event) for event in self._events))
        if self._file is not None:
            self._file.close()
        self._file = self.path.open("a", encoding="utf-8")
        self._compacted_at = self._clock()
