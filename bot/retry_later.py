"""A flow's way to say "not yet": the event depends on bookkeeping still under way.

An agent may reply to a message the bot sent a moment ago, before the delivery worker
has recorded that message's id: the ticket cannot be found yet. Dropping the reply
would lose what the agent wrote, so the flow raises `RetryLater` and bot/intake.py
handles the event again shortly (its lane waits, keeping order); after `attempts`
tries it runs `fallback` instead, which says so where the agent can see it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

# Runs in the transaction that takes the event; the ids of the outbox rows it wrote.
Fallback = Callable[[AsyncConnection], Awaitable[Sequence[int]]]


class RetryLater(Exception):
    def __init__(
        self, reason: str, fallback: Fallback, *, attempts: int = 8, delay: float = 0.5
    ) -> None:
        super().__init__(reason)
        self.fallback = fallback
        self.attempts = attempts
        self.delay = delay
