"""Listening: one Telegram update -> a core event, handed over before it is confirmed.

`Receiver.take` is what both transports call for every update. It answers True when
Telegram may forget the update (the core stored it, or it is not for the bot) and
False when it must come again (the core could not store it, or whether the presser
is staff could not be checked). Nothing raised here reaches the transport: an update
that cannot be understood is logged by id and dropped.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from adapters.common import TtlCache, hand_over
from adapters.telegram.errors import is_transient
from adapters.telegram.inbound import Origin, action_from, inbound_from, is_staff_chat
from adapters.telegram.staff import StaffMembership
from bot.contract import Core, Event

log = logging.getLogger("adapters.telegram")

# How long the core may take to store one update before it is offered again later
# (a webhook request must be answered well within Telegram's own timeout).
RECEIVE_PATIENCE = 10.0
ANSWERED_SECONDS = 900.0


class StaffCheckFailed(Exception):
    """getChatMember kept failing for a passing reason: try the press again later."""


class Receiver:
    def __init__(self, core: Core, origin: Origin, membership: StaffMembership | None) -> None:
        self._core = core
        self._origin = origin
        self._membership = membership
        # Presses answered already: an update offered again is not answered twice.
        self._answered: TtlCache[str, bool] = TtlCache(ttl=ANSWERED_SECONDS)

    async def take(self, update: Update) -> bool:
        try:
            event = await self._event_for(update)
        except StaffCheckFailed as exc:
            log.warning("update %d not taken: staff check failed (%s)", update.update_id, exc)
            return False
        except Exception:
            log.exception("dropped update %d", update.update_id)
            return True
        if event is None:
            log.debug("ignored update %d", update.update_id)
            return True
        return await hand_over(self._core, event, log, patience=RECEIVE_PATIENCE)

    async def _event_for(self, update: Update) -> Event | None:
        if update.callback_query is not None:
            return await self._action_for(update.update_id, update.callback_query)
        return inbound_from(update, self._origin)

    async def _action_for(self, update_id: int, query: CallbackQuery) -> Event | None:
        await self._answer(update_id, query)
        is_staff = False
        message = query.message
        if message is not None and is_staff_chat(message.chat, self._origin):
            is_staff = await self._is_staff_member(query.from_user.id)
        action = action_from(query, self._origin, is_staff=is_staff)
        if action is None:
            log.info("ignored button press %d (not ours or not understood)", update_id)
        return action

    async def _answer(self, update_id: int, query: CallbackQuery) -> None:
        """Stop the button's spinner, once per press."""
        if query.id in self._answered:
            return
        try:
            await query.answer()
        except TelegramError as exc:
            log.warning("could not answer button press %d: %s", update_id, exc.message)
            return
        self._answered.put(query.id, True)

    async def _is_staff_member(self, user_id: int) -> bool:
        if self._membership is None:
            return False
        try:
            return await self._membership.is_staff(user_id)
        except TelegramError as exc:
            if is_transient(exc):
                raise StaffCheckFailed(exc.message) from exc
            log.warning("staff check refused, treating the press as not staff: %s", exc.message)
            return False
