from pathlib import Path

import pytest

from bot.language import detect, follow, score
from faq.loader import load_faq
from tests.bot.language_samples import SAMPLES

EXAMPLE_FAQ = Path(__file__).parents[2] / "examples" / "faq"


def _share_detected(language: str, lines: list[str]) -> tuple[float, float]:
    """(right, wrong) shares; the rest is undecided."""
    found = [detect(line) for line in lines]
    right = sum(1 for got in found if got == language) / len(lines)
    wrong = sum(1 for got in found if got not in (language, None)) / len(lines)
    return right, wrong


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_example_faq_questions(language: str) -> None:
    faq = load_faq(EXAMPLE_FAQ)
    lines = [q for entry in faq.entries for q in entry.questions[language]]
    assert len(lines) >= 150
    right, wrong = _share_detected(language, lines)
    assert right >= 0.95 and wrong == 0.0, (right, wrong)


@pytest.mark.parametrize("language", ["en", "de", "id"])
def test_hand_written_messages(language: str) -> None:
    right, wrong = _share_detected(language, list(SAMPLES[language]))
    assert right >= 0.95 and wrong == 0.0, (right, wrong)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rücksendung", "de"),  # an umlaut
        ("barangnya rusak", "id"),  # a clitic on a known word
        ("ok", None),
        ("PayPal?", None),
        ("admin", None),
        ("1234 5678", None),
        ("", None),
    ],
)
def test_spellings_and_words_that_say_nothing(text: str, expected: str | None) -> None:
    assert detect(text) == expected


def test_a_new_conversation_follows_any_evidence_a_settled_one_only_clear_evidence() -> None:
    assert follow("danke", "en", settled=False) == "de"
    assert follow("danke", "en", settled=True) == "en"
    assert follow("Wo ist meine Bestellung?", "en", settled=True) == "de"
    assert follow("ok", "de", settled=True) == "de"
    assert follow("PayPal?", "id", settled=False) == "id"
    assert score("Wo ist meine Bestellung?").de >= 3
