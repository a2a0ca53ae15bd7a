"""What happens when an agent writes in the staff room or presses a ticket button.

In a ticket's thread, plain text from the agent who claimed it goes to the customer;
commands: /claim, /reply TEXT, /note TEXT, /release, /transfer AGENT, /resolve;
anywhere in the staff room: /queue, /help. Canned answers (/s NAME, /faq ID) are
bot/flows/snippets.py's, blocking (/block, /unblock, /blocked) bot/flows/blocking.py's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import markup
from bot.agents import AgentDirectory
from bot.config import StaffSection
from bot.contract import Action, Address, Button, Inbound, Rich, Sender, plain, plain_text
from bot.flows import blocking, snippets
from bot.flows.actions import ActionId
from bot.flows.handoff import HandoffFlow
from bot.flows.turn import Turn, customer_address
from bot.i18n import Templates
from bot.ids import parse_id
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
    TAKE = "take"
    SNIPPET = "s"
    FAQ = "faq"
    BLOCK = "block"
    UNBLOCK = "unblock"
    BLOCKED = "blocked"


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


# Stands in for the agent's words in a template, which are then spliced in with styles.
_WORDS = "\x00words\x00"


def agent_words(event: Inbound, command: Command | None) -> Rich:
    """What an agent wrote after the command word (all of it when there is none), with
    the formatting of their platform's markup kept (bot/markup.py)."""
    words = markup.cleaned(markup.parse(event.formatted or event.text, event.platform))
    if command is None:
        return words
    head, space, _ = plain_text(words).partition(" ")
    return markup.cleaned(markup.tail(words, len(head) + 1)) if space else ()


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
    canned: snippets.Canned
    agents: AgentDirectory | None = None

    @property
    def locale(self) -> str:
        return self.handoff.staff_locale

    @property
    def _staff(self) -> StaffSection:
        return self.handoff.config.staff

    def _say(self, key: str, locale: str, **values: object) -> Rich:
        """A staff-room template in the staff platform's own wording, where it has one
        (Slack takes no slash commands in threads, so its texts say "!note")."""
        try:
            return self.templates.render(f"{key}_{self._staff.platform}", locale, **values)
        except KeyError:
            return self.templates.render(key, locale, **values)

    async def on_message(self, turn: Turn, event: Inbound) -> None:
        text = clean_text(event.text)
        command, argument = parse_command(text)
        if self.agents is not None:
            self.agents.saw(event.platform, event.sender)
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
        # Plain text in a ticket's thread is a reply to the customer, formatting and all.
        if command in (None, Command.REPLY):
            await self.send_reply(turn, ticket, event.sender, agent_words(event, command))
            return
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
            turn.say(event.address, self._say("no_ticket_here", self.locale))

    async def on_action(self, turn: Turn, event: Action) -> None:
        ticket_id = parse_id(event.value)
        if ActionId.parse(event.action_id) is ActionId.CLAIM and ticket_id is not None:
            await self.claim(turn, ticket_id, event.sender)

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
        turn.to_thread(ticket, self._say("thread_agent", self.locale, agent=agent.display_name))
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
        turn.say(event.address, self._say("staff_help", self.locale))

    async def _claim_here(self, turn: Turn, ticket: Ticket, agent: Sender, _: str) -> None:
        await self.claim(turn, ticket.id, agent)

    async def _reply(self, turn: Turn, ticket: Ticket, agent: Sender, text: str) -> None:
        await self.send_reply(turn, ticket, agent, plain(text))

    async def send_reply(self, turn: Turn, ticket: Ticket, agent: Sender, words: Rich) -> None:
        """`words` to the customer, signed by `agent`, styles kept (bot/markup.py)."""
        if not self._holds(turn, ticket, agent):
            return
        conversation = await turn.conversation(ticket.conversation_id)
        signed = self.templates.render(
            "agent_reply", conversation.locale, agent=agent.display_name, text=_WORDS
        )
        turn.say(customer_address(conversation), markup.splice(signed, _WORDS, words))
        turn.record(conversation, MessageKind.AGENT, agent.display_name, plain_text(words))
        await tickets.replied(turn.session, ticket, turn.now)

    async def _note(self, turn: Turn, ticket: Ticket, agent: Sender, text: str) -> None:
        conversation = await turn.conversation(ticket.conversation_id)
        turn.record(conversation, MessageKind.NOTE, agent.display_name, text)
        turn.to_thread(ticket, self.templates.render("note_saved", self.locale))

    async def _release(self, turn: Turn, ticket: Ticket, agent: Sender, _: str) -> None:
        if self._is_admin(agent) and ticket.status == TicketStatus.CLAIMED:
            await tickets.release_any(turn.session, ticket.id)
        elif self._holds(turn, ticket, agent):
            await tickets.release(turn.session, ticket.id, agent.user_id)
        else:
            return
        ticket, conversation = await self._changed(turn, ticket)
        turn.to_thread(
            ticket, self.templates.render("released_staff", self.locale, ticket=ticket.id)
        )
        turn.tell_customer(conversation, self.templates.render("released", conversation.locale))

    async def _take(self, turn: Turn, ticket: Ticket, agent: Sender, _: str) -> None:
        """An admin takes the ticket, whoever holds it; anyone else claims it as usual."""
        if not self._is_admin(agent):
            if ticket.status == TicketStatus.OPEN:
                await self.claim(turn, ticket.id, agent)
            else:
                turn.to_thread(ticket, self.templates.render("admin_only", self.locale))
            return
        if not await tickets.take_over(
            turn.session, ticket.id, agent.user_id, agent.display_name, turn.now
        ):
            turn.to_thread(ticket, self.templates.render("ticket_closed", self.locale))
            return
        was_open = ticket.status == TicketStatus.OPEN
        ticket, conversation = await self._changed(turn, ticket)
        turn.to_thread(
            ticket,
            self.templates.render(
                "taken_over", self.locale, agent=agent.display_name, ticket=ticket.id
            ),
        )
        if was_open:
            turn.tell_customer(
                conversation,
                self.templates.render(
                    "agent_joined", conversation.locale, agent=agent.display_name
                ),
            )

    async def _transfer(self, turn: Turn, ticket: Ticket, agent: Sender, target: str) -> None:
        """Hand the ticket to an agent of the directory (bot/agents.py), named by a
        mention or a name; anything else is refused and the ticket stays put."""
        if not self._holds(turn, ticket, agent):
            return
        directory = self.agents or AgentDirectory(self._staff.platform)
        listing = ", ".join(a.display_name for a in directory.agents()) or "-"
        found = directory.find(target)
        if found.agent is None:
            if found.too_long:
                key, values = "transfer_too_long", {}
            elif found.candidates:
                names = ", ".join(f"{a.display_name} ({a.user_id})" for a in found.candidates)
                key, values = "transfer_ambiguous", {"target": target, "agents": names}
            elif not target.strip():
                key, values = "transfer_usage", {"agents": listing}
            else:
                key, values = "transfer_unknown", {"target": target, "agents": listing}
            refusal = self.templates.render(key, self.locale, ticket=ticket.id, **values)
            turn.to_thread(ticket, refusal)
            return
        chosen = found.agent
        await tickets.transfer(
            turn.session, ticket.id, agent.user_id, chosen.user_id, chosen.display_name
        )
        ticket, _ = await self._changed(turn, ticket)
        turn.to_thread(
            ticket,
            self.templates.render(
                "transferred", self.locale, ticket=ticket.id, agent=chosen.display_name
            ),
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
            self._say(
                NOT_YOURS[ticket.status], self.locale, ticket=ticket.id, agent=ticket.agent_name
            ),
        )
        return False

    def _is_admin(self, agent: Sender) -> bool:
        return agent.user_id in self._staff.admins

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
    Command.BLOCK: blocking.block,
    Command.UNBLOCK: blocking.unblock,
    Command.BLOCKED: blocking.listing,
}
# Commands about the ticket whose thread they are written in.
_ON_TICKET: dict[Command, TicketHandler] = {
    Command.CLAIM: StaffFlow._claim_here,
    Command.REPLY: StaffFlow._reply,
    Command.NOTE: StaffFlow._note,
    Command.RELEASE: StaffFlow._release,
    Command.TRANSFER: StaffFlow._transfer,
    Command.RESOLVE: StaffFlow._resolve,
    Command.TAKE: StaffFlow._take,
    Command.SNIPPET: snippets.send_snippet,
    Command.FAQ: snippets.send_faq,
}
