"""One event's unit of work: its transaction, its clock, and what it decides to say.

Everything said is an outbox row in the same transaction as the state change, so
either both happen or neither does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.contract import Address, Button, Rich, plain_text
from bot.outbox_codec import encode
from handoff import outbox
from handoff.models import Conversation, Message, Ticket


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
            target="address",
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
        self.record(conversation, "bot", "bot", plain_text(text))

    def post_card(
        self, ticket: Ticket, text: Rich, buttons: tuple[Button, ...], title: str
    ) -> None:
        outbox.enqueue(
            self.session,
            target="ticket_card",
            platform=ticket.card_platform,
            chat_id=ticket.card_chat_id,
            ticket_id=ticket.id,
            payload=encode(text, buttons, open_thread=title),
            now=self.now,
        )

    def edit_card(self, ticket: Ticket, text: Rich, buttons: tuple[Button, ...]) -> None:
        outbox.enqueue(
            self.session,
            target="card_edit",
            platform=ticket.card_platform,
            chat_id=ticket.card_chat_id,
            ticket_id=ticket.id,
            payload=encode(text, buttons),
            now=self.now,
        )

    def to_thread(self, ticket: Ticket, text: Rich) -> None:
        outbox.enqueue(
            self.session,
            target="ticket_thread",
            platform=ticket.card_platform,
            chat_id=ticket.card_chat_id,
            ticket_id=ticket.id,
            payload=encode(text),
            now=self.now,
        )

    def record(self, conversation: Conversation, kind: str, author: str, text: str) -> None:
        self.session.add(
            Message(
                conversation_id=conversation.id,
                ticket_id=conversation.ticket_id,
                kind=kind,
                author=author,
                text=text,
                created_at=self.now,
            )
        )


def customer_address(conversation: Conversation) -> Address:
    return Address(conversation.platform, conversation.chat_id, conversation.thread_id)
