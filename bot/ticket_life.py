"""Reminders for tickets nobody claims, and closing tickets whose customer went quiet.

A background sweep (every `tickets.check_seconds`) finds the tickets whose time is up
(handoff/ticket_timers.py) and sends each one's conversation a signal through the
inbox, as bot/flood.py does: the decision is taken by bot/flows/timers.py in the
customer's lane, in order with what they write, inside the transaction that handles the
signal. A signal's event id names what made it due (the reminder's number, the agent
reply the customer did not answer), so two processes sweeping at once store it once,
and the flow checks again that it is still due when it runs.

Waiting for a claim counts support hours only (`hours`), unless
`tickets.remind_outside_hours`; silence after an agent's reply counts every hour.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import TicketsSection
from bot.contract import Action, Core, Sender
from bot.flows.actions import ActionId
from bot.hours.schedule import SupportHours
from bot.ids import MAX_ID, parse_id, parse_number
from bot.outage import is_outage
from handoff import ticket_timers
from handoff.ticket_timers import Customer

log = logging.getLogger("bot.ticket_life")


def waited(
    hours: SupportHours, settings: TicketsSection, since: datetime, now: datetime
) -> timedelta:
    """How long a ticket created at `since` has waited by `now` (both naive UTC):
    support hours only, unless `remind_outside_hours`."""
    if settings.remind_outside_hours:
        return max(now - since, timedelta())
    return support_time(hours, since.replace(tzinfo=UTC), now.replace(tzinfo=UTC))


def support_time(hours: SupportHours, start: datetime, end: datetime) -> timedelta:
    """The part of [start, end) within support hours (aware datetimes)."""
    total = timedelta()
    at = start
    while at < end:
        if hours.is_open(at):
            closing = hours.next_closing(at)
            stop = end if closing is None else min(end, closing)
            total += stop - at
            at = stop
        else:
            opening = hours.next_opening(at)
            if opening is None:
                break
            at = opening
    return total


def reminder_number(waited: timedelta, settings: TicketsSection) -> int | None:
    """Which reminder a ticket that has waited this long is due for (0: the first, one
    more every `remind_every_minutes`); None: none yet, or reminders are off."""
    if settings.remind_unclaimed_minutes is None:
        return None
    late = waited - timedelta(minutes=settings.remind_unclaimed_minutes)
    if late < timedelta():
        return None
    return int(late / timedelta(minutes=settings.remind_every_minutes))


def signal(customer: Customer, action: ActionId, ticket_id: int, due: int) -> Action:
    """The event asking `customer`'s conversation to act on a ticket whose time is up."""
    value = f"{ticket_id}:{due}"
    return Action(
        platform=customer.platform,
        chat_id=customer.chat_id,
        thread_id=customer.thread_id,
        sender=Sender(customer.user_id, customer.display_name),
        action_id=action,
        value=value,
        message_id="",
        event_id=f"{action}:{value}",
    )


def read_signal(event: Action, action: ActionId) -> tuple[int, int] | None:
    """(ticket id, what made it due) of a signal `signal` made; None for anything else,
    a forged press included (a platform's own event ids never take this form)."""
    if event.action_id != action or event.event_id != f"{action}:{event.value}":
        return None
    ticket, _, due = event.value.partition(":")
    ticket_id = parse_id(ticket)
    number = parse_number(due, low=0, high=MAX_ID)
    if ticket_id is None or number is None:
        return None
    return ticket_id, number


async def request_due(
    sessions: async_sessionmaker[Any],
    core: Core,
    settings: TicketsSection,
    hours: SupportHours,
    now: datetime,
) -> int:
    """Signal every ticket due for a reminder or for closing at `now` (naive UTC); how
    many signals were sent (stored once however many processes send them)."""
    signals: list[Action] = []
    async with sessions() as session:
        if settings.remind_unclaimed_minutes is not None:
            # Support time never exceeds wall time: the first reminder is due no earlier.
            first = now - timedelta(minutes=settings.remind_unclaimed_minutes)
            for ticket in await ticket_timers.unclaimed(session, first):
                due = reminder_number(waited(hours, settings, ticket.created_at, now), settings)
                if due is not None:
                    signals.append(
                        signal(ticket.customer, ActionId.REMIND_UNCLAIMED, ticket.ticket_id, due)
                    )
        if settings.auto_close_hours is not None:
            quiet = now - timedelta(hours=settings.auto_close_hours)
            for found in await ticket_timers.silent(session, quiet):
                signals.append(
                    signal(found.customer, ActionId.AUTO_CLOSE, found.ticket_id, found.reply_id)
                )
    for each in signals:
        await core.receive(each)
    return len(signals)


async def sweep(
    sessions: async_sessionmaker[Any],
    core: Core,
    settings: TicketsSection,
    hours: SupportHours,
    now: Callable[[], datetime],
) -> None:
    """Run `request_due` every `check_seconds`, until cancelled."""
    while True:
        await asyncio.sleep(settings.check_seconds)
        try:
            await request_due(sessions, core, settings, hours, now())
        except Exception as exc:
            if not is_outage(exc):
                log.exception("looking for tickets due for a reminder or closing failed")
