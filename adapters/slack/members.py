"""Who is staff: the members of the staff channel (`conversations.members`), cached.

The list is paginated and re-read after `ttl` seconds, so someone added to or removed
from the channel gains or loses staff rights within about a minute. When Slack cannot
be asked and nothing is cached, nobody counts as staff (fail closed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

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
        self._ttl = ttl
        self._clock = clock
        self._members: frozenset[str] | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def contains(self, user_id: str) -> bool:
        async with self._lock:
            if self._members is None or self._clock() - self._read_at >= self._ttl:
                await self._refresh()
            return self._members is not None and user_id in self._members

    async def _refresh(self) -> None:
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
            return
        self._members = frozenset(members)
        self._read_at = self._clock()
