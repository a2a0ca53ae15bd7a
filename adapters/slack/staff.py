"""Who is staff: the members of the staff channel (`conversations.members`), cached;
and the directory of agents (`staff_agents`: those members, named by `users.info`).

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
from bot.contract import Agent

_log = logging.getLogger("adapters.slack")

_PAGE_SIZE = 200
MAX_AGENTS = 500  # members described per directory refresh (one users.info each)


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
        try:
            members = await _channel_members(self._client, self._channel_id)
        except CALL_ERRORS as exc:
            _log.warning(
                "conversations.members failed for the staff channel: %s", type(exc).__name__
            )
            return self._last_read
        self._last_read = members
        self._fresh.put(self._channel_id, self._last_read)
        return self._last_read


async def _channel_members(client: AsyncWebClient, channel_id: str) -> frozenset[str]:
    members: set[str] = set()
    cursor: str | None = None
    while True:
        response = await client.conversations_members(
            channel=channel_id, limit=_PAGE_SIZE, cursor=cursor
        )
        members.update(m for m in response.get("members") or () if isinstance(m, str))
        metadata = response.get("response_metadata") or {}
        cursor = metadata.get("next_cursor") or None
        if cursor is None:
            return frozenset(members)


async def staff_agents(client: AsyncWebClient, channel_id: str) -> list[Agent]:
    """The staff channel's members who are people, with their display names
    (`users.info`; a member Slack cannot describe is named by their id). Errors propagate:
    the directory keeps its last list."""
    agents: list[Agent] = []
    for user_id in sorted(await _channel_members(client, channel_id))[:MAX_AGENTS]:
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except CALL_ERRORS as exc:
            _log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
            user = {}
        if user.get("is_bot") or user.get("deleted") or user_id == "USLACKBOT":
            continue
        profile = user.get("profile") or {}
        names = (profile.get("display_name"), profile.get("real_name"), user.get("name"))
        name = next((n.strip() for n in names if isinstance(n, str) and n.strip()), user_id)
        handle = user.get("name")
        agents.append(Agent(user_id, name, (handle,) if isinstance(handle, str) else ()))
    return agents
