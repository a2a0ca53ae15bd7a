"""One event's unit of work: its transaction, its clock, and what it decides to say.

Everything said is an outbox row in the same transaction as the state change, so
either both happen or neither does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.contract import Address, Button, Rich, plain_text
from bot.outbox_codec import encode
from handoff import messages, outbox
from handoff.models import Conversation, Ticket
from handoff.states import MessageKind, OutboxTarget


@dataclass
class Turn:
    session: AsyncSession
    now: datetime  # naive UTC, as stored

    @property
    def aware_now(self) -> datetime:
        return self.now.replace(tzinfo=UTC)

    def say(self, to: Address, text: Rich, buttons: tuple[Button, ...] = ()) -> None:
        outbox.enqueue(
            self.session,
            target=OutboxTarget.ADDRESS,
            platform=to.platform,
            chat_id=to.chat_id,
            thread_id=to.thread_id,
            payload=encode(text, buttons),
            now=self.now,
        )

    def tell_customer(
        self, conversation: Conversation, text: Rich, buttons: tuple[Button, ...] = ()
    ) -> None:
        self.say(customer_address(conversation), text, buttons)
        self.record(conversation, MessageKind.BOT, "bot", plain_text(text))

    def post_card(
        self, ticket: Ticket, text: Rich, buttons: tuple[Button, ...], title: str
    ) -> None:
        self._about(ticket, OutboxTarget.TICKET_CARD, encode(text, buttons, open_thread=title))

    def edit_card(self, ticket: Ticket, text: Rich, buttons: tuple[Button, ...]) -> None:
        self._about(ticket, OutboxTarget.CARD_EDIT, encode(text, buttons))

    def to_thread(self, ticket: Ticket, text: Rich) -> None:
        self._about(ticket, OutboxTarget.TICKET_THREAD, encode(text))

    def _about(self, ticket: Ticket, target: OutboxTarget, payload: dict[str, Any]) -> None:
        """A staff-room message whose exact place (card, thread) is settled at delivery."""
        outbox.enqueue(
            self.session,
            target=target,
            platform=ticket.card_platform,
            chat_id=ticket.card_chat_id,
            ticket_id=ticket.id,
            payload=payload,
            now=self.now,
        )

    def record(self, conversation: Conversation, kind: MessageKind, author: str, text: str) -> None:
        messages.record(
            self.session,
            conversation_id=conversation.id,
            ticket_id=conversation.ticket_id,
            kind=kind,
            author=author,
            text=text,
            now=self.now,
        )


def customer_address(conversation: Conversation) -> Address:
    return Address(conversation.platform, conversation.chat_id, conversation.thread_id)
