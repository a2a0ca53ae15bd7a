"""The snippets file: loaded by locale, every problem reported as file:line (unknown
placeholders, keys and locales, empty texts, bad or duplicate names, no text in the
default locale, hostile YAML), a missing file is no snippets, and the store keeps the
last good snippets while an edit does not load."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from faq.loader import FaqError
from faq.snippets import SnippetStore, load_snippets

GOOD = """\
snippets:
  - name: hello
    text:
      en: "Hi {customer}, I'm {agent} (ticket #{ticket})."
      de: "Hallo {customer}, ich bin {agent} (Ticket #{ticket})."
  - name: wait_2
    text: One moment please.
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    file = tmp_path / "snippets.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(FaqError) as caught:
        load_snippets(file)
    return [str(p).replace(str(file), "F") for p in caught.value.problems]


def test_a_good_file_loads_by_locale_with_fallbacks(tmp_path: Path) -> None:
    file = tmp_path / "snippets.yaml"
    file.write_text(GOOD, encoding="utf-8")
    snippets = load_snippets(file)
    hello = snippets.get(" HELLO ")
    assert snippets.names == ("hello", "wait_2")
    assert hello is not None
    assert hello.text_for("de", "en") == "Hallo {customer}, ich bin {agent} (Ticket #{ticket})."
    assert hello.text_for("id", "de") == "Hi {customer}, I'm {agent} (ticket #{ticket})."
    assert hello.source == f"{file}:2"
    assert snippets.get("nope") is None


def test_the_example_file_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "snippets.yaml"
    snippets = load_snippets(example)
    assert len(snippets.items) >= 3
    assert all(set(s.text) == {"en", "de"} for s in snippets.items)


def test_a_missing_file_is_no_snippets(tmp_path: Path) -> None:
    assert load_snippets(tmp_path / "none.yaml").items == ()


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    text = """\
snippets:
  - name: hello
    text: "Hi {costumer}, {Agent} here {}"
  - name: Bad Name
    text: x
  - name: hello
    text: again
  - name: empty
    text: ""
  - name: german-only
    text:
      de: Hallo
  - name: typo
    txt: x
  - name: locale
    text:
      english: x
"""
    assert problems(tmp_path, text) == [
        'F:3: snippet "hello": text: unknown placeholder {costumer}'
        " (expected: {customer}, {agent}, {ticket})",
        'F:3: snippet "hello": text: unknown placeholder {Agent}'
        " (expected: {customer}, {agent}, {ticket})",
        'F:3: snippet "hello": text: unknown placeholder {}'
        " (expected: {customer}, {agent}, {ticket})",
        "F:4: snippet #2: name must be lowercase letters, digits, '-' and '_'"
        " (at most 40, starting with a letter or digit)",
        'F:9: snippet "empty": text is empty',
        'F:10: snippet "german-only": no text in the default locale (en)',
        'F:14: snippet "typo": unknown key "txt" (did you mean "text"?)',
        'F:13: snippet "typo": text is missing',
        'F:17: snippet "locale": text: "english" is not a locale code (like en, de or pt-BR)',
    ]


def test_the_top_level_and_hostile_yaml(tmp_path: Path) -> None:
    assert problems(tmp_path, "") == ["F:1: the file is empty; expected a `snippets` list"]
    assert problems(tmp_path, "snippets: x\n") == ["F:1: `snippets` must be a list"]
    assert problems(tmp_path, "snipets: []\n") == [
        'F:1: unknown key "snipets" (did you mean "snippets"?)',
        "F:1: missing `snippets` (the list of snippets)",
    ]
    deep = "snippets: " + "[" * 100 + "]" * 100 + "\n"
    assert problems(tmp_path, deep) == ["F:1: nested more than 8 levels deep (the limit)"]


def test_the_store_keeps_the_last_good_snippets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file = tmp_path / "snippets.yaml"
    store = SnippetStore(file)
    assert store.snippets.items == ()
    file.write_text(GOOD, encoding="utf-8")
    assert store.reload_if_changed() is True
    assert store.reload_if_changed() is False
    file.write_text(GOOD + "  - name: broken\n    text: '{nope}'\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="faq"):
        assert store.reload_if_changed() is False
    assert store.snippets.names == ("hello", "wait_2")
    assert store.last_error is not None
    assert "unknown placeholder {nope}" in caplog.text
    file.unlink()
    assert store.reload_if_changed() is True
    assert store.snippets.items == ()
    assert store.last_error is None
