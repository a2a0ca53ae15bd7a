"""Hostile YAML: depth, alias and size limits checked before anything is composed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import yaml

from faq.loader import FaqError, load_faq
from faq.matcher import MatchSettings
from faq.safe_yaml import FAQ_LIMITS, LimitExceeded, Limits, compose, construct
from faq.store import FaqStore

SMALL = Limits(max_chars=10_000, max_depth=5, max_alias_nodes=50)
GOOD_FAQ = """\
entries:
  - id: shipping
    questions: [How long does shipping take?, When will my parcel arrive?]
    answer: Two days.
"""
# Nine times nine times... a 0.6 MB file of such lines stands for 10 M questions.
LAUGHS = """\
entries:
  - id: laughs
    questions: &q0 [a, b, c, d, e, f, g, h, i, j]
    answer: x
  - id: laughs1
    questions: &q1 [*q0, *q0, *q0, *q0, *q0, *q0, *q0, *q0, *q0, *q0]
    answer: x
  - id: laughs2
    questions: &q2 [*q1, *q1, *q1, *q1, *q1, *q1, *q1, *q1, *q1, *q1]
    answer: x
  - id: laughs3
    questions: &q3 [*q2, *q2, *q2, *q2, *q2, *q2, *q2, *q2, *q2, *q2]
    answer: x
  - id: laughs4
    questions: [*q3, *q3, *q3, *q3, *q3, *q3, *q3, *q3, *q3, *q3]
    answer: x
"""


def deep(levels: int) -> str:
    return "entries: " + "[" * levels + "]" * levels + "\n"


def test_the_tree_is_what_pyyaml_composes() -> None:
    text = (
        "a: &x {b: [1, 2.5, yes, null, '404', ~]}\n"
        "c:\n  <<: *x\n  d: !!str 12\n"
        "e: [How do I reset my password?, 'x']\n"
        "f: |\n  block\n  text\n"
    )
    ours = compose(text, SMALL)
    theirs = yaml.compose(text, Loader=yaml.CSafeLoader)
    assert construct(ours) == construct(theirs)
    assert ours is not None and theirs is not None
    assert yaml.serialize(ours) == yaml.serialize(theirs)


def test_no_document_is_none() -> None:
    assert compose("", SMALL) is None
    assert compose("# nothing\n", SMALL) is None


def test_too_deep_fails_at_the_line_where_it_got_too_deep() -> None:
    text = "a:\n" + "".join("  " * i + "-\n" for i in range(1, 10))
    with pytest.raises(LimitExceeded) as error:
        compose(text, SMALL)
    assert error.value.line == 6
    assert str(error.value) == "nested more than 5 levels deep (the limit)"


def test_aliases_may_not_stand_for_too_many_nodes() -> None:
    fine = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
    assert construct(compose(fine, SMALL)) == {"a": [1, 2, 3], "b": [[1, 2, 3], [1, 2, 3]]}
    bomb = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n"
    with pytest.raises(LimitExceeded) as error:
        compose(bomb, SMALL)
    assert error.value.line == 3
    assert "aliases expand to more than 50 nodes" in str(error.value)


def test_an_alias_cannot_point_into_its_own_anchor() -> None:
    with pytest.raises(yaml.YAMLError, match="undefined alias 'a'"):
        compose("a: &a [1, *a]\n", SMALL)


def test_too_large_names_the_line_where_the_limit_is_reached() -> None:
    text = "a: 1\n" * 3000
    with pytest.raises(LimitExceeded) as error:
        compose(text, SMALL)
    assert error.value.line == 2001
    assert "over 10,000 characters" in str(error.value)


def test_several_documents_are_refused() -> None:
    with pytest.raises(yaml.YAMLError, match="expected a single document"):
        compose("a: 1\n---\nb: 2\n", SMALL)


def test_a_deeply_nested_faq_is_a_problem_with_its_line_not_a_crash(tmp_path: Path) -> None:
    """60,000 levels overflow the C stack in libyaml's composer and kill the process."""
    path = tmp_path / "faq.yaml"
    path.write_text(GOOD_FAQ + "  - " + deep(60_000)[9:], encoding="utf-8")
    with pytest.raises(FaqError) as error:
        load_faq(path)
    assert [str(p) for p in error.value.problems] == [
        f"{path}:5: nested more than {FAQ_LIMITS.max_depth} levels deep (the limit)"
    ]


def test_an_alias_bomb_faq_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(LAUGHS, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(FaqError) as error:
        load_faq(path)
    assert time.perf_counter() - started < 1
    (problem,) = error.value.problems
    assert problem.source == f"{path}:15"
    assert "aliases expand to more than 100,000 nodes" in problem.message


def test_a_faq_may_still_share_a_list_through_an_alias(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(
        "entries:\n"
        "  - id: a\n    questions: [one]\n    answer: x\n    tags: &t [shop, help]\n"
        "  - id: b\n    questions: [two]\n    answer: y\n    tags: *t\n",
        encoding="utf-8",
    )
    assert [entry.tags for entry in load_faq(path).entries] == [("shop", "help")] * 2


async def test_hot_reload_of_a_hostile_faq_keeps_the_bot_and_the_last_good_faq(
    tmp_path: Path,
) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(GOOD_FAQ, encoding="utf-8")
    store = FaqStore(path, MatchSettings())
    for hostile in (GOOD_FAQ + "  - " + deep(60_000)[9:], LAUGHS):
        path.write_text(hostile, encoding="utf-8")
        assert await store.reload_elsewhere() is False
        assert store.last_error is not None
        assert "(the limit)" in str(store.last_error)
        assert [entry.id for entry in store.faq.entries] == ["shipping"]


def test_the_composer_does_not_recurse() -> None:
    """Deeper than Python's recursion limit, within the depth limit, composes fine."""
    levels = sys.getrecursionlimit() + 100
    limits = Limits(max_chars=10 * levels, max_depth=levels, max_alias_nodes=0)
    node = compose("[" * levels + "]" * levels, limits)
    for _ in range(levels - 1):
        assert node is not None and isinstance(node.value, list)
        node = node.value[0]
    assert node is not None and node.value == []
