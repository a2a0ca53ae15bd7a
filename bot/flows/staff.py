"""What happens when an agent writes in the staff room or presses a ticket button.

In a ticket's thread, plain text from the agent who claimed it goes to the customer;
commands: /claim, /reply TEXT, /note TEXT, /release, /transfer AGENT, /resolve;
anywhere in the staff room: /queue, /help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.contract import Action, Address, Button, Inbound, Sender
from bot.flows.actions import ActionId
from bot.flows.handoff import HandoffFlow
from bot.flows.turn import Turn, customer_address
from bot.i18n import Templates
from bot.retry_later import RetryLater
from bot.text import clean_text
from handoff import tickets
from handoff.conversations import ConversationRow
from handoff.models import Ticket
from handoff.states import MessageKind, TicketStatus


class Command(StrEnum):
    CLAIM = "claim"
    REPLY = "reply"
    NOTE = "note"
    RELEASE = "release"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    QUEUE = "queue"
    HELP = "help"


def parse_command(text: str) -> tuple[Command | None, str]:
    """("reply", "hello") for "/reply hello" (also "/reply@bot hello"); (None, text) otherwise.

    "!reply hello" works too: Slack refuses slash commands inside threads, where agents
    work, so every platform also takes the commands with a "!".
    """
    if not text.startswith(("/", "!")):
        return None, text
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    try:
        return Command(name), rest.strip()
    except ValueError:
        return None, text


# Why an agent may not act on a ticket in this status (template keys).
NOT_YOURS = {
    TicketStatus.OPEN: "need_claim",
    TicketStatus.CLAIMED: "claimed_by_other",
    TicketStatus.RESOLVED: "ticket_closed",
}

RoomHandler = Callable[["StaffFlow", Turn, Inbound], Awaitable[None]]
TicketHandler = Callable[["StaffFlow", Turn, Ticket, Sender, str], Awaitable[None]]


@dataclass(frozen=True)
class StaffFlow:
    templates: Templates
    handoff: HandoffFlow

    @property
    def locale(self) -> str:
        return self.handoff.staff_locale

    async def on_message(self, turn: Turn, event: Inbound) -> None:
        text = clean_text(event.text)
        command, argument = parse_command(text)
        in_room = _IN_ROOM.get(command) if command is not None else None
        if in_room is not None:
            await in_room(self, turn, event)
            return
        ticket = await tickets.ticket_for_thread(
            turn.session, event.platform, event.chat_id, event.thread_id, event.reply_to
        )
        if ticket is None:
            self._no_ticket(turn, event, command)
            return
        await tickets.remember_thread_message(
            turn.session, event.platform, event.chat_id, event.message_id, ticket.id
        )
        if not text:
            return
        # Plain text in a ticket's thread is a reply to the customer.
        handler = _ON_TICKET[command or Command.REPLY]
        await handler(self, turn, ticket, event.sender, argument)

    def _no_ticket(self, turn: Turn, event: Inbound, command: Command | None) -> None:
        """A message in the staff room outside any known ticket thread.

        Inside a thread, or replying to the bot, it most likely belongs to a ticket whose
        card or relayed message the delivery worker has sent but not recorded yet: wait
        for that instead of dropping what the agent wrote. If it stays unknown, a command
        or a reply to the bot is answered; chat in a thread of the agents' own is left be.
        """
        if event.thread_id is not None or event.reply_to_bot:

            async def say_unknown(conn: AsyncConnection) -> list[int]:
                later = Turn(conn, turn.now)
                if command is not None or event.reply_to_bot:
                    later.say(
                        event.address, self.templates.render("reply_target_unknown", self.locale)
                    )
                return await later.finish()

            raise RetryLater("the ticket of this staff message is not known yet", say_unknown)
        if command is not None:
            turn.say(event.address, self.templates.render("no_ticket_here", self.locale))

    async def on_action(self, turn: Turn, event: Action) -> None:
        if ActionId.parse(event.action_id) is ActionId.CLAIM and event.value.isdigit():
            await self.claim(turn, int(event.value), event.sender)

    async def claim(self, turn: Turn, ticket_id: int, agent: Sender) -> None:
        won = await tickets.claim(
            turn.session, ticket_id, agent.user_id, agent.display_name, turn.now
        )
        ticket = await tickets.get_ticket(turn.session, ticket_id)
        if ticket is None:
            return
        if not won:
            key = "already_claimed" if ticket.status == TicketStatus.CLAIMED else "ticket_closed"
            turn.to_thread(
                ticket,
                self.templates.render(key, self.locale, ticket=ticket.id, agent=ticket.agent_name),
            )
            return
        conversation = await turn.conversation(ticket.conversation_id)
        await self._redraw_card(turn, ticket, conversation)
        turn.to_thread(
            ticket, self.templates.render("thread_agent", self.locale, agent=agent.display_name)
        )
        turn.tell_customer(
            conversation,
            self.templates.render("agent_joined", conversation.locale, agent=agent.display_name),
        )

    async def _queue(self, turn: Turn, event: Inbound) -> None:
        where: Address = event.address
        waiting = await tickets.open_tickets(turn.session)
        if not waiting:
            turn.say(where, self.templates.render("queue_empty", self.locale))
            return
        listing = ", ".join(f"#{t.id} ({t.priority})" for t in waiting)
        turn.say(where, self.templates.render("queue_list", self.locale, tickets=listing))

    async def _help(self, turn: Turn, event: Inbound) -> None:
        turn.say(event.address, self.templates.render("staff_help", self.locale))

    async def _claim_here(self, turn: Turn, ticket: Ticket, agent: Sender, _: str) -> None:
        await self.claim(turn, ticket.id, agent)

    async def _reply(self, turn: Turn, ticket: Ticket, agent: Sender, text: str) -> None:
        if not self._holds(turn, ticket, agent):
            return
        conversation = await turn.conversation(ticket.conversation_id)
        turn.say(
            customer_address(conversation),
            self.templates.render(
                "agent_reply", conversation.locale, agent=agent.display_name, text=text
            ),
        )
        turn.record(conversation, MessageKind.AGENT, agent.display_name, text)
        await tickets.replied(turn.session, ticket, turn.now)

    async def _note(self, turn: Turn, ticket: Ticket, agent: Sender, text: str) -> None:
        conversation = await turn.conversation(ticket.conversation_id)
        turn.record(conversation, MessageKind.NOTE, agent.display_name, text)
        turn.to_thread(ticket, self.templates.render("note_saved", self.locale))

    async def _release(self, turn: Turn, ticket: Ticket, agent: Sender, _: str) -> None:
        if not self._holds(turn, ticket, agent):
            return
        await tickets.release(turn.session, ticket.id, agent.user_id)
        ticket, conversation = await self._changed(turn, ticket)
        turn.to_thread(
            ticket, self.templates.render("released_staff", self.locale, ticket=ticket.id)
        )
        turn.tell_customer(conversation, self.templates.render("released", conversation.locale))

    async def _transfer(self, turn: Turn, ticket: Ticket, agent: Sender, target: str) -> None:
        if not self._holds(turn, ticket, agent):
            return
        target_id = target.strip().lstrip("@<").rstrip(">") or agent.user_id
        await tickets.transfer(turn.session, ticket.id, agent.user_id, target_id, target_id)
        ticket, _ = await self._changed(turn, ticket)
        turn.to_thread(
            ticket,
            self.templates.render("transferred", self.locale, ticket=ticket.id, agent=target_id),
        )

    async def _resolve(self, turn: Turn, ticket: Ticket, agent: Sender, _: str) -> None:
        if not self._holds(turn, ticket, agent):
            return
        await tickets.resolve(turn.session, ticket.id, agent.user_id, turn.now)
        ticket, conversation = await self._changed(turn, ticket)
        turn.to_thread(
            ticket, self.templates.render("resolved_staff", self.locale, ticket=ticket.id)
        )
        turn.tell_customer(
            conversation,
            self.templates.render("resolved_rate", conversation.locale),
            tuple(Button(str(n), ActionId.RATE, str(n)) for n in range(1, 6)),
        )

    def _holds(self, turn: Turn, ticket: Ticket, agent: Sender) -> bool:
        """Whether `agent` may act on the customer's behalf; if not, say why in the thread."""
        if ticket.status == TicketStatus.CLAIMED and ticket.agent_id == agent.user_id:
            return True
        turn.to_thread(
            ticket,
            self.templates.render(
                NOT_YOURS[ticket.status], self.locale, ticket=ticket.id, agent=ticket.agent_name
            ),
        )
        return False

    async def _changed(self, turn: Turn, ticket: Ticket) -> tuple[Ticket, ConversationRow]:
        """The ticket and its conversation as a transition left them; the card redrawn."""
        ticket = await tickets.reread(turn.session, ticket)
        conversation = await turn.conversation(ticket.conversation_id)
        await self._redraw_card(turn, ticket, conversation)
        return ticket, conversation

    async def _redraw_card(self, turn: Turn, ticket: Ticket, conversation: ConversationRow) -> None:
        text, buttons = await self.handoff.card(turn, ticket, conversation)
        turn.edit_card(ticket, text, buttons)


# Commands that work anywhere in the staff room.
_IN_ROOM: dict[Command, RoomHandler] = {
    Command.QUEUE: StaffFlow._queue,
    Command.HELP: StaffFlow._help,
}
# Commands about the ticket whose thread they are written in.
_ON_TICKET: dict[Command, TicketHandler] = {
    Command.CLAIM: StaffFlow._claim_here,
    Command.REPLY: StaffFlow._reply,
    Command.NOTE: StaffFlow._note,
    Command.RELEASE: StaffFlow._release,
    Command.TRANSFER: StaffFlow._transfer,
    Command.RESOLVE: StaffFlow._resolve,
}
