"""What happens when an agent writes in the staff room or presses a ticket button.

In a ticket's thread, plain text from the agent who claimed it goes to the customer;
commands: /claim, /reply TEXT, /note TEXT, /release, /transfer AGENT, /resolve;
anywhere in the staff room: /queue, /help.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.contract import Action, Address, Button, Inbound, Sender
from bot.handoff_flow import Handoff
from bot.i18n import Templates
from bot.text import clean_text
from bot.turn import Turn, customer_address
from handoff import tickets
from handoff.models import Conversation, Ticket

COMMANDS = {"claim", "reply", "note", "release", "transfer", "resolve", "queue", "help"}


def parse_command(text: str) -> tuple[str | None, str]:
    """("reply", "hello") for "/reply hello" (also "/reply@bot hello"); (None, text) otherwise.

    "!reply hello" works too: Slack refuses slash commands inside threads, where agents
    work, so every platform also takes the commands with a "!".
    """
    if not text.startswith(("/", "!")):
        return None, text
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if name not in COMMANDS:
        return None, text
    return name, rest.strip()


@dataclass(frozen=True)
class StaffFlow:
    templates: Templates
    handoff: Handoff

    @property
    def locale(self) -> str:
        return self.handoff.staff_locale

    async def on_message(self, turn: Turn, event: Inbound) -> None:
        text = clean_text(event.text)
        command, argument = parse_command(text)
        if command == "queue":
            await self._queue(turn, event.address)
            return
        if command == "help":
            turn.say(event.address, self.templates.render("staff_help", self.locale))
            return
        ticket = await tickets.ticket_for_thread(
            turn.session, event.platform, event.chat_id, event.thread_id, event.reply_to
        )
        if ticket is None:
            if command is not None:
                turn.say(event.address, self.templates.render("no_ticket_here", self.locale))
            return
        await tickets.remember_thread_message(
            turn.session, event.platform, event.chat_id, event.message_id, ticket.id
        )
        if not text:
            return
        if command == "claim":
            await self.claim(turn, ticket.id, event.sender)
        elif command == "note":
            await self._note(turn, ticket, event.sender, argument)
        elif command == "release":
            await self._release(turn, ticket, event.sender)
        elif command == "transfer":
            await self._transfer(turn, ticket, event.sender, argument)
        elif command == "resolve":
            await self._resolve(turn, ticket, event.sender)
        else:
            await self._reply(turn, ticket, event.sender, argument)

    async def on_action(self, turn: Turn, event: Action) -> None:
        if event.action_id == "claim" and event.value.isdigit():
            await self.claim(turn, int(event.value), event.sender)

    async def claim(self, turn: Turn, ticket_id: int, agent: Sender) -> None:
        won = await tickets.claim(
            turn.session, ticket_id, agent.user_id, agent.display_name, turn.now
        )
        ticket = await turn.session.get(Ticket, ticket_id, populate_existing=True)
        if ticket is None:
            return
        if not won:
            key = "already_claimed" if ticket.status == "claimed" else "ticket_closed"
            turn.to_thread(
                ticket,
                self.templates.render(key, self.locale, ticket=ticket.id, agent=ticket.agent_name),
            )
            return
        conversation = await self._conversation(turn, ticket)
        await self._refresh_card(turn, ticket, conversation)
        turn.to_thread(
            ticket, self.templates.render("thread_agent", self.locale, agent=agent.display_name)
        )
        turn.tell_customer(
            conversation,
            self.templates.render("agent_joined", conversation.locale, agent=agent.display_name),
        )

    async def _reply(self, turn: Turn, ticket: Ticket, agent: Sender, text: str) -> None:
        if not self._holds(turn, ticket, agent):
            return
        conversation = await self._conversation(turn, ticket)
        turn.say(
            customer_address(conversation),
            self.templates.render(
                "agent_reply", conversation.locale, agent=agent.display_name, text=text
            ),
        )
        turn.record(conversation, "agent", agent.display_name, text)

    async def _note(self, turn: Turn, ticket: Ticket, agent: Sender, text: str) -> None:
        conversation = await self._conversation(turn, ticket)
        turn.record(conversation, "note", agent.display_name, text)
        turn.to_thread(ticket, self.templates.render("note_saved", self.locale))

    async def _release(self, turn: Turn, ticket: Ticket, agent: Sender) -> None:
        if not self._holds(turn, ticket, agent):
            return
        await tickets.release(turn.session, ticket.id, agent.user_id)
        await turn.session.refresh(ticket)
        conversation = await self._conversation(turn, ticket)
        await self._refresh_card(turn, ticket, conversation)
        turn.to_thread(
            ticket, self.templates.render("released_staff", self.locale, ticket=ticket.id)
        )
        turn.tell_customer(conversation, self.templates.render("released", conversation.locale))

    async def _transfer(self, turn: Turn, ticket: Ticket, agent: Sender, target: str) -> None:
        if not self._holds(turn, ticket, agent):
            return
        target_id = target.strip().lstrip("@<").rstrip(">") or agent.user_id
        await tickets.transfer(turn.session, ticket.id, agent.user_id, target_id, target_id)
        await turn.session.refresh(ticket)
        conversation = await self._conversation(turn, ticket)
        await self._refresh_card(turn, ticket, conversation)
        turn.to_thread(
            ticket,
            self.templates.render("transferred", self.locale, ticket=ticket.id, agent=target_id),
        )

    async def _resolve(self, turn: Turn, ticket: Ticket, agent: Sender) -> None:
        if not self._holds(turn, ticket, agent):
            return
        await tickets.resolve(turn.session, ticket.id, agent.user_id, turn.now)
        await turn.session.refresh(ticket)
        conversation = await self._conversation(turn, ticket)
        await self._refresh_card(turn, ticket, conversation)
        turn.to_thread(
            ticket, self.templates.render("resolved_staff", self.locale, ticket=ticket.id)
        )
        locale = conversation.locale
        turn.tell_customer(
            conversation,
            self.templates.render("resolved_rate", locale),
            tuple(Button(str(n), "rate", str(n)) for n in range(1, 6)),
        )

    def _holds(self, turn: Turn, ticket: Ticket, agent: Sender) -> bool:
        """Whether `agent` may act on the customer's behalf; if not, say why in the thread."""
        if ticket.status == "claimed" and ticket.agent_id == agent.user_id:
            return True
        if ticket.status == "open":
            key = "need_claim"
        elif ticket.status == "claimed":
            key = "claimed_by_other"
        else:
            key = "ticket_closed"
        turn.to_thread(
            ticket,
            self.templates.render(key, self.locale, ticket=ticket.id, agent=ticket.agent_name),
        )
        return False

    async def _conversation(self, turn: Turn, ticket: Ticket) -> Conversation:
        conversation = await turn.session.get(
            Conversation, ticket.conversation_id, populate_existing=True
        )
        if conversation is None:
            raise LookupError(f"ticket {ticket.id} has no conversation")
        return conversation

    async def _refresh_card(self, turn: Turn, ticket: Ticket, conversation: Conversation) -> None:
        text, buttons = await self.handoff.card(turn, ticket, conversation)
        turn.edit_card(ticket, text, buttons)

    async def _queue(self, turn: Turn, where: Address) -> None:
        waiting = await tickets.open_tickets(turn.session)
        if not waiting:
            turn.say(where, self.templates.render("queue_empty", self.locale))
            return
        listing = ", ".join(f"#{t.id} ({t.priority})" for t in waiting)
        turn.say(where, self.templates.render("queue_list", self.locale, tickets=listing))
