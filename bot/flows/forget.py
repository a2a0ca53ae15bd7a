"""A customer asks the bot to delete their data ("delete my data", in their language):
the bot asks them to confirm with a button; on "yes" everything stored about them is
erased (handoff/privacy.py: anonymous metrics stay) in the transaction of the press,
and they are told so. Only while they talk to the bot: with a ticket open, the agent
handles such a request."""

from __future__ import annotations

from bot.contract import Button
from bot.flows.actions import ActionId
from bot.flows.turn import Turn, customer_address
from bot.i18n import Templates
from faq.normalize import normalize
from handoff import privacy
from handoff.conversations import ConversationRow
from handoff.privacy import Person

CONFIRM = "yes"
CANCEL = "no"


def asks(templates: Templates, text: str, locale: str) -> bool:
    """Whether `text` asks to delete the customer's data (whole words, normalized)."""
    padded = f" {normalize(text)} "
    phrases = templates.words("forget_keywords", locale)
    return any(f" {normalize(phrase)} " in padded for phrase in phrases)


def offer(turn: Turn, templates: Templates, conversation: ConversationRow) -> None:
    locale = conversation.locale
    turn.tell_customer(
        conversation,
        templates.render("forget_confirm", locale),
        (
            Button(templates.text("forget_yes", locale), ActionId.FORGET, CONFIRM),
            Button(templates.text("forget_no", locale), ActionId.FORGET, CANCEL),
        ),
    )


async def answer(
    turn: Turn, templates: Templates, conversation: ConversationRow, choice: str
) -> None:
    """The customer pressed one of `offer`'s buttons."""
    locale = conversation.locale
    if choice != CONFIRM:
        turn.tell_customer(conversation, templates.render("forget_kept", locale))
        return
    await turn.write()  # what this turn has collected is erased too
    await privacy.erase(turn.conn, Person(conversation.platform, conversation.user_id), turn.now)
    # Said, not recorded: the transcript is gone, and this note names no one.
    turn.say(customer_address(conversation), templates.render("forget_done", locale))
