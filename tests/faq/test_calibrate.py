from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from faq.calibrate import WRONG, Overrides, calibrate, calibrated, resolve
from faq.calibrate_data import out_of_scope
from faq.loader import load_faq
from faq.match_index import MatchIndex
from faq.matcher import Matcher, MatchSettings, phrasings
from faq.model import Entry, Faq
from faq.reload import load_elsewhere
from faq.store import FaqStore

GERMAN = Path(__file__).parent / "fixtures" / "de_shop.yaml"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "faq"

# New questions, none of them a phrasing of the FAQ: (question, entry that answers it).
GERMAN_CUSTOMERS = [
    ("Wie lange braucht die Lieferung nach Wien?", "lieferzeit"),
    ("Mein Paket ist nicht da, wo ist es?", "sendungsverfolgung"),
    ("Passwort vergessen, was tun?", "passwort"),
    ("Ich will meine Bestellung stornieren", "bestellung-aendern"),
]
# A topic the FAQ does not cover, in its domain, and one from elsewhere.
GERMAN_UNRELATED = ["Habt ihr einen Laden in München?", "Wie wird das Wetter morgen?"]


@pytest.fixture(scope="module")
def german() -> Faq:
    return load_faq(GERMAN, "de")


def test_the_shipped_out_of_scope_questions_cover_three_languages() -> None:
    questions = out_of_scope()
    assert {language: len(texts) for language, texts in questions.items()} == {
        "en": 200,
        "de": 50,
        "id": 50,
    }
    for texts in questions.values():
        assert len(set(texts)) == len(texts)
        assert all(text.strip() == text and text for text in texts)


def test_a_small_german_faq_answers_its_customers_where_the_defaults_would_not(
    german: Faq,
) -> None:
    calibration = calibrate(german)
    calibrated = Matcher(german, calibration.settings)
    fixed = Matcher(german, MatchSettings())
    for question, entry_id in GERMAN_CUSTOMERS:
        match = calibrated.match(question)
        assert (match.decision, match.entry and match.entry.id) == ("answer", entry_id), question
        assert fixed.match(question).decision != "answer", question
    for question in GERMAN_UNRELATED:
        assert calibrated.match(question).decision == "none", question


def test_the_expected_shares_describe_the_held_out_phrasings(german: Faq) -> None:
    calibration = calibrate(german)
    settings = calibration.settings
    assert calibration.samples >= 30
    assert calibration.answered + calibration.suggested + calibration.none == pytest.approx(1.0)
    assert 0.0 <= calibration.answered - calibration.right <= WRONG
    assert calibration.right > 0.5
    assert 0.0 < settings.suggest < 100.0
    assert 0.0 < settings.answer < MatchSettings().answer


def test_the_same_faq_always_gets_the_same_thresholds(german: Faq) -> None:
    assert calibrate(german) == calibrate(load_faq(GERMAN, "de"))


def test_configured_thresholds_override_the_calibrated_ones(german: Faq) -> None:
    free = calibrate(german).settings
    fixed = calibrate(german, Overrides(answer=70.0, margin=2.0, max_suggestions=2)).settings
    assert (fixed.answer, fixed.margin, fixed.max_suggestions) == (70.0, 2.0, 2)
    assert fixed.suggest == free.suggest
    high_suggest = calibrate(german, Overrides(suggest=50.0)).settings
    assert high_suggest.suggest == 50.0
    assert high_suggest.answer >= 50.0


def test_a_faq_with_too_few_phrasings_keeps_the_default_answer_and_margin() -> None:
    entries = tuple(
        Entry(id=name, questions={"en": (question,)}, answer={"en": "."})
        for name, question in [
            ("shipping", "How long does shipping take?"),
            ("payment", "Can I pay with PayPal?"),
            ("password", "How do I reset my password?"),
        ]
    )
    calibration = calibrate(Faq(entries=entries))
    default = MatchSettings()
    assert (calibration.settings.answer, calibration.settings.margin) == (
        default.answer,
        default.margin,
    )
    assert calibration.samples == 0
    assert calibration.settings.suggest != default.suggest
    assert calibrate(Faq()).settings == default


