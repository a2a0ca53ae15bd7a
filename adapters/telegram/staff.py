"""Is this user a member of the staff group? getChatMember, cached for a minute.

Button presses reach the bot from anyone who can see the message, and a public
supergroup can be seen by non-members, so presses in the staff group are checked.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from telegram.constants import ChatMemberStatus

STAFF_STATUSES = frozenset(
    {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
)
CACHE_SECONDS = 60.0
_PRUNE_ABOVE = 1024


class StaffMembership:
    """`lookup(user_id)` returns the member status; its errors propagate, uncached."""

    def __init__(
        self,
        lookup: Callable[[int], Awaitable[str]],
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._clock = clock
        self._known: dict[int, tuple[bool, float]] = {}

    async def is_staff(self, user_id: int) -> bool:
        now = self._clock()
        cached = self._known.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        member = await self._lookup(user_id) in STAFF_STATUSES
        if len(self._known) > _PRUNE_ABOVE:
            self._known = {k: v for k, v in self._known.items() if v[1] > now}
        self._known[user_id] = (member, now + self._ttl)
        return member
