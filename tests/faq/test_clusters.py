"""faq/clusters.py: unanswered questions grouped by what they ask, largest first; repeats
count, empty texts are left out, and a cluster is a star that does not chain."""

from __future__ import annotations

import numpy as np
import pytest

from faq import clusters
from faq.clusters import cluster
from faq.loader import load_faq
from faq.matcher import phrasings
from tests.conftest import EXAMPLE_FAQ

ASKED = [
    "Do you ship to Mars?",
    "can I pay with seashells",
    "do you ship to mars",
    "shipping to mars possible?",
    "seashells as payment?",
    "is the shop open on sundays",
    "!!!",
    "",
]


def test_questions_about_one_thing_come_out_together_largest_first() -> None:
    """With the shop's FAQ as background: a handful of texts alone weigh their words
    unsteadily, and the seashells pair then falls apart."""
    shop = [question for _, question in phrasings(load_faq(EXAMPLE_FAQ))]
    found = [[ASKED[p] for p in c.members] for c in cluster(ASKED, background=shop)]
    alone = cluster(ASKED)

    assert found == [
        ["Do you ship to Mars?", "do you ship to mars", "shipping to mars possible?"],
        ["can I pay with seashells", "seashells as payment?"],
        ["is the shop open on sundays"],
    ]
    assert [c.size for c in alone] == [3, 1, 1, 1]


def test_a_question_asked_often_outweighs_several_asked_once() -> None:
    asked = ["where is my invoice", "mars delivery", "ship to mars", "where is my invoice?"] + [
        "Where is my invoice"
    ] * 2
    found = cluster(asked)

    assert [c.size for c in found] == [4, 2]
    assert found[0].centre == 0 and sorted(found[0].members) == [0, 3, 4, 5]


def test_only_the_newest_texts_are_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clusters, "MAX_TEXTS", 2)
    found = cluster(["refund please", "ship to mars", "mars shipping"])

    assert [sorted(c.members) for c in found] == [[1, 2]]


def test_a_stricter_threshold_splits_more() -> None:
    loose = cluster(ASKED, threshold=30.0)
    strict = cluster(ASKED, threshold=99.0)

    assert len(loose) <= 3 < len(strict)
    assert sum(c.size for c in strict) == sum(c.size for c in loose) == 6


def test_a_cluster_is_a_star_around_its_centre_not_a_chain() -> None:
    """a~b, b~c, c~d, d~e: b or c gathers its neighbours; the far end stays apart."""
    chain = np.eye(5, dtype=bool)
    for left in range(4):
        chain[left, left + 1] = chain[left + 1, left] = True

    groups = clusters._greedy(chain, np.ones(5, dtype=np.int64))

    assert groups[0] == [1, 0, 2]
    assert groups[1:] == [[3, 4]]
