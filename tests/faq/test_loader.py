from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from faq.loader import MAX_ID_LENGTH, FaqError, Problem, load_faq


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path, default_locale: str = "en") -> list[str]:
    with pytest.raises(FaqError) as caught:
        load_faq(path, default_locale)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(problem) for problem in caught.value.problems]


def test_list_form_is_stored_under_the_default_locale(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: reset-password
            questions: [How do I reset my password?, I forgot my password]
            answer: Open Settings > Security > Reset password.
            tags: [account]
            threshold: 75
          - id: yes-no
            questions:
              - yes
              - 404
            answer: |
              Two lines,
              kept as written.
        """,
    )
    faq = load_faq(file)
    first, second = faq.entries
    assert first.id == "reset-password"
    assert first.questions == {"en": ("How do I reset my password?", "I forgot my password")}
    assert first.answer == {"en": "Open Settings > Security > Reset password."}
    assert first.tags == ("account",)
    assert first.threshold == 75.0
    assert first.source == f"{file}:2"
    assert second.questions == {"en": ("yes", "404")}
    assert second.answer == {"en": "Two lines,\nkept as written."}
    assert second.threshold is None
    assert second.source == f"{file}:7"
    assert load_faq(file, default_locale="de").entries[0].answer == {
        "de": "Open Settings > Security > Reset password."
    }


def test_map_form_keeps_every_locale(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: shipping
            questions:
              en: [How long does shipping take?]
              de: [Wie lange dauert der Versand?, Wann kommt mein Paket?]
              pt-BR: [Quanto tempo demora a entrega?]
            answer:
              en: Two days.
              de: Zwei Tage.
        """,
    )
    (entry,) = load_faq(file).entries
    assert entry.questions == {
        "en": ("How long does shipping take?",),
        "de": ("Wie lange dauert der Versand?", "Wann kommt mein Paket?"),
        "pt-BR": ("Quanto tempo demora a entrega?",),
    }
    assert entry.answer == {"en": "Two days.", "de": "Zwei Tage."}
    assert entry.answer_for("pt-BR", "en") == "Two days."


def test_a_folder_loads_yaml_and_yml_files_recursively_in_sorted_order(tmp_path: Path) -> None:
    entry = "entries:\n  - {{id: {0}, questions: [{0} question], answer: {0} answer}}\n"
    write(tmp_path / "b.yaml", entry.format("bee"))
    write(tmp_path / "a.yml", entry.format("ant"))
    write(tmp_path / "sub" / "c.yaml", entry.format("cat"))
    write(tmp_path / "notes.txt", "not a FAQ file")
    write(tmp_path / ".hidden" / "d.yaml", "broken: [")
    write(tmp_path / ".e.yaml", "broken: [")
    faq = load_faq(tmp_path)
    assert [e.id for e in faq.entries] == ["ant", "bee", "cat"]
    assert faq.entries[2].source == f"{tmp_path / 'sub' / 'c.yaml'}:2"


def test_unknown_keys_are_errors_with_a_hint(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: reset-password
            questons: [How do I reset my password?]
            answer: Settings.
            colour: blue
        """,
    )
    assert problems_of(file) == [
        f'{file}:3: entry "reset-password": unknown key "questons" (did you mean "questions"?)',
        f'{file}:5: entry "reset-password": unknown key "colour"'
        " (expected: id, questions, answer, tags, threshold)",
        f'{file}:2: entry "reset-password": questions is missing',
    ]


def test_empty_answer_names_file_line_and_entry(tmp_path: Path) -> None:
    file = write(
        tmp_path / "shop.yaml",
        """
        entries:
          - id: ok
            questions: [Fine?]
            answer: Fine.
          - id: reset-password
            questions: [How do I reset my password?]
            answer:
          - id: blank-german
            questions: {en: [Hello?], de: [Hallo?]}
            answer: {en: Hi., de: "  "}
        """,
    )
    assert problems_of(file) == [
        f'{file}:7: entry "reset-password": answer is empty',
        f'{file}:10: entry "blank-german": answer (de) is empty',
    ]


def test_questions_must_be_a_non_empty_list_of_texts(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: a
            questions: Just one string
            answer: A.
          - id: b
            questions: []
            answer: B.
          - id: c
            questions:
              - Fine?
              -
              - [nested]
            answer: C.
        """,
    )
    assert problems_of(file) == [
        f'{file}:3: entry "a": questions must be a list of texts',
        f'{file}:6: entry "b": questions is empty',
        f'{file}:11: entry "c": questions #2 is empty',
        f'{file}:12: entry "c": questions #3 must be a text',
    ]


