"""The index's shortcuts give the same results as looking at every entry.

The FAQ here is large and repetitive enough for them to matter: 360 entries made of a
few dozen words, each about a named product, so most entries share most words and the
search has to tell near-copies apart.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

import faq.match_index
from faq.match_arrays import Strings
from faq.match_fuzzy import bigram_table, closest
from faq.match_index import MatchIndex
from faq.matcher import Matcher, MatchSettings, Scored, phrasings
from faq.model import Entry, Faq

ACTIONS = ("reset", "cancel", "return", "track", "pay for", "update")
THINGS = ("order", "password", "subscription", "parcel", "invoice", "card")
NAMES = (
    *("alpha", "bravo", "corvid", "delta", "ember"),
    *("falcon", "garnet", "harbor", "indigo", "juniper"),
)


def _entries() -> tuple[Entry, ...]:
    entries = []
    for number, (action, thing, name) in enumerate(itertools.product(ACTIONS, THINGS, NAMES)):
        questions = (
            f"How do I {action} my {thing} for {name}?",
            f"{name}: I want to {action} the {thing}",
            f"{action} {thing} {name} please",
        )
        entries.append(
            Entry(id=f"e{number}", questions={"en": questions}, answer={"en": str(number)})
        )
    return tuple(entries)


FAQ = Faq(entries=_entries())
QUERIES = (
    "how do i reset my password for alpha",
    "i want to cancel my subscription",
    "return the parcel",
    "track my order for harbour",
    "paying the invoice of the juniper card",
    "upadte my card",
    "what is the weather like",
    "bravo",
    "how do i",
    "cancel cancel cancel order order",
)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(FAQ, MatchSettings())


def _own_questions() -> list[tuple[str, Entry]]:
    return [(question, entry) for entry in FAQ.entries[::7] for question in entry.questions["en"]]


def test_pruned_search_ranks_as_scoring_every_entry(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every bound at infinity the search scores every entry in full."""
    texts = [*QUERIES, *(question for question, _ in _own_questions())]
    pruned = [[(s.entry.id, s.score) for s in matcher.rank(text, 4)] for text in texts]
    monkeypatch.setattr(
        faq.match_index, "_total_bound", lambda points, best: np.full(len(points), np.inf)
    )
    everything = [[(s.entry.id, s.score) for s in matcher.rank(text, 4)] for text in texts]
    assert pruned == everything
    assert all(pruned[: len(QUERIES) - 3])


@pytest.mark.parametrize("floor", [99.0, 96.0, 70.0, 40.0, 5.0])
def test_a_floor_keeps_exactly_the_scores_that_reach_it(matcher: Matcher, floor: float) -> None:
    index = MatchIndex(phrasings(FAQ), len(FAQ.entries))
    texts = [*QUERIES, *(question for question, _ in _own_questions())]
    for text in texts:
        full = index.top(text, 4)
        assert index.top(text, 4, floor=floor) == [item for item in full if item[1] >= floor]


def test_a_floor_holds_with_entries_that_get_points_from_hub_bias() -> None:
    """A strongly negative bias lifts entries that share no rare term with the query
    towards the floor; the sparse search must still find them."""
    built = MatchIndex(phrasings(FAQ), len(FAQ.entries)).tables
    bias = np.zeros(len(FAQ.entries))
    bias[::5] = -40.0
    index = MatchIndex.from_tables(dataclasses.replace(built, hub_bias=bias))
    texts = [*QUERIES, *(question for question, _ in _own_questions())]
    for floor in (96.0, 80.0, 60.0):
        for text in texts:
            full = index.top(text, 4)
            assert index.top(text, 4, floor=floor) == [x for x in full if x[1] >= floor]


def test_answers_agrees_with_match(matcher: Matcher) -> None:
    strict = Matcher(FAQ, MatchSettings(margin=30.0))
    cases = [*_own_questions(), *((text, FAQ.entries[0]) for text in QUERIES)]
    for question, entry in cases:
        for judge in (matcher, strict):
            verdict = judge.match(question, "en")
            answered = verdict.entry is not None and verdict.entry.id == entry.id
            assert judge.answers(question, entry, "en") is answered
    assert any(matcher.answers(q, e, "en") for q, e in _own_questions())
    assert not all(strict.answers(q, e, "en") for q, e in _own_questions())


def test_rival_is_what_ranking_every_entry_gives(matcher: Matcher) -> None:
    for question, entry in _own_questions()[:12] + [(q, FAQ.entries[5]) for q in QUERIES]:
        ranked = matcher.rank(question, len(FAQ.entries))
        own = next((s.score for s in ranked if s.entry.id == entry.id), 0.0)
        rival = next((s for s in ranked if s.entry.id != entry.id), None)
        assert matcher.rival(question, entry) == (own, rival)


def test_an_index_from_its_tables_matches_the_same(matcher: Matcher) -> None:
    built = MatchIndex(phrasings(FAQ), len(FAQ.entries))
    copy = MatchIndex.from_tables(built.tables)
    again = Matcher(FAQ, MatchSettings(), copy)
    for text in QUERIES:
        assert again.rank(text, 4) == matcher.rank(text, 4)
        assert copy.top(text, 3, exhaustive=True) == built.top(text, 3, exhaustive=True)


def test_closest_term_is_the_one_rapidfuzz_picks_among_all() -> None:
    from rapidfuzz import fuzz, process

    vocabulary = sorted(
        {word for entry in FAQ.entries for q in entry.questions["en"] for word in q.split()}
        | {"passwort", "pasword", "ordering", "orders", "trackers", "abcd", "dcba"}
    )
    table = bigram_table(vocabulary)
    words = [
        "pasword",
        "passwrod",
        "subscripton",
        "ordr",
        "invoise",
        "trakc",
        "juniperr",
        "abdc",
        "zzzz",
        "aaaaaaaa",
        "xylophone",
        "cancle",
    ]
    for word in words:
        hit = process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=80.0)
        expected = None if hit is None else (hit[0], float(hit[1]))
        assert closest(word, Strings.of(vocabulary), table) == expected
    assert closest("pasword", Strings.of(vocabulary), table) == ("pasword", 100.0)


def test_scored_entries_come_back_best_first(matcher: Matcher) -> None:
    ranked: list[Scored] = matcher.rank("reset password alpha", 6)
    scores = [s.score for s in ranked]
    assert scores == sorted(scores, reverse=True)
    assert ranked[0].entry.questions["en"][0] == "How do I reset my password for alpha?"
