from __future__ import annotations

import textwrap
from pathlib import Path

from faq.lint import lint_faq
from faq.matcher import MatchSettings

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
    assert lines(file) == [
        f'{file}:2: entry "shipping": questions in de but no answer in that language'
    ]


def test_entries_too_close_for_the_matcher_to_tell_apart(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: track
            questions: [Where is my order?]
            answer: Tracking link.
          - id: status
            questions: [Where is my orders?, My order is where?]
            answer: Order status.
          - id: unrelated
            questions: [Do you sell gift cards?]
            answer: Yes.
        """,
    )
    problems = lines(file)
    assert problems[0].startswith(
        f'{file}:2: entry "track": question "Where is my order?" gets no direct answer,'
        ' too close to call: "track" 100, "status"'
    )
    assert [problem.split(": question ")[0] for problem in problems] == [
        f'{file}:2: entry "track"',
        f'{file}:5: entry "status"',
        f'{file}:5: entry "status"',
    ]
    assert lines(file, MatchSettings(margin=0.0)) == [
        f'{file}:5: entry "status": question "My order is where?" is answered with entry'
        f' "track" ({file}:2, score 100)'
    ]


def test_the_example_faq_is_clean() -> None:
    assert lint_faq(EXAMPLE_FAQ) == []
    assert lint_faq(EXAMPLE_FAQ, "de", MatchSettings(answer=60, suggest=40, margin=4)) == []
