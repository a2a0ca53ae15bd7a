"""One event's unit of work: its transaction, its clock, and what it decides to say.

Everything said is an outbox row in the same transaction as the state change, so
either both happen or neither does.

The common case (a customer's question answered from the FAQ) is a handful of Core
statements on the turn's connection: the conversation is read by one upsert and written
back only where it changed, transcript lines and outbox rows are collected and written
in one statement each when the turn ends (`finish`). Rarer flows (tickets, staff
commands) use the ORM through `session`, bound to the same connection and transaction.
A flow that reads the transcript within a turn calls `write` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.contract import Address, Answered, Button, Rich, plain_text
from bot.outbox_codec import encode, encode_private
from handoff import conversations, messages, outbox
from handoff.conversations import ConversationRow
from handoff.models import Ticket
from handoff.states import MessageKind, OutboxTarget, QuestionOutcome


@dataclass
class Turn:
    conn: AsyncConnection
    now: datetime  # naive UTC, as stored
    _session: AsyncSession | None = field(default=None, init=False)
    _lines: list[dict[str, Any]] = field(default_factory=list, init=False)
    _outbox: list[dict[str, Any]] = field(default_factory=list, init=False)
    _conversations: list[ConversationRow] = field(default_factory=list, init=False)
    _written: list[int] = field(default_factory=list, init=False)
    _question: dict[str, Any] | None = field(default=None, init=False)

    @property
    def aware_now(self) -> datetime:
        return self.now.replace(tzinfo=UTC)

    @property
    def session(self) -> AsyncSession:
        """An ORM session in this turn's transaction (made on first use)."""
        if self._session is None:
            self._session = AsyncSession(bind=self.conn, expire_on_commit=False)
        return self._session

    async def conversation(self, conversation_id: int) -> ConversationRow:
        """The conversation as it is now in this transaction; its changes are kept."""
        return self.keep(await conversations.get_conversation(self.conn, conversation_id))

    def keep(self, conversation: ConversationRow) -> ConversationRow:
        """Write `conversation`'s changes when the turn ends."""
        self._conversations.append(conversation)
        return conversation

    def say(self, to: Address, text: Rich, buttons: tuple[Button, ...] = ()) -> None:
        self._send(to, encode(text, buttons))

    def tell_privately(self, to: Address, user_id: str, answers: Answered, text: Rich) -> None:
        """A reply only `user_id` sees where the platform allows (`Outbound.private_to`)."""
        self._send(to, encode_private(encode(text), user_id, answers))

    def _send(self, to: Address, payload: dict[str, Any]) -> None:
        self._outbox.append(
            outbox.new_row(
                target=OutboxTarget.ADDRESS,
                platform=to.platform,
                chat_id=to.chat_id,
                thread_id=to.thread_id,
                payload=payload,
                now=self.now,
            )
        )

    def tell_customer(
        self, conversation: ConversationRow, text: Rich, buttons: tuple[Button, ...] = ()
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
        self._outbox.append(
            outbox.new_row(
                target=target,
                platform=ticket.card_platform,
                chat_id=ticket.card_chat_id,
                ticket_id=ticket.id,
                payload=payload,
                now=self.now,
            )
        )

    def record(
        self, conversation: ConversationRow, kind: MessageKind, author: str, text: str
    ) -> None:
        entry = messages.line(
            conversation_id=conversation.id,
            ticket_id=conversation.ticket_id,
            kind=kind,
            author=author,
            text=text,
            now=self.now,
        )
        self._lines.append(entry)
        if kind == MessageKind.CUSTOMER:
            self._question = entry

    def settle(self, outcome: QuestionOutcome) -> None:
        """What the bot did with the customer's message of this turn, a question: kept on
        its transcript line (no statement of its own). Once per turn; a turn without a
        customer line (a button press), or whose line is already written, keeps nothing."""
        if self._question is not None:
            self._question["outcome"] = outcome
            self._question = None

    async def write(self) -> None:
        """Write what the turn has collected so far (before reading it back)."""
        if self._session is not None:
            await self._session.flush()
        for conversation in self._conversations:
            await conversations.save(self.conn, conversation)
        lines, self._lines = self._lines, []
        self._question = None
        await messages.write(self.conn, lines)
        rows, self._outbox = self._outbox, []
        self._written += await outbox.write(self.conn, rows)

    async def finish(self) -> list[int]:
        """Write everything; the ids of the outbox rows written (to hand to delivery once
        the transaction commits)."""
        await self.write()
        if self._session is not None:
            await self._session.close()
        return self._written


def customer_address(conversation: ConversationRow) -> Address:
    return Address(conversation.platform, conversation.chat_id, conversation.thread_id)
