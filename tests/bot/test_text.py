from __future__ import annotations

from bot.contract import Span, Style, plain_text
from bot.i18n import LOCALES, Templates
from bot.text import clean_text, split_rich


def test_clean_text_drops_controls_and_bidi_overrides() -> None:
    assert clean_text("  hi\x00\x1b[2J there\u202e\n ok\t ") == "hi[2J there\n ok"
    assert clean_text("e\u0301") == "é"


def test_split_rich_keeps_every_character_in_order() -> None:
    text = (Span("Dana: ", Style.BOLD), Span("word " * 1000))
    pieces = split_rich(text, 2000)
    assert all(len(plain_text(p)) <= 2000 for p in pieces)
    assert "".join(plain_text(p) for p in pieces) == plain_text(text)
    assert pieces[0][0] == Span("Dana: ", Style.BOLD)
    assert plain_text(pieces[0]).endswith(" ")  # cut at a space, not inside a word


def test_split_rich_cuts_words_without_spaces() -> None:
    pieces = split_rich((Span("x" * 4500),), 2000)
    assert [len(plain_text(p)) for p in pieces] == [2000, 2000, 500]


def test_templates_have_the_same_keys_and_fields_in_every_locale() -> None:
    templates = Templates.load()
    tables = templates._tables
    keys = set(tables["en"])
    for locale in LOCALES:
        assert set(tables[locale]) == keys, locale
        for key, value in tables[locale].items():
            if isinstance(value, str):
                assert sorted(_fields(value)) == sorted(_fields(str(tables["en"][key]))), key


def _fields(text: str) -> list[str]:
    import re

    return re.findall(r"\{([a-z_]+)\}", text)


def test_filled_in_values_never_become_markup() -> None:
    templates = Templates.load()
    rich = templates.render("agent_reply", "en", agent="**Eve**", text="**bold?** {ticket}")
    assert rich[0] == Span("**Eve**", Style.BOLD)
    assert Span("**bold?** {ticket}", Style.PLAIN) in rich


def test_locale_hints() -> None:
    templates = Templates.load("de")
    assert templates.locale_for("id-ID") == "id"
    assert templates.locale_for("fr") == "de"
    assert templates.locale_for(None) == "de"
