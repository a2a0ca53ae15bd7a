"""Who a Slack user is: display name and language hint from `users.info`, cached.

Events carry only a user id; the core needs a name (agents sign their replies with it)
and a locale hint. When Slack cannot say, the user id stands in for the name, and that
stand-in is not cached. A burst of one customer's messages asks once: the lookups that
arrive while one is under way wait for it (users.info is rate limited per minute).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.common import TtlCache, locale_hint
from adapters.slack.errors import CALL_ERRORS
from bot.contract import Sender

_log = logging.getLogger("adapters.slack")


class People:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = 600.0,
        capacity: int = 5000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._known: TtlCache[str, Sender] = TtlCache(ttl=ttl, capacity=capacity, clock=clock)
        self._asking: dict[str, asyncio.Future[Sender]] = {}

    async def sender(self, user_id: str) -> Sender:
        cached = self._known.get(user_id)
        if cached is not None:
            return cached
        asking = self._asking.get(user_id)
        if asking is None:
            asking = asyncio.ensure_future(self._ask(user_id))
            self._asking[user_id] = asking
            asking.add_done_callback(lambda _done: self._asking.pop(user_id, None))
        # Shielded: one waiter giving up does not cancel the others' lookup.
        return await asyncio.shield(asking)

    async def _ask(self, user_id: str) -> Sender:
        try:
            response = await self._client.users_info(user=user_id, include_locale=True)
        except CALL_ERRORS as exc:
            _log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
            return Sender(user_id=user_id, display_name=user_id)
        user = response.get("user")
        sender = _sender_of(user_id, user if isinstance(user, Mapping) else {})
        self._known.put(user_id, sender)
        return sender


def _sender_of(user_id: str, user: Mapping[str, Any]) -> Sender:
    profile = user.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    names = (profile.get("display_name"), profile.get("real_name"), user.get("name"))
    name = next((n.strip() for n in names if isinstance(n, str) and n.strip()), user_id)
    locale = user.get("locale")
    return Sender(
        user_id=user_id,
        display_name=name,
        locale=locale_hint(locale if isinstance(locale, str) else None),
    )
