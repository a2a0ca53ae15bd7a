import pytest

from bot.i18n import Templates
from bot.small_talk import Phrasebook, Phrasebooks
from faq.model import SmallTalk, SmallTalkKind

Kind = SmallTalkKind


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("hi", "en", Kind.GREETING),
        ("Hello there!", "en", Kind.GREETING),
        ("Good morning 🙂", "en", Kind.GREETING),
        ("thanks a lot!!", "en", Kind.THANKS),
        ("ok", "en", Kind.THANKS),
        ("ok thanks, bye", "en", Kind.GOODBYE),
        ("Are you a bot?", "en", Kind.ARE_YOU_A_BOT),
        ("hi, are you a real person?", "en", Kind.ARE_YOU_A_BOT),
        ("/resolve", "en", Kind.COMMANDS),
        ("!claim", "de", Kind.COMMANDS),
        ("/help@shop_bot", "id", Kind.COMMANDS),
        ("/start", "en", Kind.GREETING),
        ("/Start@shop_bot", "de", Kind.GREETING),
        ("help", "en", Kind.COMMANDS),
        ("Danke schön!", "de", Kind.THANKS),
        ("Vielen Dank und tschüss", "de", Kind.GOODBYE),
        ("Spreche ich mit einem Menschen?", "de", Kind.ARE_YOU_A_BOT),
        ("Grüß Gott", "de", Kind.GREETING),
        ("thanks", "de", Kind.THANKS),  # English counts in every conversation
        ("terima kasih kak", "id", Kind.THANKS),
        ("halo admin", "id", Kind.GREETING),
        ("apakah ini bot?", "id", Kind.ARE_YOU_A_BOT),
    ],
)
def test_small_talk_is_recognized(text: str, locale: str, expected: Kind) -> None:
    assert Phrasebook().recognize(text, locale) == expected


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("hi, where is my order?", "en"),
        ("thanks, but my parcel never arrived", "en"),
        ("can I talk to a human", "en"),
        ("I am the admin", "en"),
        ("!important: call back", "en"),
        ("/ resolve", "en"),
        ("🙂", "en"),
        ("bot", "en"),
        ("danke", "en"),  # another language's words are no small talk
        ("makasih min", "en"),
        ("halo admin", "en"),
        ("terima kasih", "de"),
        ("hi hi hi hi hi hi hi hi hi", "en"),  # longer than small talk
    ],
)
def test_anything_else_is_no_small_talk(text: str, locale: str) -> None:
    assert Phrasebook().recognize(text, locale) is None


def test_the_faq_adds_phrases_and_replaces_replies_per_language() -> None:
    own = SmallTalk(
        Kind.GREETING,
        reply={"en": "Ahoy!"},
        phrases={"en": ("ahoy",), "de": ("na du",)},
    )
    book = Phrasebook([own])
    assert book.recognize("Ahoy there", "en") == Kind.GREETING
    assert book.recognize("hello", "en") == Kind.GREETING
    assert book.recognize("na du", "de") == Kind.GREETING
    assert book.recognize("na du", "en") is None
    assert book.reply(Kind.GREETING, "en") == "Ahoy!"
    assert book.reply(Kind.GREETING, "de") is None
    assert book.reply(Kind.THANKS, "en") is None


def test_the_phrasebook_is_built_again_only_for_another_faq() -> None:
    books = Phrasebooks()
    own = (SmallTalk(Kind.THANKS, phrases={"en": ("ta",)}),)
    first = books.of(own)
    assert books.of(own) is first
    assert first.recognize("ta", "en") == Kind.THANKS
    other = books.of(())
    assert other is not first
    assert other.recognize("ta", "en") is None


def test_every_kind_has_a_reply_in_every_language() -> None:
    templates = Templates.load()
    for locale in ("en", "de", "id"):
        replies = {templates.text(f"small_talk_{kind}", locale) for kind in Kind}
        assert len(replies) == len(Kind), locale
    english = templates.text("small_talk_thanks", "en")
    assert templates.text("small_talk_thanks", "de") != english
    assert templates.text("small_talk_thanks", "id") != english


def test_keywords_are_the_languages_own_and_english() -> None:
    templates = Templates.load()
    assert "admin" in templates.words("human_keywords", "id")
    assert "admin" not in templates.words("human_keywords", "en")
    assert "admin" not in templates.words("human_keywords", "de")
    german = templates.words("human_keywords", "de")
    assert "mitarbeiter" in german and "human" in german
    assert templates.supported("de-AT") == "de"
    assert templates.supported("fr") is None
    assert templates.supported(None) is None
