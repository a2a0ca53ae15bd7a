"""The ids of the buttons the bot sends; a press comes back as `Action.action_id`."""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    HUMAN = "human"  # talk to a person
    FAQ = "faq"  # "did you mean" a suggested entry; value: its id
    HELPFUL = "helpful"  # the answer helped; value: the entry id
    UNHELPFUL = "unhelpful"  # the answer did not help; value: the entry id
    RATE = "rate"  # the customer's 1-5 rating after a resolved ticket; value: "1".."5"
    CLAIM = "claim"  # an agent claims a ticket from its card; value: the ticket id
    FORGET = "forget"  # the customer confirms deleting their data; value: "yes" or "no"
    # Not a button: the bot's own signal that a flooding customer stopped (bot/flood.py).
    RELEASE_HELD = "release_held"
    # Not buttons either: the bot's own signals that a ticket is due for a reminder or
    # for closing (bot/ticket_life.py); value: "<ticket id>:<what makes it due>".
    REMIND_UNCLAIMED = "remind_unclaimed"
    AUTO_CLOSE = "auto_close"

    @classmethod
    def parse(cls, raw: str) -> ActionId | None:
        """The id a button press carries, or None for one the bot never sent."""
        try:
            return cls(raw)
        except ValueError:
            return None
