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

from adapters.common import hand_over
from adapters.telegram.errors import is_transient
from adapters.telegram.inbound import Origin, action_from, inbound_from, is_staff_chat
from adapters.telegram.presses import Presses
from adapters.telegram.staff import StaffMembership
from bot.agents import acts_as_agent, in_staff_room
from bot.config import StaffSection
from bot.contract import Action, Core, Event

log = logging.getLogger("adapters.telegram")

# How long the core may take to store one update before it is offered again later
# (a webhook request must be answered well within Telegram's own timeout).
RECEIVE_PATIENCE = 10.0


class StaffCheckFailed(Exception):
    """getChatMember kept failing for a passing reason: try the press again later."""


class Receiver:
    def __init__(
        self,
        core: Core,
        origin: Origin,
        staff: StaffSection,
        membership: StaffMembership | None,
        presses: Presses,
    ) -> None:
        self._core = core
        self._origin = origin
        self._staff = staff
        self._membership = membership
        self._presses = presses

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
        """The press's Action. It is held unanswered (stopping its spinner later) from
        the start, so a staff check that fails leaves it to be answered in a while."""
        self._presses.hold(query.id)
        is_staff = False
        message = query.message
        if message is not None and is_staff_chat(message.chat, self._origin):
            is_staff = await self._is_staff_member(query.from_user.id)
        action = action_from(query, self._origin, is_staff=is_staff)
        if action is None:
            log.info("ignored button press %d (not ours or not understood)", update_id)
        if action is None or not self._may_be_refused(action):
            await self._presses.answer(query.id)
        return action

    def _may_be_refused(self, action: Action) -> bool:
        """Whether the core may refuse this press with a private answer (it does so for
        a press in the staff room by anyone but an agent: bot/flows/router.py, by the same
        rule); such a press stays held for it. A wrong guess costs little: a refusal to a
        press answered already goes out as a reply message, and a press held in vain is
        answered empty when its time runs out."""
        return in_staff_room(self._staff, action) and not acts_as_agent(self._staff, action)

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
