"""Agents' canned answers: `!s NAME` sends a snippet, `!faq ID` an FAQ entry's answer.

Both work in a ticket's thread, for the agent who holds the ticket, and count as that
agent's reply (the transcript line, the first response time). The customer reads
them in their conversation's language (else English, else the default one), signed
with the agent's name like a reply; the thread is shown what was sent. `!s` alone
lists the snippets. Placeholders ({customer}, {agent}, {ticket}) are filled in as
plain text: a customer named `**x**` or `<!channel>` stays those characters.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.contract import Rich, Sender, Span, plain_text
from bot.flows.turn import Turn, customer_address
from bot.i18n import Templates
from faq.snippets import SnippetStore
from faq.store import FaqStore
from handoff import tickets
from handoff.conversations import ConversationRow
from handoff.models import Ticket
from handoff.states import MessageKind

if TYPE_CHECKING:
    from bot.flows.staff import StaffFlow

# Stands for the body in the signed reply's template while it is rendered.
_BODY = "\x00body\x00"


@dataclass(frozen=True)
class Canned:
    """Where the canned answers come from."""

    snippets: SnippetStore
    faq: FaqStore


def fill(text: str, **values: object) -> Rich:
    """A snippet's text with its placeholders filled in: the templates' own rendering
    (bot/i18n.py), so `**bold**` written in the snippet is bold and every value is a
    plain span of its own, never markup."""
    return Templates({"": {"snippet": text}}, "").render("snippet", "", **values)


def signed(templates: Templates, locale: str, agent: str, body: Rich) -> Rich:
    """`body` as an agent's reply ("**Alex**: ..."), its spans kept as they are."""
    spans: list[Span] = []
    for span in templates.render("agent_reply", locale, agent=agent, text=_BODY):
        if span.text == _BODY:
            spans.extend(body)
        else:
            spans.append(span)
    return tuple(spans)


async def send_snippet(
    flow: StaffFlow, turn: Turn, ticket: Ticket, agent: Sender, name: str
) -> None:
    snippets = flow.canned.snippets.snippets
    if not name:
        key = "snippet_list" if snippets.names else "snippet_none"
        listing = ", ".join(snippets.names)
        turn.to_thread(
            ticket,
            flow.templates.render(
                key, flow.locale, names=listing, path=str(flow.canned.snippets.path)
            ),
        )
        return
    snippet = snippets.get(name)
    if snippet is None:
        turn.to_thread(
            ticket,
            flow.templates.render(
                "snippet_unknown",
                flow.locale,
                name=name[:60],
                names=_closest(name.lower(), snippets.names),
            ),
        )
        return
    if not flow._holds(turn, ticket, agent):
        return
    conversation = await turn.conversation(ticket.conversation_id)
    text = snippet.text_for(conversation.locale, flow.locale)
    body = fill(
        text, customer=conversation.display_name, agent=agent.display_name, ticket=ticket.id
    )
    await _send(flow, turn, ticket, agent, conversation, body)


async def send_faq(
    flow: StaffFlow, turn: Turn, ticket: Ticket, agent: Sender, entry_id: str
) -> None:
    faq = flow.canned.faq.faq
    entry = faq.by_id(entry_id) if entry_id else None
    if entry is None:
        ids = tuple(e.id for e in faq.entries)
        turn.to_thread(
            ticket,
            flow.templates.render(
                "faq_unknown", flow.locale, entry=entry_id[:60], ids=_closest(entry_id, ids)
            ),
        )
        return
    if not flow._holds(turn, ticket, agent):
        return
    conversation = await turn.conversation(ticket.conversation_id)
    body = (Span(entry.answer_for(conversation.locale, flow.locale)),)
    await _send(flow, turn, ticket, agent, conversation, body)


async def _send(
    flow: StaffFlow,
    turn: Turn,
    ticket: Ticket,
    agent: Sender,
    conversation: ConversationRow,
    body: Rich,
) -> None:
    """As the agent's reply: to the customer, in the transcript, as their response."""
    turn.say(
        customer_address(conversation),
        signed(flow.templates, conversation.locale, agent.display_name, body),
    )
    turn.record(conversation, MessageKind.AGENT, agent.display_name, plain_text(body))
    await tickets.replied(turn.session, ticket, turn.now)
    turn.to_thread(ticket, flow.templates.render("canned_sent", flow.locale, text=plain_text(body)))


def _closest(wanted: str, known: tuple[str, ...]) -> str:
    """The names closest to a mistyped one (else the first few), for the refusal."""
    close = difflib.get_close_matches(wanted, known, n=5, cutoff=0.5) if wanted else []
    return ", ".join(close or known[:10]) or "-"
