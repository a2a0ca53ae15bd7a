"""Who is staff: the members of the staff channel (`conversations.members`), cached.

The list is paginated and re-read after `ttl` seconds, so someone added to or removed
from the channel gains or loses staff rights within about a minute. When Slack cannot
be asked, the last list read stands; when there is none, nobody counts as staff (fail
closed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from adapters.common import TtlCache
from adapters.slack.errors import CALL_ERRORS

_log = logging.getLogger("adapters.slack")

_PAGE_SIZE = 200


class ChannelMembers:
    def __init__(
        self,
        client: AsyncWebClient,
        channel_id: str,
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._channel_id = channel_id
        self._fresh: TtlCache[str, frozenset[str]] = TtlCache(ttl=ttl, capacity=1, clock=clock)
        self._last_read: frozenset[str] = frozenset()
        self._lock = asyncio.Lock()

    async def contains(self, user_id: str) -> bool:
        async with self._lock:
            members = self._fresh.get(self._channel_id)
            if members is None:
                members = await self._read()
            return user_id in members

    async def _read(self) -> frozenset[str]:
        members: set[str] = set()
        cursor: str | None = None
        try:
            while True:
                response = await self._client.conversations_members(
                    channel=self._channel_id, limit=_PAGE_SIZE, cursor=cursor
                )
                members.update(m for m in response.get("members") or () if isinstance(m, str))
                metadata = response.get("response_metadata") or {}
                cursor = metadata.get("next_cursor") or None
                if cursor is None:
                    break
        except CALL_ERRORS as exc:
            _log.warning(
                "conversations.members failed for the staff channel: %s", type(exc).__name__
            )
            return self._last_read
        self._last_read = frozenset(members)
        self._fresh.put(self._channel_id, self._last_read)
        return self._last_read
