"""Blocking customers: the agents' commands, and what a blocked customer gets.

In a ticket's thread `!block [DURATION] [REASON]` and `!unblock` act on the ticket's
customer; anywhere in the staff room `!block PLATFORM:USER_ID [DURATION] [REASON]` and
`!unblock PLATFORM:USER_ID` act on anyone, and `!blocked` lists the blocks in force.
DURATION is like 30m, 2h or 7d; without one a block lasts until it is lifted. Only
agents reach these (the router hands the staff flow agents' events only).

Blocking closes the customer's open tickets, in all their chats, as a resolve would
(the card says resolved, the metrics count it) but without asking them for a rating:
nobody is going to answer those tickets. The reply says which were closed; the thread of
each other one gets a note.

A blocked customer's messages and button presses go nowhere: no FAQ answer, no
ticket, no relay to a thread, not even a transcript line. The first one after a block
gets one polite notice (`turn_away`).

In a ticket's thread the replies go to the ticket's thread as its other messages do,
tied to the ticket, so erasing the customer's data takes them along.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.contract import Inbound, Rich
from bot.flows.turn import Turn
from bot.i18n import Templates
from bot.text import clean_text
from handoff import blocks, tickets
from handoff.conversations import Activity, ConversationRow
from handoff.models import Ticket

if TYPE_CHECKING:
    from bot.flows.staff import StaffFlow

# `telegram:12345`: a platform name, then the user id as the platform gives it.
_PERSON = re.compile(r"([a-z]{2,16}):(\S{1,64})")
_DURATION = re.compile(r"(\d{1,5})([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
# Longer is "until unblocked" in all but name; it also keeps datetimes in range.
MAX_DURATION = timedelta(days=3650)


@dataclass(frozen=True)
class Target:
    platform: str
    user_id: str
    name: str | None

    @property
    def who(self) -> str:
        person = f"{self.platform}:{self.user_id}"
        return f"{self.name} ({person})" if self.name else person


def parse_duration(word: str) -> timedelta | None:
    """30m, 2h, 7d (at most `MAX_DURATION`); None for anything else."""
    found = _DURATION.fullmatch(word)
    if found is None:
        return None
    length = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    return length if timedelta(0) < length <= MAX_DURATION else None


async def turn_away(
    turn: Turn, templates: Templates, conversation: ConversationRow, activity: Activity
) -> None:
    """A blocked customer wrote or pressed a button: the notice, once per block."""
    if activity.told_blocked:
        return
    turn.tell_customer(conversation, templates.render("blocked_notice", conversation.locale))
    await blocks.told(turn.conn, conversation.platform, conversation.user_id, turn.now)


async def block(flow: StaffFlow, turn: Turn, event: Inbound) -> None:
    found = await _target(flow, turn, event)
    if found is None:
        return
    target, words, here = found
    length = parse_duration(words[0]) if words else None
    if length is not None:
        words = words[1:]
    until = None if length is None else turn.now + length
    reason = " ".join(words)
    agent = event.sender
    await blocks.block(
        turn.conn,
        platform=target.platform,
        user_id=target.user_id,
        display_name=target.name,
        until=until,
        reason=reason,
        agent_id=agent.user_id,
        agent_name=agent.display_name,
        now=turn.now,
    )
    closed = await blocks.close_tickets(
        turn.session, target.platform, target.user_id, agent.user_id, agent.display_name, turn.now
    )
    for ticket_id in closed:
        await _closed(flow, turn, ticket_id, agent.display_name, here)
    values = {"who": target.who, "until": _until(flow, until)}
    if closed:
        reply = flow.templates.render(
            "blocked_staff_closed", flow.locale, tickets=_tickets(flow, closed), **values
        )
    else:
        reply = flow.templates.render("blocked_staff", flow.locale, **values)
    _reply(turn, event, here, reply)


async def unblock(flow: StaffFlow, turn: Turn, event: Inbound) -> None:
    found = await _target(flow, turn, event)
    if found is None:
        return
    target, _, here = found
    lifted = await blocks.unblock(turn.conn, target.platform, target.user_id, turn.now)
    key = "unblocked_staff" if lifted else "not_blocked"
    _reply(turn, event, here, flow.templates.render(key, flow.locale, who=target.who))


async def listing(flow: StaffFlow, turn: Turn, event: Inbound) -> None:
    rows = await blocks.in_force(turn.conn, turn.now)
    if not rows:
        turn.say(event.address, flow.templates.render("blocked_none", flow.locale))
        return
    lines = [
        flow.templates.text(
            "blocked_line",
            flow.locale,
            who=Target(row.platform, row.user_id, row.display_name).who,
            until=_until(flow, row.until),
            agent=row.agent_name,
            reason=row.reason or "-",
        )
        for row in rows
    ]
    turn.say(
        event.address, flow.templates.render("blocked_list", flow.locale, list="\n".join(lines))
    )


async def _target(
    flow: StaffFlow, turn: Turn, event: Inbound
) -> tuple[Target, list[str], Ticket | None] | None:
    """Who a command is about, the words after that, and the ticket whose thread it is
    written in (if any): a PLATFORM:USER_ID first word, else that ticket's customer; None
    (after saying how to use the commands) when it is neither."""
    words = clean_text(event.text).split()[1:]
    person = _PERSON.fullmatch(words[0]) if words else None
    here = await tickets.ticket_for_thread(
        turn.session, event.platform, event.chat_id, event.thread_id, event.reply_to
    )
    if person is not None:
        return Target(person.group(1), person.group(2), None), words[1:], here
    if here is None:
        turn.say(event.address, flow.templates.render("block_usage", flow.locale))
        return None
    conversation = await turn.conversation(here.conversation_id)
    target = Target(conversation.platform, conversation.user_id, conversation.display_name)
    return target, words, here


async def _closed(
    flow: StaffFlow, turn: Turn, ticket_id: int, agent: str, here: Ticket | None
) -> None:
    """A ticket blocking closed: its card redrawn; a note in its thread, unless the
    command was written there (the reply says so)."""
    ticket = await tickets.get_ticket(turn.session, ticket_id)
    if ticket is None:
        return
    conversation = await turn.conversation(ticket.conversation_id)
    text, buttons = await flow.handoff.card(turn, ticket, conversation)
    turn.edit_card(ticket, text, buttons)
    if here is None or here.id != ticket.id:
        turn.to_thread(
            ticket,
            flow.templates.render(
                "block_closed_thread", flow.locale, ticket=ticket.id, agent=agent
            ),
        )


def _tickets(flow: StaffFlow, ids: list[int]) -> str:
    if len(ids) == 1:
        return flow.templates.text("block_ticket_one", flow.locale, ticket=ids[0])
    listing = ", ".join(f"#{ticket_id}" for ticket_id in ids)
    return flow.templates.text("block_tickets", flow.locale, tickets=listing)


def _reply(turn: Turn, event: Inbound, here: Ticket | None, text: Rich) -> None:
    """In a ticket's thread, to that thread (tied to the ticket); else where it was said."""
    if here is None:
        turn.say(event.address, text)
    else:
        turn.to_thread(here, text)


def _until(flow: StaffFlow, until: datetime | None) -> str:
    if until is None:
        return flow.templates.text("block_forever", flow.locale)
    return flow.templates.text("block_until", flow.locale, time=f"{until:%Y-%m-%d %H:%M}")
