"""Handing a conversation to a person: the ticket, the customer's notice, the staff card."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import UTC, timedelta

from bot.config import Config
from bot.contract import Button, Rich, Span
from bot.flows.actions import ActionId
from bot.flows.turn import Turn
from bot.hours.datefmt import format_when, format_windows
from bot.hours.schedule import SupportHours
from bot.i18n import Templates
from faq.normalize import normalize
from handoff import messages, metrics, tickets
from handoff.conversations import ConversationRow
from handoff.models import Ticket
from handoff.states import (
    ConversationState,
    QuestionOutcome,
    TicketPriority,
    TicketReason,
    TicketStatus,
)

TRANSCRIPT_LINES = 8
TRANSCRIPT_LINE_CHARS = 300
# The expected wait follows the first response times of this many recent tickets.
WAIT_DAYS = 7
WAIT_SAMPLE = 500
# A conversation in one of these states is with the staff: it has a ticket in the queue.
WITH_STAFF = frozenset({ConversationState.QUEUED, ConversationState.AGENT})
CARD_STATUS = {
    TicketStatus.OPEN: "card_waiting",
    TicketStatus.CLAIMED: "card_claimed",
    TicketStatus.RESOLVED: "card_resolved",
}


@dataclass(frozen=True)
class HandoffFlow:
    config: Config
    templates: Templates
    hours: SupportHours

    @property
    def staff_locale(self) -> str:
        return self.config.bot.default_locale

    def is_urgent(self, text: str, locale: str) -> bool:
        return _mentions_any(text, self.templates.words("urgent_keywords", locale))

    def asks_for_human(self, text: str, locale: str) -> bool:
        """Whether `text` asks for a person, in the words of `locale` or English."""
        return _mentions_any(text, self.templates.words("human_keywords", locale))

    async def start(
        self, turn: Turn, conversation: ConversationRow, reason: TicketReason, text: str
    ) -> None:
        """Open a ticket, tell the customer what happens next, post the card."""
        if conversation.state in WITH_STAFF and conversation.ticket_id is not None:
            turn.tell_customer(
                conversation,
                self.templates.render(
                    "already_queued", conversation.locale, ticket=conversation.ticket_id
                ),
            )
            return
        already_open = await tickets.open_count_for_customer(
            turn.session, conversation.platform, conversation.user_id
        )
        if already_open >= self.config.limits.open_tickets:
            turn.settle(QuestionOutcome.NONE)
            turn.tell_customer(
                conversation,
                self.templates.render("too_many_tickets", conversation.locale, count=already_open),
            )
            return
        ticket = await tickets.open_ticket(
            turn.session,
            conversation,
            reason=reason,
            priority=(
                TicketPriority.HIGH
                if self.is_urgent(text, conversation.locale)
                else TicketPriority.NORMAL
            ),
            staff_platform=self.config.staff.platform,
            staff_chat_id=self.config.staff.chat_id,
            now=turn.now,
        )
        turn.settle(QuestionOutcome.HANDED_OFF)
        turn.tell_customer(conversation, await self._notice(turn, conversation, ticket))
        card_text, buttons = await self.card(turn, ticket, conversation)
        title = f"#{ticket.id} {conversation.display_name}"[:100]
        turn.post_card(ticket, card_text, buttons, title)
        await self._whole_in_thread(turn, ticket, conversation)

    async def _whole_in_thread(
        self, turn: Turn, ticket: Ticket, conversation: ConversationRow
    ) -> None:
        """The card shows each line of the transcript cut short; what the customer wrote
        at length goes to the ticket's thread whole (the adapter splits it to the
        platform's message limit), as plain text."""
        said = await messages.customer_lines(
            turn.session, conversation.id, until=ticket.created_at, limit=TRANSCRIPT_LINES
        )
        for line in said:
            if len(" ".join(line.text.split())) > TRANSCRIPT_LINE_CHARS:
                turn.to_thread(
                    ticket,
                    self.templates.render(
                        "customer_whole", self.staff_locale, name=line.author, text=line.text
                    ),
                )

    async def _notice(self, turn: Turn, conversation: ConversationRow, ticket: Ticket) -> Rich:
        locale = conversation.locale
        aware_now = turn.aware_now
        if self.hours.is_open(aware_now):
            position = await tickets.queue_position(turn.session, ticket)
            wait = max(1, math.ceil(position * await self.minutes_per_ticket(turn)))
            return self.templates.render(
                "handoff_online", locale, ticket=ticket.id, position=position, wait=wait
            )
        opening = self.hours.next_opening(aware_now)
        if opening is None:
            return self.templates.render("handoff_offline_never", locale, ticket=ticket.id)
        windows = self.hours.windows_on(opening.date())
        return self.templates.render(
            "handoff_offline",
            locale,
            ticket=ticket.id,
            hours=format_windows(windows, locale),
            back=format_when(opening, locale, aware_now.astimezone(self.hours.timezone)),
        )

    async def minutes_per_ticket(self, turn: Turn) -> float:
        """The median first response time, in minutes, of tickets opened within support
        hours in the last `WAIT_DAYS` days; the configured `minutes_per_ticket` until
        there is one."""
        answered = await metrics.first_responses(
            turn.conn, since=turn.now - timedelta(days=WAIT_DAYS), limit=WAIT_SAMPLE
        )
        waits = [
            (replied - opened).total_seconds() / 60
            for opened, replied in answered
            if self.hours.is_open(opened.replace(tzinfo=UTC))
        ]
        if not waits:
            return self.config.staff.minutes_per_ticket
        return statistics.median(waits)

    async def card(
        self, turn: Turn, ticket: Ticket, conversation: ConversationRow
    ) -> tuple[Rich, tuple[Button, ...]]:
        """The ticket card as it should look now (posted once, edited on each change)."""
        locale = self.staff_locale
        await turn.write()  # the transcript read below includes this turn's lines
        said = await messages.customer_lines(
            turn.session, conversation.id, until=ticket.created_at, limit=TRANSCRIPT_LINES
        )
        lines = [f"{m.author}: {_shorten(m.text)}" for m in said]
        text = self.templates.render(
            "card",
            locale,
            ticket=ticket.id,
            priority=self.templates.text(f"priority_{ticket.priority}", locale),
            reason=self.templates.text(f"reason_{ticket.reason}", locale),
            name=conversation.display_name,
            platform=conversation.platform,
            transcript="\n".join(lines),
        )
        status = self.templates.render(
            CARD_STATUS[ticket.status], locale, agent=ticket.agent_name or ""
        )
        buttons: tuple[Button, ...] = ()
        if ticket.status == TicketStatus.OPEN:
            label = self.templates.text("claim_button", locale)
            buttons = (Button(label, ActionId.CLAIM, str(ticket.id)),)
        return (*text, Span("\n"), *status), buttons


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= TRANSCRIPT_LINE_CHARS:
        return flat
    return flat[: TRANSCRIPT_LINE_CHARS - 1] + "…"


def _mentions_any(text: str, phrases: list[str]) -> bool:
    """True when one of `phrases` appears in `text` as whole words (after normalizing)."""
    padded = f" {normalize(text)} "
    return any(f" {normalize(phrase)} " in padded for phrase in phrases)
