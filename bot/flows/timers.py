"""What happens when a ticket's time is up, and the rating prompt that follows a close.

The signals come from bot/ticket_life.py through the inbox and run in the customer's
lane, so each decision sees everything the customer wrote before it: a customer who
answers just before the close keeps their ticket open. Each handler checks again that
the ticket is still due; a signal it does not recognise (a forged press) does nothing.

After a resolve (an agent's or the automatic one) the customer is asked for a 1-5
rating, with buttons or typed as a single digit. The prompt survives one message that
is not a rating: that message is answered as usual, then the prompt is repeated; the
next one leaves the prompt behind.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot import ticket_life
from bot.contract import Action, Address, Button
from bot.flows.actions import ActionId
from bot.flows.turn import Turn
from bot.i18n import Templates
from bot.ids import RATINGS
from handoff import ticket_timers, tickets
from handoff.conversations import ConversationRow
from handoff.states import ConversationState, TicketStatus

if TYPE_CHECKING:
    from bot.flows.customer import CustomerFlow

# The signals of bot/ticket_life.py: for a blocked customer they do nothing at all.
SIGNALS = frozenset({ActionId.REMIND_UNCLAIMED, ActionId.AUTO_CLOSE})


def rating_buttons() -> tuple[Button, ...]:
    """1 to 5; a press, or the digit typed alone, is read by `bot.ids.parse_rating`."""
    return tuple(Button(str(n), ActionId.RATE, str(n)) for n in RATINGS)


async def first_stray(turn: Turn, conversation: ConversationRow) -> bool:
    """Whether the customer, asked for a rating, has written nothing else since (the
    message of this turn is not written yet)."""
    if conversation.ticket_id is None:
        return False
    ticket = await tickets.get_ticket(turn.session, conversation.ticket_id)
    if ticket is None or ticket.resolved_at is None:
        return False
    written = await ticket_timers.written_since(
        turn.conn, conversation.id, ticket.id, ticket.resolved_at
    )
    return written == 0


def ask_again(turn: Turn, templates: Templates, conversation: ConversationRow) -> None:
    """Repeat the rating prompt, when the conversation is still waiting for one."""
    if conversation.state == ConversationState.RATING:
        turn.tell_customer(
            conversation, templates.render("rating_again", conversation.locale), rating_buttons()
        )


async def remind(
    flow: CustomerFlow, turn: Turn, conversation: ConversationRow, event: Action
) -> None:
    """A reminder to the staff room about a ticket still waiting for an agent."""
    settings = flow.config.tickets
    due = ticket_life.read_signal(event, ActionId.REMIND_UNCLAIMED)
    if due is None or conversation.ticket_id != due[0]:
        return
    ticket = await tickets.get_ticket(turn.session, due[0])
    if ticket is None or ticket.status != TicketStatus.OPEN:
        return
    waited = ticket_life.waited(flow.handoff.hours, settings, ticket.created_at, turn.now)
    now_due = ticket_life.reminder_number(waited, settings)
    if now_due is None or now_due < due[1]:
        return
    turn.say(
        Address(ticket.card_platform, ticket.card_chat_id),
        flow.templates.render(
            "remind_unclaimed",
            flow.handoff.staff_locale,
            ticket=ticket.id,
            name=conversation.display_name,
            minutes=int(waited / timedelta(minutes=1)),
        ),
    )


async def auto_close(
    flow: CustomerFlow, turn: Turn, conversation: ConversationRow, event: Action
) -> None:
    """Resolve a ticket whose customer has not answered the agent's last reply for
    `tickets.auto_close_hours`; tell them, ask for a rating, note it in the thread."""
    hours = flow.config.tickets.auto_close_hours
    due = ticket_life.read_signal(event, ActionId.AUTO_CLOSE)
    if hours is None or due is None or conversation.ticket_id != due[0]:
        return
    still = await ticket_timers.silent(
        turn.conn, turn.now - timedelta(hours=hours), ticket_id=due[0]
    )
    if not still or still[0].reply_id != due[1]:
        return
    ticket = await tickets.get_ticket(turn.session, due[0])
    if ticket is None or ticket.agent_id is None:
        return
    if not await tickets.resolve(turn.session, ticket.id, ticket.agent_id, turn.now):
        return
    conversation.state = ConversationState.RATING
    ticket = await tickets.reread(turn.session, ticket)
    text, buttons = await flow.handoff.card(turn, ticket, conversation)
    turn.edit_card(ticket, text, buttons)
    staff = flow.handoff.staff_locale
    turn.to_thread(
        ticket,
        flow.templates.render("auto_closed_staff", staff, ticket=ticket.id, hours=f"{hours:g}"),
    )
    turn.tell_customer(
        conversation,
        flow.templates.render("auto_closed", conversation.locale, ticket=ticket.id),
        rating_buttons(),
    )
