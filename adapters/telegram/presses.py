"""Answering button presses (answerCallbackQuery), each once, some of them privately.

Telegram has no message only one member of a group sees, except the answer to a button
press: an alert (`show_alert`) shown to the presser alone. So a press the core may
refuse (one in the staff room by someone who is not an agent) is held unanswered for a
few seconds: the refusal, when it comes through delivery in time, becomes that alert
(`answer_privately`). A press still held when its time runs out, or when the adapter
stops, is answered empty, which stops the client's spinner; a refusal coming after that
finds nothing held and goes out as a reply message instead, so nothing is lost. Every
other press is answered at once (`answer`).
"""

from __future__ import annotations

import asyncio
import logging

from telegram.error import TelegramError

from adapters.common import TtlCache
from adapters.telegram.transport import TelegramBot
from bot.contract import Rich, plain, plain_text
from bot.text import split_rich

log = logging.getLogger("adapters.telegram")

# How long a press waits for a private answer; Telegram takes answers for about 15 s,
# and the spinner turns until then, so well short of that.
HOLD_SECONDS = 4.0
# Presses answered already, so a press Telegram delivers again is not answered twice.
ANSWERED_SECONDS = 900.0
ALERT_LIMIT = 200  # characters in an answer's text


class Presses:
    def __init__(self, bot: TelegramBot, *, hold_seconds: float | None = None) -> None:
        self._bot = bot
        self._hold_seconds = HOLD_SECONDS if hold_seconds is None else hold_seconds
        self._held: dict[str, asyncio.Task[None]] = {}
        self._expiring: set[asyncio.Task[None]] = set()
        self._answered: TtlCache[str, bool] = TtlCache(ttl=ANSWERED_SECONDS)

    def hold(self, query_id: str) -> None:
        """Leave the press unanswered for a while: a private answer may come for it."""
        if query_id in self._held or query_id in self._answered:
            return
        task = asyncio.create_task(self._expire(query_id), name=f"press {query_id}")
        self._held[query_id] = task
        self._expiring.add(task)
        task.add_done_callback(self._expiring.discard)

    async def answer(self, query_id: str) -> None:
        """Stop the button's spinner now (an empty answer), unless it was answered."""
        task = self._held.pop(query_id, None)
        if task is not None:
            task.cancel()
        elif query_id in self._answered:
            return
        await self._answer(query_id)

    async def answer_privately(self, query_id: str, text: Rich) -> bool:
        """Show `text` to the presser alone, as an alert; False when the press is not
        held (answered already, or unknown to this process) or Telegram refused the
        answer (too old), so the caller must say it another way."""
        task = self._held.pop(query_id, None)
        if task is None:
            return False
        task.cancel()
        return await self._answer(query_id, alert_text(text))

    async def close(self) -> None:
        """Answer every press still held, empty: nothing answers them after a stop."""
        held = list(self._held)
        for task in self._held.values():
            task.cancel()
        self._held.clear()
        await asyncio.gather(*(self._answer(query_id) for query_id in held))
        await asyncio.gather(*self._expiring, return_exceptions=True)

    async def _expire(self, query_id: str) -> None:
        await asyncio.sleep(self._hold_seconds)
        del self._held[query_id]
        await self._answer(query_id)

    async def _answer(self, query_id: str, alert: str | None = None) -> bool:
        try:
            await self._bot.answer_callback_query(
                query_id, text=alert, show_alert=True if alert is not None else None
            )
        except TelegramError as exc:
            log.warning("could not answer button press %s: %s", query_id, exc.message)
            return False
        self._answered.put(query_id, True)
        return True


def alert_text(text: Rich) -> str:
    """`text` as plain text of at most ALERT_LIMIT characters, cut at a word with '…'."""
    flat = plain_text(text).strip()
    if len(flat) <= ALERT_LIMIT:
        return flat
    head = plain_text(split_rich(plain(flat), ALERT_LIMIT - 1)[0])
    return head.rstrip() + "…"
