"""What happens when a customer writes or presses a button."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot import language
from bot.config import Config
from bot.contract import Action, Button, Inbound, Rich, Sender, Span
from bot.flows import blocking, forget, timers
from bot.flows.actions import ActionId
from bot.flows.handoff import WITH_STAFF, HandoffFlow
from bot.flows.turn import Turn
from bot.i18n import Templates
from bot.ids import parse_rating
from bot.small_talk import Phrasebooks
from bot.text import clean_text
from faq.matcher import Scored
from faq.model import Entry, SmallTalkKind
from faq.store import FaqStore
from handoff import conversations, faq_feedback, messages, tickets
from handoff.conversations import Activity, ConversationRow
from handoff.faq_feedback import Candidate
from handoff.models import FeedbackKind
from handoff.states import ConversationState, MessageKind, QuestionOutcome, TicketReason

# Longer than this, a message is not an FAQ question: it goes to a person whole.
LONG_MESSAGE = 1500
# The matcher reads this much of a message.
MATCH_CHARS = 500
BUTTON_LABEL_CHARS = 60
# A question the FAQ did not answer is recorded with this many best entries.
FEEDBACK_CANDIDATES = 3

ActionHandler = Callable[["CustomerFlow", Turn, ConversationRow, Action], Awaitable[None]]


@dataclass(frozen=True)
class CustomerFlow:
    config: Config
    templates: Templates
    faq: FaqStore
    handoff: HandoffFlow
    phrasebooks: Phrasebooks = field(default_factory=Phrasebooks, compare=False)

    async def on_message(self, turn: Turn, event: Inbound) -> None:
        conversation, activity = await self._conversation(turn, event)
        if activity.blocked:
            await blocking.turn_away(turn, self.templates, conversation, activity)
            return
        text = clean_text(event.text)
        if not text:
            turn.tell_customer(
                conversation, self.templates.render("empty_message", conversation.locale)
            )
            return
        self._follow_language(turn, conversation, event, text)
        if await self._flooding(turn, conversation, activity):
            turn.record(conversation, MessageKind.HELD, conversation.display_name, text)
            return
        turn.record(conversation, MessageKind.CUSTOMER, conversation.display_name, text)
        if conversation.state in WITH_STAFF and conversation.ticket_id is not None:
            await self._relay_to_thread(turn, conversation, conversation.ticket_id, text)
            return
        if conversation.state == ConversationState.RATING:
            await self._while_rating(turn, conversation, text)
            return
        await self._to_bot(turn, conversation, text)

    async def _while_rating(self, turn: Turn, conversation: ConversationRow, text: str) -> None:
        """Asked for a rating: a digit typed alone is one; the first other message is
        answered as usual with the prompt repeated after it, the next one leaves it."""
        rating = parse_rating(text)
        if rating is not None:
            await self._rate(turn, conversation, rating)
            return
        first = await timers.first_stray(turn, conversation)
        if not first:
            _back_to_bot(conversation)
        await self._to_bot(turn, conversation, text)
        if first:
            timers.ask_again(turn, self.templates, conversation)

    async def _to_bot(self, turn: Turn, conversation: ConversationRow, text: str) -> None:
        """A message for the bot: an FAQ question, small talk, or a wish for a person."""
        if len(text) > LONG_MESSAGE:
            turn.tell_customer(
                conversation, self.templates.render("long_message", conversation.locale)
            )
            await self.handoff.start(turn, conversation, TicketReason.LONG_MESSAGE, text)
            return
        if forget.asks(self.templates, text, conversation.locale):
            forget.offer(turn, self.templates, conversation)
            return
        phrasebook = self.phrasebooks.of(self.faq.faq.small_talk)
        said = phrasebook.recognize(text, conversation.locale)
        if said is not None:
            own = phrasebook.reply(said, conversation.locale)
            self._small_talk(turn, conversation, said, own)
            return
        if self.handoff.asks_for_human(text, conversation.locale):
            await self.handoff.start(turn, conversation, TicketReason.ASKED, text)
            return
        await self._answer(turn, conversation, text)

    def _follow_language(
        self, turn: Turn, conversation: ConversationRow, event: Inbound, text: str
    ) -> None:
        """The conversation's language follows the one the customer writes in
        (bot/language.py). The platform's language (the app's display language) starts a
        new conversation and counts as settled, as does one taken from earlier messages:
        either changes only on clear evidence. It is a column of the conversation's row,
        written (one statement) only in the turn that changes it."""
        hinted = self.templates.supported(event.sender.locale) is not None
        settled = hinted or conversation.created_at < turn.now
        conversation.locale = language.follow(
            text[:MATCH_CHARS], conversation.locale, settled=settled
        )

    def _small_talk(
        self, turn: Turn, conversation: ConversationRow, kind: SmallTalkKind, own: str | None
    ) -> None:
        """A short friendly reply (`own`: the FAQ's, else the template); it neither counts
        as a miss nor resets the count."""
        locale = conversation.locale
        reply = (
            (Span(own),) if own is not None else self.templates.render(f"small_talk_{kind}", locale)
        )
        buttons = (self._human_button(locale),) if kind == SmallTalkKind.ARE_YOU_A_BOT else ()
        turn.tell_customer(conversation, reply, buttons)

    async def on_action(self, turn: Turn, event: Action) -> None:
        conversation, activity = await self._conversation(turn, event)
        action = ActionId.parse(event.action_id)
        if activity.blocked:
            if action not in timers.SIGNALS:  # the bot's own signals tell nobody
                await blocking.turn_away(turn, self.templates, conversation, activity)
            return
        handler = _ON_ACTION.get(action) if action is not None else None
        if handler is not None:
            await handler(self, turn, conversation, event)

    async def _wants_human(self, turn: Turn, conversation: ConversationRow, event: Action) -> None:
        await self.handoff.start(turn, conversation, TicketReason.ASKED, "")

    async def _picked_faq(self, turn: Turn, conversation: ConversationRow, event: Action) -> None:
        entry = self.faq.faq.by_id(event.value)
        if entry is not None:
            await faq_feedback.chose(turn.conn, conversation.id, entry.id)
            self._give_answer(turn, conversation, entry)

    async def _helped(self, turn: Turn, conversation: ConversationRow, event: Action) -> None:
        conversation.misses = 0
        turn.tell_customer(
            conversation, self.templates.render("helpful_thanks", conversation.locale)
        )

    async def _did_not_help(self, turn: Turn, conversation: ConversationRow, event: Action) -> None:
        entry = self.faq.faq.by_id(event.value)
        if entry is not None:
            await faq_feedback.rejected(turn.conn, conversation.id, entry.id)
        question = await faq_feedback.last_question(turn.conn, conversation.id)
        if question is not None:
            entry_id = None if entry is None else entry.id
            asked = await self.faq.match(question, conversation.locale)
            await self._record_feedback(
                turn, conversation, FeedbackKind.UNHELPFUL, question, asked.ranked, entry_id
            )
        await self._miss(turn, conversation, "unhelpful", TicketReason.UNHELPFUL)

    async def _rated(self, turn: Turn, conversation: ConversationRow, event: Action) -> None:
        rating = parse_rating(event.value)
        if rating is not None and conversation.state == ConversationState.RATING:
            await self._rate(turn, conversation, rating)

    async def _flooding(
        self, turn: Turn, conversation: ConversationRow, activity: Activity
    ) -> bool:
        """Over the per-customer rate limit? The first message over it is told, once.
        Within it, messages held earlier are released first."""
        limits = self.config.limits
        if activity.written_since < limits.messages:
            if activity.held:
                await self._release_held(turn, conversation)
            return False
        if activity.written_since == limits.messages:
            turn.tell_customer(
                conversation, self.templates.render("slow_down", conversation.locale)
            )
        return True

    async def _release_held(self, turn: Turn, conversation: ConversationRow) -> None:
        """Messages held while the customer flooded join the transcript; a ticket's
        thread gets them as one batch."""
        held = await messages.release_held(turn.session, conversation.id)
        if not held or conversation.state not in WITH_STAFF or conversation.ticket_id is None:
            return
        ticket = await tickets.get_ticket(turn.session, conversation.ticket_id)
        if ticket is None:
            return
        turn.to_thread(
            ticket,
            self.templates.render(
                "thread_customer_batch",
                self.handoff.staff_locale,
                name=conversation.display_name,
                count=len(held),
                text="\n".join(message.text for message in held),
            ),
        )

    async def _held_released(
        self, turn: Turn, conversation: ConversationRow, event: Action
    ) -> None:
        await self._release_held(turn, conversation)

    async def _forget(self, turn: Turn, conversation: ConversationRow, event: Action) -> None:
        await forget.answer(turn, self.templates, conversation, event.value)

    async def _not_staff(self, turn: Turn, conversation: ConversationRow, event: Action) -> None:
        turn.say(event.address, self.templates.render("not_staff", conversation.locale))

    async def _conversation(
        self, turn: Turn, event: Inbound | Action
    ) -> tuple[ConversationRow, Activity]:
        """The sender's conversation (new on first contact, in the language their platform
        reports; `on_message` then follows the language they write in), following the
        thread they write in; and what they wrote within the rate limit's window."""
        sender: Sender = event.sender
        hint = self.templates.supported(sender.locale)
        locale = hint or self.templates.default_locale
        conversation, activity = await conversations.arrive(
            turn.conn,
            platform=event.platform,
            chat_id=event.chat_id,
            thread_id=event.thread_id,
            user_id=sender.user_id,
            display_name=sender.display_name,
            locale=locale,
            now=turn.now,
            since=turn.now - timedelta(seconds=self.config.limits.window_seconds),
        )
        if isinstance(event, Inbound):
            conversation.thread_id = event.thread_id
        return turn.keep(conversation), activity

    async def _answer(self, turn: Turn, conversation: ConversationRow, text: str) -> None:
        locale = conversation.locale
        match = await self.faq.match(text[:MATCH_CHARS], locale)
        if match.decision == "answer" and match.entry is not None:
            turn.settle(QuestionOutcome.ANSWERED)
            self._give_answer(turn, conversation, match.entry)
        elif match.decision == "suggest":
            turn.settle(QuestionOutcome.SUGGESTED)
            await faq_feedback.record(
                turn.conn,
                conversation_id=conversation.id,
                kind=FeedbackKind.SUGGESTED,
                locale=locale,
                text=text[:MATCH_CHARS],
                candidates=[Candidate(s.entry.id, s.score) for s in match.suggestions],
                now=turn.now,
            )
            buttons = tuple(
                Button(_label(self._question(s.entry, locale)), ActionId.FAQ, s.entry.id)
                for s in match.suggestions
            )
            turn.tell_customer(
                conversation,
                self.templates.render("did_you_mean", locale),
                (*buttons, self._human_button(locale)),
            )
        else:
            await self._record_feedback(
                turn, conversation, FeedbackKind.MISS, text[:MATCH_CHARS], match.ranked
            )
            await self._miss(turn, conversation, "no_match", TicketReason.NO_ANSWER, text)

    async def _record_feedback(
        self,
        turn: Turn,
        conversation: ConversationRow,
        kind: FeedbackKind,
        text: str,
        ranked: Sequence[Scored],
        entry_id: str | None = None,
    ) -> None:
        """A question the FAQ did not settle, with its best entries (`Match.ranked`):
        `supportbot faq gaps` reads them."""
        await faq_feedback.record(
            turn.conn,
            conversation_id=conversation.id,
            kind=kind,
            locale=conversation.locale,
            text=text,
            candidates=[Candidate(s.entry.id, s.score) for s in ranked[:FEEDBACK_CANDIDATES]],
            now=turn.now,
            entry_id=entry_id,
        )

    async def _miss(
        self,
        turn: Turn,
        conversation: ConversationRow,
        template: str,
        reason: TicketReason,
        text: str = "",
    ) -> None:
        conversation.misses += 1
        if conversation.misses >= self.config.faq.misses_before_handoff:
            await self.handoff.start(turn, conversation, reason, text)
            return
        turn.settle(QuestionOutcome.NONE)
        locale = conversation.locale
        turn.tell_customer(
            conversation, self.templates.render(template, locale), (self._human_button(locale),)
        )

    def _give_answer(self, turn: Turn, conversation: ConversationRow, entry: Entry) -> None:
        """An FAQ answer, in the conversation's language when the entry has one; the misses
        before a handoff count again from zero (they count consecutive misses)."""
        conversation.misses = 0
        locale = conversation.locale
        answer: Rich = (
            Span(entry.answer_for(locale, self.config.bot.default_locale)),
            Span("\n\n"),
            *self.templates.render("help_question", locale),
        )
        buttons = (
            Button(self.templates.text("helpful_yes", locale), ActionId.HELPFUL, entry.id),
            Button(self.templates.text("helpful_no", locale), ActionId.UNHELPFUL, entry.id),
        )
        turn.tell_customer(conversation, answer, buttons)

    def _question(self, entry: Entry, locale: str) -> str:
        questions = entry.questions.get(locale) or next(iter(entry.questions.values()))
        return questions[0]

    def _human_button(self, locale: str) -> Button:
        return Button(self.templates.text("talk_to_human", locale), ActionId.HUMAN, "")

    async def _relay_to_thread(
        self, turn: Turn, conversation: ConversationRow, ticket_id: int, text: str
    ) -> None:
        ticket = await tickets.get_ticket(turn.session, ticket_id)
        if ticket is None:
            return
        turn.to_thread(
            ticket,
            self.templates.render(
                "thread_customer",
                self.handoff.staff_locale,
                name=conversation.display_name,
                text=text,
            ),
        )

    async def _rate(self, turn: Turn, conversation: ConversationRow, rating: int) -> None:
        ticket_id = conversation.ticket_id
        if ticket_id is None or not await tickets.rate(turn.session, ticket_id, rating):
            return
        _back_to_bot(conversation)
        turn.tell_customer(
            conversation, self.templates.render("rating_thanks", conversation.locale)
        )
        ticket = await tickets.get_ticket(turn.session, ticket_id)
        if ticket is not None:
            turn.to_thread(
                ticket,
                self.templates.render(
                    "rating_staff", self.handoff.staff_locale, ticket=ticket_id, rating=rating
                ),
            )


_ON_ACTION: dict[ActionId, ActionHandler] = {
    ActionId.HUMAN: CustomerFlow._wants_human,
    ActionId.FAQ: CustomerFlow._picked_faq,
    ActionId.HELPFUL: CustomerFlow._helped,
    ActionId.UNHELPFUL: CustomerFlow._did_not_help,
    ActionId.RATE: CustomerFlow._rated,
    ActionId.FORGET: CustomerFlow._forget,
    ActionId.CLAIM: CustomerFlow._not_staff,
    ActionId.RELEASE_HELD: CustomerFlow._held_released,
    ActionId.REMIND_UNCLAIMED: timers.remind,
    ActionId.AUTO_CLOSE: timers.auto_close,
}


def _back_to_bot(conversation: ConversationRow) -> None:
    conversation.state = ConversationState.BOT
    conversation.ticket_id = None


def _label(question: str) -> str:
    if len(question) <= BUTTON_LABEL_CHARS:
        return question
    return question[: BUTTON_LABEL_CHARS - 1] + "…"
