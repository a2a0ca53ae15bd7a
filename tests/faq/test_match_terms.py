import pytest

from faq.match_synonyms import GROUPS
from faq.match_terms import NUMBER, stem, terms


@pytest.mark.parametrize(
    "words",
    [
        ("purchase", "purchases", "purchasing", "purchased"),
        ("order", "orders", "ordered", "ordering"),
        ("delivery", "deliveries"),
        ("reservation", "reservations", "reserve", "reserved"),
        ("run", "running"),
    ],
)
def test_inflections_share_a_stem(words: tuple[str, ...]) -> None:
    assert len({stem(word) for word in words}) == 1


@pytest.mark.parametrize("word", ["address", "status", "is", "404", "a4", "bus"])
def test_short_words_numbers_and_s_endings_are_kept(word: str) -> None:
    assert stem(word) == word


def test_synonyms_and_phrases_become_one_term() -> None:
    assert terms("i want to log in") == terms("i want to sign in") == terms("i want to login")
    assert terms("what does shipping cost") == terms("what does delivery price")
    assert sorted(terms("passwort andern")) == sorted(terms("change password"))
    assert terms("delivered") == terms("delivery") == terms("shipping")
    assert terms("log in log in") == ["login", "login"]


def test_every_synonym_word_has_one_meaning() -> None:
    canonical: dict[str, str] = {}
    for group in GROUPS:
        for word in group:
            assert canonical.setdefault(stem(word), stem(group[0])) == stem(group[0]), word


def test_unrelated_words_stay_apart() -> None:
    assert terms("refund") != terms("order")


def test_numbers_also_count_as_number() -> None:
    assert terms("order 12345") == ["order", "12345", NUMBER]
    assert terms("from the 2nd to the 5th")[2:4] == ["2nd", NUMBER]
    assert NUMBER in terms("error 404") and NUMBER in terms("error 500")
    assert terms("error 404") != terms("error 500")
    assert NUMBER not in terms("a4 paper or 3d print")