def test_fixed_settings_are_used_as_they_are(german: Faq) -> None:
    fixed = MatchSettings(answer=80.0, suggest=50.0, margin=7.0, max_suggestions=5)
    assert resolve(fixed, german) is fixed
    assert resolve(Overrides(), german) == calibrate(german).settings


def test_the_example_shop_faq_is_calibrated() -> None:
    faq = load_faq(EXAMPLE, "en")
    calibration = calibrate(faq)
    assert calibration.samples > 100
    assert calibration.answered - calibration.right <= WRONG
    matcher = Matcher(faq, calibration.settings)
    for question in ["what is the capital of peru", "tell me a joke", "wie wird das wetter"]:
        assert matcher.match(question).decision == "none", question


async def test_the_store_calibrates_each_faq_it_loads(tmp_path: Path) -> None:
    file = tmp_path / "faq.yaml"
    file.write_text(GERMAN.read_text(encoding="utf-8"), encoding="utf-8")
    store = FaqStore(file, Overrides(), default_locale="de")
    assert store.matcher.settings == calibrate(load_faq(file, "de")).settings

    text = GERMAN.read_text(encoding="utf-8")
    file.write_text(text[: text.index("  - id: groessen")], encoding="utf-8")
    assert await store.reload_elsewhere() is True
    shorter = load_faq(file, "de")
    assert len(store.faq.entries) == 8
    assert store.matcher.settings == calibrate(shorter).settings

    kept = FaqStore(file, Overrides(answer=90.0), default_locale="de")
    file.write_text(text, encoding="utf-8")
    assert await kept.reload_elsewhere() is True
    assert kept.matcher.settings.answer == 90.0
    assert kept.matcher.settings == calibrate(load_faq(file, "de"), Overrides(answer=90.0)).settings


async def test_the_reload_child_calibrates_the_faq_it_loads(tmp_path: Path) -> None:
    file = tmp_path / "faq.yaml"
    file.write_text(GERMAN.read_text(encoding="utf-8"), encoding="utf-8")
    loaded = await load_elsewhere(file, "de", Overrides(margin=7.0))
    assert loaded.settings == calibrate(load_faq(file, "de"), Overrides(margin=7.0)).settings
    assert loaded.settings is not None and loaded.settings.margin == 7.0
    assert (await load_elsewhere(file, "de")).settings is None


class Recording:
    """A ranker factory (faq.calibrate.RankerFactory): the lexical index, recording
    the phrasings of each ranker it builds and the questions each is asked."""

    def __init__(self) -> None:
        self.folds: list[tuple[set[str], list[str]]] = []

    def __call__(self, pairs: Sequence[tuple[int, str]], count: int) -> Recording.Asked:
        self.folds.append(({text for _place, text in pairs}, []))
        return Recording.Asked(MatchIndex(pairs, count), self.folds[-1][1])

    class Asked:
        def __init__(self, index: MatchIndex, asked: list[str]) -> None:
            self.index = index
            self.asked = asked

        def top(self, text: str, limit: int) -> list[tuple[int, float]]:
            self.asked.append(text)
            return self.index.top(text, limit)


def test_calibration_ranks_with_the_ranker_it_is_given(german: Faq) -> None:
    recording = Recording()
    assert calibrate(german, ranker=recording) == calibrate(german)
    *folds, (whole, foreign) = recording.folds
    assert whole == {text for _place, text in phrasings(german)}
    assert foreign == [text for texts in out_of_scope().values() for text in texts]
    assert len(folds) >= 2
    for known, asked in folds:
        assert asked and not known & set(asked)


def test_calibrated_builds_the_whole_faq_s_index_once_and_calibrates_as_calibrate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    faq = load_faq(EXAMPLE, "en")
    whole = phrasings(faq)
    builds: list[int] = []

    class Counted(MatchIndex):
        def __init__(self, pairs: Sequence[tuple[int, str]], count: int) -> None:
            builds.append(len(pairs))
            super().__init__(pairs, count)

    monkeypatch.setattr("faq.calibrate.MatchIndex", Counted)
    matcher, calibration = calibrated(faq, Overrides())

    assert builds.count(len(whole)) == 1
    assert all(size < len(whole) for size in builds[:-1])  # the folds first, then the FAQ's
    assert isinstance(matcher.index, Counted)
    assert matcher.settings == calibration.settings == calibrate(faq, Overrides()).settings