def test_ids_thresholds_locales_and_repeated_keys_are_checked(tmp_path: Path) -> None:
    long_id = "x" * (MAX_ID_LENGTH + 1)
    file = write(
        tmp_path / "faq.yaml",
        f"""
        entries:
          - id: has space
            questions: [A?]
            answer: A.
          - id: {long_id}
            questions: [B?]
            answer: B.
          - questions: [C?]
            answer: C.
          - id: d
            questions: {{english: [D?]}}
            answer: D.
            threshold: 101
          - id: e
            questions: [E?]
            answer: E.
            answer: Again.
            threshold: high
          - just a string
        """,
    )
    assert problems_of(file) == [
        f'{file}:2: entry #1: id "has space" may only use letters, digits, ".", "_" and "-"'
        " (and must start with a letter or digit)",
        f'{file}:5: entry #2: id "{long_id}" is longer than {MAX_ID_LENGTH} characters',
        f"{file}:8: entry #3: id is missing",
        f'{file}:11: entry "d": questions: "english" is not a locale code (like en, de or pt-BR)',
        f'{file}:13: entry "d": threshold must be a number from 0 to 100',
        f'{file}:17: entry "e": key "answer" is given twice',
        f'{file}:18: entry "e": threshold must be a number from 0 to 100',
        f"{file}:19: entry #6: must be a mapping with id, questions and answer",
    ]


def test_bad_yaml_reports_the_line(tmp_path: Path) -> None:
    file = write(
        tmp_path / "faq.yaml",
        """
        entries:
          - id: a
            questions: [A?
            answer: A.
          - id: b
        """,
    )
    assert problems_of(file) == [
        f"{file}:4: not valid YAML: did not find expected ',' or ']'"
        " (while parsing a flow sequence from line 3)"
    ]


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    one = write(tmp_path / "one.yaml", "entries:\n  - {id: same, questions: [A?], answer: A.}\n")
    two = write(
        tmp_path / "two.yaml",
        "entries:\n  - {id: other, questions: [B?], answer: B.}\n"
        "  - {id: same, questions: [C?], answer: C.}\n",
    )
    assert problems_of(tmp_path) == [
        f'{two}:3: entry "same": duplicate id, first defined at {one}:2'
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- id: a\n", ":1: the top level must be a mapping with an `entries` list"),
        ("just text\n", ":1: the top level must be a mapping with an `entries` list"),
        ("faq:\n  - id: a\n", ':1: unknown key "faq" (expected: entries, small_talk)'),
        ("entries: {id: a}\n", ":1: `entries` must be a list"),
        ("# nothing yet\n", ":1: the file is empty; expected a mapping with `entries`"),
    ],
)
def test_top_level_shape_is_checked(tmp_path: Path, text: str, expected: str) -> None:
    file = write(tmp_path / "faq.yaml", text)
    assert problems_of(file)[0] == f"{file}{expected}"


def test_missing_entries_is_an_error(tmp_path: Path) -> None:
    file = write(tmp_path / "faq.yaml", "# the entries key is missing\nother: 1\n")
    assert problems_of(file) == [
        f'{file}:2: unknown key "other" (expected: entries, small_talk)',
        f"{file}:2: missing `entries` (the list of FAQ entries)",
    ]


def test_problems_from_every_file_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "entries:\n  - {id: a, questions: [A?], answer: ''}\n")
    write(tmp_path / "b.yaml", "entries: [")
    (tmp_path / "c.yaml").write_bytes(b"entries: [\xff]\n")
    problems = problems_of(tmp_path)
    assert [p.split(":")[0] for p in problems] == [
        str(tmp_path / name) for name in ("a.yaml", "b.yaml", "c.yaml")
    ]
    assert problems[2] == f"{tmp_path / 'c.yaml'}: not UTF-8 text (byte 10)"


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope.yaml") == [
        f"{tmp_path / 'nope.yaml'}: no such file or folder"
    ]
    assert problems_of(tmp_path) == [f"{tmp_path}: no .yaml or .yml files in this folder"]


def test_an_empty_entries_list_loads(tmp_path: Path) -> None:
    file = write(tmp_path / "faq.yaml", "entries: []\n")
    assert load_faq(file).entries == ()


def test_the_error_lists_every_problem_one_per_line() -> None:
    problems = [Problem("a.yaml:3", "answer is empty"), Problem("b.yaml", "cannot read")]
    error = FaqError(problems)
    assert error.problems == problems
    assert str(error) == "a.yaml:3: answer is empty\nb.yaml: cannot read"


def test_the_example_faq_loads_with_english_and_german_everywhere() -> None:
    faq = load_faq(Path(__file__).parents[2] / "examples" / "faq")
    assert len(faq.entries) >= 30
    for entry in faq.entries:
        assert set(entry.questions) == {"en", "de"}, entry.id
        assert set(entry.answer) == {"en", "de"}, entry.id
        assert all(3 <= len(questions) <= 6 for questions in entry.questions.values()), entry.id
