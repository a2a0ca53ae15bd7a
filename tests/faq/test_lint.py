from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from faq import lint
from faq.lint import lint_faq, lint_loaded
from faq.loader import Problem, load_faq
from faq.matcher import MatchSettings
from faq.model import Faq

EXAMPLE_FAQ = Path(__file__).parents[2] / "examples" / "faq"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def lines(path: Path, settings: MatchSettings | None = None) -> list[str]:
    return [str(problem) for problem in lint_faq(path, matcher_settings=settings)]


def test_a_clean_faq_has_no_problems(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: password
            questions: {en: [How do I reset my password?], de: [Passwort vergessen]}
            answer: {en: Use the reset link., de: Nutze den Link.}
          - id: shipping
            questions: [How long does shipping take?]
            answer: Two days.
        """,
    )
    assert lint_faq(file) == []


def test_load_errors_come_back_as_problems(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "entries:\n  - {id: same, questions: [A?], answer: A.}\n")
    write(tmp_path / "b.yaml", "entries:\n  - {id: same, questions: [B?], answer: ''}\n")
    assert lines(tmp_path) == [
        f'{tmp_path / "b.yaml"}:2: entry "same": answer is empty',
    ]
    write(tmp_path / "b.yaml", "entries:\n  - {id: same, questions: [B?], answer: B.}\n")
    assert lines(tmp_path) == [
        f'{tmp_path / "b.yaml"}:2: entry "same": duplicate id, first defined at'
        f" {tmp_path / 'a.yaml'}:2"
    ]


def test_the_same_question_under_two_entries(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a.yaml",
        "entries:\n  - {id: reset, questions: [How do I reset my password?], answer: A.}\n",
    )
    second = write(
        tmp_path / "b.yaml",
        "entries:\n"
        "  - {id: other, questions: [Where is my parcel?], answer: B.}\n"
        "  - id: forgot\n"
        "    questions: [how do I RESET my password, I forgot it]\n"
        "    answer: C.\n",
    )
    assert lines(tmp_path) == [
        f'{second}:3: entry "forgot": question "how do I RESET my password" is also a question'
        f' of entry "reset" ({first}:2)'
    ]


def test_a_question_repeated_inside_one_entry_or_without_words(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: shipping
            questions:
              en: [How long does shipping take?, "???"]
              de: [How long does shipping take!]
            answer: {en: Two days., de: Zwei Tage.}
        """,
    )
    assert lines(file) == [
        f'{file}:2: entry "shipping": question "???" has no words to match',
        f'{file}:2: entry "shipping": question "How long does shipping take!" is repeated',
    ]


def test_questions_without_an_answer_in_their_language(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: shipping
            questions: {en: [How long does shipping take?], de: [Wie lange dauert der Versand?]}
            answer: {en: Two days.}
        """,
    )
    assert lines(file) == [f'{file}:2: entry "shipping": has questions but no answer in de']


def test_entries_the_matcher_cannot_tell_apart(tmp_path: Path) -> None:
    # The same words in another order: every matcher scores both entries alike.
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: track
            questions: [parcel tracking]
            answer: Tracking link.
          - id: status
            questions: [tracking parcel]
            answer: Order status.
        """,
    )
    lenient = MatchSettings(answer=1, suggest=1, margin=4)
    problems = lines(file, lenient)
    assert problems[0].startswith(
        f'{file}:2: entry "track": question "parcel tracking" gets no direct answer:'
        f' too close to entry "status" ({file}:5), '
    )
    assert problems[0].endswith(" with a margin of 4")
    assert problems[1].startswith(
        f'{file}:5: entry "status": question "tracking parcel" gets no direct answer:'
        f' too close to entry "track" ({file}:2), '
    )
    assert len(problems) == 2

    (answered,) = lines(file, MatchSettings(answer=1, suggest=1, margin=0))
    assert answered.startswith(
        f'{file}:5: entry "status": question "tracking parcel" is answered with entry'
        f' "track" ({file}:2, score '
    )


def test_questions_scoring_below_the_answer_threshold(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: track
            questions: [Where is my parcel?]
            answer: Tracking link.
            threshold: 0
          - id: gift
            questions: [Do you sell gift cards?]
            answer: Yes.
        """,
    )
    (problem,) = lines(file, MatchSettings(answer=101))
    assert problem.startswith(
        f'{file}:6: entry "gift": question "Do you sell gift cards?" gets no direct answer:'
        " its own entry scores "
    )
    assert problem.endswith(", below the answer threshold 101")


def test_the_example_faq_is_clean() -> None:
    assert lint_faq(EXAMPLE_FAQ) == []


def gadget_faq(folder: Path) -> Faq:
    """40 entries with every kind of finding at several of them."""
    rows = ["entries:"]
    for number in range(40):
        questions = [f"how do I use gadget{number} at home", f"gadget{number} manual"]
        if number % 7 == 3:
            questions.append("gadget3 manual")  # also a question of entry g3
        if number % 9 == 4:
            questions.append(questions[0])  # repeated
        if number % 11 == 5:
            questions.append("?!")  # no words
        rows.append(f"  - id: g{number}\n    questions: {questions!r}\n    answer: Yes.")
    file = folder / "faq.yaml"
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return load_faq(file, "en")


def test_forked_workers_find_the_same_problems_in_the_same_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large FAQ is linted in forked processes, span by span: the findings must be
    the in-process ones, in entry order (PARALLEL_FROM lowered, so that a small FAQ
    takes that path)."""
    faq = gadget_faq(tmp_path)
    settings = MatchSettings()
    alone = lint_loaded(faq, settings)
    assert len(alone) >= 10

    span = lint._lint_span

    def recorded(linting: lint._Linting, bounds: tuple[int, int]) -> list[Problem]:
        with (tmp_path / "pids").open("a", encoding="ascii") as pids:
            pids.write(f"{os.getpid()}\n")
        return span(linting, bounds)

    monkeypatch.setattr(lint, "PARALLEL_FROM", 0)
    monkeypatch.setattr(lint, "_lint_span", recorded)
    assert lint_loaded(faq, settings, workers=3) == alone
    linted_by = [int(line) for line in (tmp_path / "pids").read_text().split()]
    assert len(linted_by) == 3 * lint._SPANS_PER_WORKER
    assert os.getpid() not in linted_by
    assert len(set(linted_by)) > 1


def test_a_worker_that_dies_leaves_the_lint_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    faq = gadget_faq(tmp_path)
    settings = MatchSettings()
    alone = lint_loaded(faq, settings)
    parent = os.getpid()
    span = lint._lint_span

    def killed(linting: lint._Linting, bounds: tuple[int, int]) -> list[Problem]:
        if os.getpid() != parent:
            os._exit(9)  # as the OOM killer would end it
        return span(linting, bounds)

    monkeypatch.setattr(lint, "PARALLEL_FROM", 0)
    monkeypatch.setattr(lint, "_lint_span", killed)
    assert lint_loaded(faq, settings, workers=2) == alone
    assert "a lint worker died" in caplog.text
