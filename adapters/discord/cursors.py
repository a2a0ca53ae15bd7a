"""The last message handed over per channel, so a restart can fetch what it missed.

Discord does not send again what was written while the bot was away, or what it had
received but not yet handed over when it died. With the id of the last message handed
over (stored or spooled) in each channel, the catch-up after READY reads each channel
from there. Kept for the most recently active `capacity` channels, in a small JSON
file saved at most about once a second: a crash loses at most that second, whose
messages are then fetched and handed over again, and the core recognises them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from pathlib import Path

from adapters.discord.spool import write_atomically

log = logging.getLogger("adapters.discord")

CURSORS_FILE = "cursors.json"
CAPACITY = 500
SAVE_SECONDS = 1.0


class Cursors:
    def __init__(self, folder: Path, capacity: int = CAPACITY) -> None:
        self.path = folder / CURSORS_FILE
        self._capacity = capacity
        self._last: OrderedDict[int, int] = OrderedDict()  # channel -> message, oldest first
        self._dirty = False

    def load(self) -> None:
        try:
            pairs = json.loads(self.path.read_text(encoding="utf-8"))["channels"]
            for channel_id, message_id in pairs:
                self._last[int(channel_id)] = int(message_id)
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s is unreadable (%s); no catch-up for its channels", self.path, exc)

    def advance(self, channel_id: int, message_id: int) -> None:
        """`message_id` in `channel_id` and every message before it were handed over."""
        if self._last.get(channel_id, 0) < message_id:
            self._last[channel_id] = message_id
            self._dirty = True
        self._last.move_to_end(channel_id)
        while len(self._last) > self._capacity:
            self._last.popitem(last=False)

    def forget(self, channel_id: int) -> None:
        if self._last.pop(channel_id, None) is not None:
            self._dirty = True

    def snapshot(self) -> list[tuple[int, int]]:
        """(channel, last message) pairs, the most recently active last."""
        return list(self._last.items())

    def save(self) -> None:
        if not self._dirty:
            return
        pairs = [[str(channel), str(message)] for channel, message in self._last.items()]
        try:
            write_atomically(self.path, json.dumps({"channels": pairs}))
        except OSError as exc:
            log.warning("could not save %s (%s)", self.path, exc)
            return
        self._dirty = False

    async def keep_saving(self) -> None:
        while True:
            await asyncio.sleep(SAVE_SECONDS)
            self.save()
