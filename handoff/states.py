"""The legal values of every state-like column, as StrEnums.

Each member equals the string stored in the database (a StrEnum is a str), so these
name the values the schema has always held: no migration is involved.
"""

from __future__ import annotations

from enum import StrEnum


class ConversationState(StrEnum):
    """Who a conversation is with."""

    BOT = "bot"  # the bot answers from the FAQ
    QUEUED = "queued"  # a ticket is open, no agent has claimed it yet
    AGENT = "agent"  # an agent holds the ticket; messages are relayed
    RATING = "rating"  # the ticket is resolved; the customer may rate it 1-5


class TicketStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class TicketPriority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"


class TicketReason(StrEnum):
    """Why a conversation was handed to a person (templates: `reason_<value>`)."""

    ASKED = "asked"
    LONG_MESSAGE = "long_message"
    NO_ANSWER = "no_answer"
    UNHELPFUL = "unhelpful"


class MessageKind(StrEnum):
    """A transcript line's author; a note is internal and never relayed."""

    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    NOTE = "note"
    HELD = "held"  # a customer's message over the rate limit, relayed later in one batch


class OutboxTarget(StrEnum):
    ADDRESS = "address"  # platform/chat_id/thread_id as given
    TICKET_CARD = "ticket_card"  # the ticket's card, opening its thread
    TICKET_THREAD = "ticket_thread"  # into the ticket's thread, resolved at delivery
    CARD_EDIT = "card_edit"  # edit the ticket's card


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    PARKED = "parked"  # a permanent failure, kept for an operator


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # gave up after repeated errors, kept for an operator


class QuestionOutcome(StrEnum):
    """What the bot did with a customer's question (the report's deflection figures)."""

    ANSWERED = "answered"  # an FAQ answer
    SUGGESTED = "suggested"  # "did you mean" with FAQ buttons
    NONE = "none"  # no answer, no ticket
    HANDED_OFF = "handed_off"  # a ticket was opened
