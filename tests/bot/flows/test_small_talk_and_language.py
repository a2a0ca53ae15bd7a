"""Small talk, the conversation's language and consecutive misses, through the router and
the flows, on SQLite and on PostgreSQL."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sqlalchemy import event, select

from bot.contract import Sender
from handoff.models import Conversation, Ticket
from tests.bot.conversation_kit import Bot, running_bot
from tests.fakes.recording_adapter import Person, Sent

GREETING = "Hello! How can I help you? Just type your question."
THANKS = "You're welcome! Anything else I can help with?"
HELP = "I don't need commands"


async def _tickets(bot: Bot) -> list[Ticket]:
    async with bot.runtime._sessions() as session:
        return list((await session.execute(select(Ticket).order_by(Ticket.id))).scalars())


async def _locale(bot: Bot, user_id: str) -> str:
    async with bot.runtime._sessions() as session:
        query = select(Conversation.locale).where(Conversation.user_id == user_id)
        locale: str = (await session.execute(query)).scalar_one()
        return locale


def _stranger(bot: Bot, user_id: str, locale: str | None = None) -> Person:
    """A customer whose platform reports `locale` (None: no language)."""
    return Person(bot.platform, f"dm-{user_id}", Sender(user_id, user_id.title(), locale))


async def _ask(bot: Bot, person: Person, text: str) -> Sent:
    await person.says(text)
    await bot.settle()
    return bot.platform.last(person.chat_id)


def _offers(sent: Sent, entry_id: str) -> bool:
    """An FAQ answer with `entry_id`, or a "did you mean" offering it."""
    return any(
        button.value == entry_id and button.action_id in ("helpful", "faq")
        for button in sent.out.buttons
    )


async def test_hi_then_thanks_opens_no_ticket(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        assert (await _ask(bot, bot.customer, "hi")).text == GREETING
        assert (await _ask(bot, bot.customer, "thanks!")).text == THANKS
        assert (await _ask(bot, bot.customer, "ok, bye")).text == "Goodbye, and have a nice day!"
        # Small talk is no miss: the first unknown question after it is the first miss.
        first_miss = await _ask(bot, bot.customer, "qwzx vbnm plkj")
        assert "don't have an answer" in first_miss.text
        assert await _tickets(bot) == []
        assert bot.staff_room() == []


async def test_commands_typed_by_customers_get_the_help_text(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        for typed in ("/resolve", "!claim", "/help@shop_bot", "/resolve where is it"):
            reply = await _ask(bot, bot.customer, typed)
            assert reply.text.startswith(HELP), typed
            assert reply.out.buttons == (), typed
        assert (await _ask(bot, bot.customer, "/start")).text == GREETING
        assert await _tickets(bot) == []
        # A "!" that is no command is a question like any other.
        reply = await _ask(bot, bot.customer, "!!! where is my order")
        assert _offers(reply, "order-status")


async def test_are_you_a_bot_offers_a_person_without_a_ticket(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        reply = await _ask(bot, bot.customer, "Am I talking to a human?")
        assert reply.text.startswith("Yes, I'm the support bot")
        assert [b.action_id for b in reply.out.buttons] == ["human"]
        assert await _tickets(bot) == []
        await bot.customer.presses(reply, "human")
        await bot.settle()
        assert [t.reason for t in await _tickets(bot)] == ["asked"]


async def test_a_word_of_another_language_asks_for_nobody(database_url: str) -> None:
    question = "I am the admin of our company account. How do I change the email address?"
    async with running_bot(database_url) as bot:
        for person in (bot.customer, _stranger(bot, "no-hint")):
            reply = await _ask(bot, person, question)
            assert _offers(reply, "change-email"), reply
        assert await _tickets(bot) == []
        indonesian = _stranger(bot, "budi")
        await _ask(bot, indonesian, "saya mau bicara dengan admin")
        assert [t.reason for t in await _tickets(bot)] == ["asked"]
        assert await _locale(bot, "budi") == "id"


async def test_small_talk_of_another_language_is_no_small_talk(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        english = _stranger(bot, "eve")
        await _ask(bot, english, "Where is my order?")
        reply = await _ask(bot, english, "makasih")
        assert "don't have an answer" in reply.text
        assert await _locale(bot, "eve") == "en"
        indonesian = _stranger(bot, "sari")
        assert (await _ask(bot, indonesian, "terima kasih kak")).text.startswith("Sama-sama")


async def test_a_german_customer_is_answered_in_german(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        jonas = _stranger(bot, "jonas")
        answer = await _ask(bot, jonas, "Wo ist meine Bestellung?")
        assert answer.text.startswith("Sobald dein Paket unser Lager verlässt")
        assert answer.text.endswith("Hat das geholfen?")
        assert [b.label for b in answer.out.buttons] == ["Ja, danke", "Nicht wirklich"]
        assert await _locale(bot, "jonas") == "de"
        # Remembered: a short message that tells no language stays German.
        assert (await _ask(bot, jonas, "ok")).text == "Gern geschehen! Kann ich sonst noch helfen?"
        unknown = await _ask(bot, jonas, "qwzx vbnm")
        assert unknown.text.startswith("Dazu habe ich leider keine Antwort")
        assert (await _ask(bot, jonas, "Hallo zusammen")).text.startswith("Hallo! Wie kann")
        # Clear evidence changes it.
        english = await _ask(bot, jonas, "Where is my order?")
        assert english.text.startswith("As soon as your parcel leaves our warehouse")
        assert await _locale(bot, "jonas") == "en"


async def test_the_platform_language_starts_and_the_text_decides(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        # The app's language starts the conversation: a message that tells no language
        # is answered in it.
        german_app = _stranger(bot, "lena", "de-AT")
        assert (await _ask(bot, german_app, "ok")).text.startswith("Gern geschehen")
        assert await _locale(bot, "lena") == "de"
        # Someone whose app is in English but who writes Indonesian is served in
        # Indonesian: its handoff words apply.
        english_app = _stranger(bot, "budi", "en-US")
        await _ask(bot, english_app, "saya mau bicara dengan petugas")
        assert [t.reason for t in await _tickets(bot)] == ["asked"]
        assert await _locale(bot, "budi") == "id"
        # A language the bot does not speak is no language: the text decides.
        french_app = _stranger(bot, "paul", "fr")
        answer = await _ask(bot, french_app, "Wo ist meine Bestellung?")
        assert answer.text.startswith("Sobald dein Paket")
        assert await _locale(bot, "paul") == "de"


async def test_misses_count_only_when_consecutive(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await _ask(bot, bot.customer, "qwzx vbnm plkj")
        offer = await _ask(bot, bot.customer, "payment")
        faq_buttons = [b for b in offer.out.buttons if b.action_id == "faq"]
        assert faq_buttons, offer.out.buttons
        await bot.customer.presses(offer, faq_buttons[0].label)
        await bot.settle()
        assert bot.to_customer()[-1].out.buttons[0].value == faq_buttons[0].value
        # The answer chosen from the buttons reset the count: this is a first miss again.
        assert "don't have an answer" in (await _ask(bot, bot.customer, "zzzz yyyy")).text
        await _ask(bot, bot.customer, "Where is my order?")
        assert "don't have an answer" in (await _ask(bot, bot.customer, "xxxx wwww")).text
        assert await _tickets(bot) == []
        assert "ticket #1" in (await _ask(bot, bot.customer, "vvvv uuuu")).text


def _write_faq(folder: Path) -> Path:
    folder.mkdir()
    (folder / "faq.yaml").write_text(
        textwrap.dedent(
            """
            entries:
              - id: order-status
                questions: {en: [Where is my order?], de: [Wo ist meine Bestellung?]}
                answer: {en: It is on its way., de: Es ist unterwegs.}
            small_talk:
              greeting:
                reply: Ahoy! Ask me about your order.
                phrases: [ahoy, ahoy there matey]
              commands:
                reply: {de: Fragen Sie einfach nach Ihrer Bestellung.}
            """
        ),
        encoding="utf-8",
    )
    return folder


async def test_the_faq_can_give_its_own_small_talk(database_url: str, tmp_path: Path) -> None:
    faq = _write_faq(tmp_path / "faq")
    async with running_bot(database_url, faq={"path": str(faq)}) as bot:
        assert (await _ask(bot, bot.customer, "hello")).text == "Ahoy! Ask me about your order."
        assert (await _ask(bot, bot.customer, "Ahoy there, matey!")).text.startswith("Ahoy!")
        assert (await _ask(bot, bot.customer, "/help")).text.startswith(HELP)
        german = _stranger(bot, "jonas", "de")
        assert (await _ask(bot, german, "Hallo")).text.startswith("Hallo! Wie kann")
        reply = await _ask(bot, german, "/hilfe")
        assert reply.text == "Fragen Sie einfach nach Ihrer Bestellung."
        assert await _tickets(bot) == []


async def test_the_language_costs_a_statement_only_when_it_changes(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        updates: list[str] = []

        def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if statement.lstrip().upper().startswith("UPDATE CONVERSATIONS"):
                updates.append(statement)

        engine = bot.runtime._db.sync_engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            jonas = _stranger(bot, "jonas")
            await _ask(bot, jonas, "Wo ist meine Bestellung?")
            assert len(updates) == 1  # en (the default) -> de
            await _ask(bot, jonas, "Wie kann ich mein Paket verfolgen?")
            await _ask(bot, jonas, "ok")
            await _ask(bot, bot.customer, "Where is my order?")
            assert len(updates) == 1
        finally:
            event.remove(engine, "before_cursor_execute", seen)
