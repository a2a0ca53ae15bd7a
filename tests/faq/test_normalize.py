import unicodedata

import pytest

from faq.normalize import normalize


def test_case_is_folded() -> None:
    assert normalize("HeLLo WORLD") == "hello world"


def test_accents_are_stripped() -> None:
    assert normalize("Crème Brûlée à la café") == "creme brulee a la cafe"


def test_german_sharp_s_and_umlauts() -> None:
    assert normalize("Straße") == "strasse"
    assert normalize("GRÜẞE aus München") == normalize("Grüße aus Munchen") == "grusse aus munchen"
    assert normalize("Ärger über Öl") == "arger uber ol"


def test_punctuation_and_symbols_become_spaces() -> None:
    assert normalize("Hello,world!!! (really?) -- yes/no; 50% #1") == (
        "hello world really yes no 50 1"
    )


def test_apostrophes_inside_words_join() -> None:
    assert normalize("Don't I'm what’s") == "dont im whats"
    assert normalize("'quoted'") == "quoted"


def test_whitespace_is_collapsed() -> None:
    assert normalize("  many\t\tspaces\n\nand\u00a0lines  ") == "many spaces and lines"


def test_unicode_forms_are_equivalent() -> None:
    composed = "résumé"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert normalize(composed) == normalize(decomposed) == "resume"
    assert normalize("ＦＵＬＬＷＩＤＴＨ ﬁle №5 ①") == "fullwidth file no5 1"


def test_other_scripts_are_kept() -> None:
    assert normalize("Привет, МИР!") == "привет мир"
    assert normalize("東京 タワー") == "東京 タワー"


@pytest.mark.parametrize("text", ["", "   ", "?!...", "\t\n", "🙂👍", "— – ·"])
def test_nothing_left(text: str) -> None:
    assert normalize(text) == ""


def test_ascii_shortcut_agrees_with_the_general_rules() -> None:
    """Every ASCII character, alone and between letters, normalizes as it would if it
    were not ASCII text (a non-ASCII letter appended takes the general path)."""
    for code in range(128):
        char = chr(code)
        for text in (char, f"a{char}b", f"A{char}{char}1", f" {char}'s"):
            assert (normalize(text) + " e").lstrip() == normalize(text + " é")
