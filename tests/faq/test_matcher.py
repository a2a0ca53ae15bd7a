from dataclasses import replace
from typing import Any

import pytest

from faq.matcher import REMEMBERED_LENGTH, Matcher, MatchSettings
from faq.model import Entry, Faq


def entry(entry_id: str, en: tuple[str, ...], de: tuple[str, ...] = ()) -> Entry:
    questions = {"en": en, "de": de} if de else {"en": en}
    return Entry(id=entry_id, questions=questions, answer={"en": f"answer {entry_id}"})


ENTRIES = (
    entry(
        "reset_password",
        ("How do I reset my password?", "I forgot my password", "I need a new password"),
        ("Wie setze ich mein Passwort zurück?", "Ich habe mein Passwort vergessen"),
    ),
    entry(
        "opening_hours",
        ("When are you open?", "What are your opening hours?", "Are you open on Sunday?"),
        ("Wann habt ihr geöffnet?", "Was sind eure Öffnungszeiten?"),
    ),
    entry(
        "refund",
        ("How do I get a refund?", "I want my money back", "Can I return an item for a refund?"),
    ),
    entry(
        "shipping_time",
        ("How long does shipping take?", "When will my order arrive?", "Where is my package?"),
    ),
    entry(
        "cancel_subscription",
        ("How do I cancel my subscription?", "I want to end my membership"),
    ),
    entry(
        "change_email",
        ("How can I change my email address?", "Update the email on my account"),
    ),
    entry("card_lost", ("I lost my credit card", "My card is missing")),
    entry("card_stolen", ("My credit card was stolen", "Someone stole my card")),
    entry("human", ("I want to talk to a human", "Can I speak to an agent?")),
    entry("payment_methods", ("Which payment methods do you accept?", "Can I pay with PayPal?")),
)
FAQ = Faq(entries=ENTRIES)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(FAQ, MatchSettings())


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("are you open today", "opening_hours"),
        ("can i get my money back", "refund"),
        ("when does my order arrive", "shipping_time"),
        ("how can i cancel my membership", "cancel_subscription"),
        ("change my e-mail address", "change_email"),
        ("I want to talk to a person", "human"),
        ("where is my parcel", "shipping_time"),
        ("do you accept paypal", "payment_methods"),
        ("my credit card was stolen yesterday", "card_stolen"),
    ],
)
def test_paraphrases_are_answered(matcher: Matcher, question: str, expected: str) -> None:
    result = matcher.match(question)
    assert result.decision == "answer", result
    assert result.entry is not None
    assert result.entry.id == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how do i rest my pasword", "reset_password"),
        ("chnage my emial adress", "change_email"),
        ("cancle my subscripton", "cancel_subscription"),
    ],
)
def test_typos_are_tolerated(matcher: Matcher, question: str, expected: str) -> None:
    result = matcher.match(question)
    assert result.decision == "answer", result
    assert result.entry is not None
    assert result.entry.id == expected


def test_exact_question_scores_high(matcher: Matcher) -> None:
    result = matcher.match("I lost my credit card")
    assert result.decision == "answer"
    assert result.score == pytest.approx(100.0)


def test_new_words_make_a_suggestion_not_an_answer(matcher: Matcher) -> None:
    result = matcher.match("what time do you open on saturday")
    assert result.decision == "suggest"
    assert result.entry is None
    assert result.suggestions[0].entry.id == "opening_hours"


def test_ambiguous_question_suggests_the_close_entries(matcher: Matcher) -> None:
    result = matcher.match("card")
    assert result.decision == "suggest"
    assert result.entry is None
    assert {s.entry.id for s in result.suggestions[:2]} == {"card_lost", "card_stolen"}
    assert all(s.score >= MatchSettings().suggest for s in result.suggestions)
    assert result.score == result.suggestions[0].score


@pytest.mark.parametrize(
    "question", ["what is the capital of france", "recommend a good pizza recipe"]
)
def test_unrelated_question_gets_none(matcher: Matcher, question: str) -> None:
    result = matcher.match(question)
    assert result.decision == "none"
    assert result.entry is None
    assert result.suggestions == ()
    assert result.score < MatchSettings().suggest


@pytest.mark.parametrize("question", ["", "   ", "?!...", "\n\t", "👍"])
def test_empty_input_gets_none(matcher: Matcher, question: str) -> None:
    result = matcher.match(question)
    assert (result.decision, result.entry, result.score, result.suggestions) == (
        "none",
        None,
        0.0,
        (),
    )
    assert matcher.rank(question, 5) == []


def test_empty_faq_matches_nothing() -> None:
    result = Matcher(Faq(), MatchSettings()).match("reset my password")
    assert result.decision == "none"


def test_margin_turns_an_answer_into_a_suggestion() -> None:
    question = "my credit card is gone"
    first, second = Matcher(FAQ, MatchSettings()).rank(question, 2)
    lead = first.score - second.score
    assert lead > 0
    loose = MatchSettings(answer=0.0, suggest=0.0, margin=lead - 0.01)
    strict = MatchSettings(answer=0.0, suggest=0.0, margin=lead + 0.01)
    answered = Matcher(FAQ, loose).match(question)
    assert answered.decision == "answer"
    assert answered.entry == first.entry
    suggested = Matcher(FAQ, strict).match(question)
    assert suggested.decision == "suggest"
    assert [s.entry for s in suggested.suggestions[:2]] == [first.entry, second.entry]


def test_answer_lists_runners_up_without_the_answer(matcher: Matcher) -> None:
    settings = MatchSettings(answer=50.0, suggest=1.0, margin=0.0, max_suggestions=2)
    result = Matcher(FAQ, settings).match("I lost my credit card")
    assert result.decision == "answer"
    assert result.entry is not None
    assert result.entry.id == "card_lost"
    assert 0 < len(result.suggestions) <= 2
    assert result.entry not in [s.entry for s in result.suggestions]
    assert result.suggestions[0].entry.id == "card_stolen"
    scores = [s.score for s in result.suggestions]
    assert scores == sorted(scores, reverse=True)
    assert all(score < result.score for score in scores)


def test_suggestions_are_capped(matcher: Matcher) -> None:
    settings = MatchSettings(answer=100.0, suggest=0.1, margin=0.0, max_suggestions=2)
    result = Matcher(FAQ, settings).match("how do i change my password or email")
    assert result.decision == "suggest"
    assert len(result.suggestions) == 2


def test_entry_threshold_overrides_the_answer_threshold() -> None:
    question = "can i get my money back"
    assert Matcher(FAQ, MatchSettings()).match(question).decision == "answer"
    strict_entries = tuple(replace(e, threshold=99.0) if e.id == "refund" else e for e in ENTRIES)
    strict = Matcher(Faq(entries=strict_entries), MatchSettings()).match(question)
    assert strict.decision == "suggest"
    assert strict.suggestions[0].entry.id == "refund"

    weak_question = "sunday"
    assert Matcher(FAQ, MatchSettings()).match(weak_question).decision != "answer"
    lenient_entries = tuple(
        replace(e, threshold=5.0) if e.id == "opening_hours" else e for e in ENTRIES
    )
    lenient = Matcher(Faq(entries=lenient_entries), MatchSettings()).match(weak_question)
    assert lenient.decision == "answer"
    assert lenient.entry is not None
    assert lenient.entry.id == "opening_hours"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Ich habe mein Passwort vergessen, was jetzt?", "reset_password"),
        ("Wann habt ihr heute geöffnet?", "opening_hours"),
        ("Was sind eure Öffnungszeiten", "opening_hours"),
    ],
)
def test_german_questions_match(matcher: Matcher, question: str, expected: str) -> None:
    result = matcher.match(question, locale="de")
    assert result.decision == "answer", result
    assert result.entry is not None
    assert result.entry.id == expected


def test_other_languages_still_match_whatever_the_locale(matcher: Matcher) -> None:
    german_user_english_text = matcher.match("How do I get a refund?", locale="de")
    assert german_user_english_text.entry is not None
    assert german_user_english_text.entry.id == "refund"
    english_user_german_text = matcher.match("Wie setze ich mein Passwort zurück?", locale="en")
    assert english_user_german_text.entry is not None
    assert english_user_german_text.entry.id == "reset_password"


def test_german_question_finds_an_english_only_entry(matcher: Matcher) -> None:
    question = "Kann ich mit PayPal bezahlen?"
    assert matcher.match(question, locale="de").decision != "none"
    assert matcher.rank(question, 1, locale="de")[0].entry.id == "payment_methods"


def test_locale_breaks_ties() -> None:
    english = Entry(id="en", questions={"en": ("delete my data",)}, answer={"en": "a"})
    german = Entry(id="de", questions={"de": ("delete my data",)}, answer={"de": "b"})
    matcher = Matcher(Faq(entries=(english, german)), MatchSettings())
    for locale in ("en", "de"):
        first, second = matcher.rank("delete my data", 2, locale=locale)
        assert first.score == second.score
        assert first.entry.id == locale
    assert matcher.rank("delete my data", 2)[0].entry.id == "en"


def test_rank_orders_best_first_and_respects_the_limit(matcher: Matcher) -> None:
    ranked = matcher.rank("my credit card", 10)
    assert 2 <= len(ranked) <= 10
    assert {s.entry.id for s in ranked[:2]} == {"card_lost", "card_stolen"}
    scores = [s.score for s in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < score <= 100.0 for score in scores)
    assert matcher.rank("my credit card", 1) == ranked[:1]
    assert matcher.rank("my credit card", 0) == []


def test_rank_agrees_with_match(matcher: Matcher) -> None:
    question = "where is my package"
    best = matcher.rank(question, 1)[0]
    result = matcher.match(question)
    assert result.entry == best.entry
    assert result.score == best.score


def test_words_the_faq_lacks_lower_the_score_but_numbers_do_not(matcher: Matcher) -> None:
    plain = matcher.match("where is my package").score
    with_number = matcher.match("where is my package 4711").score
    with_unknown_word = matcher.match("where is my package zeppelin").score
    assert with_unknown_word < with_number < plain


def test_spelling_tells_word_orders_apart() -> None:
    track = Entry(id="track", questions={"en": ("parcel tracking",)}, answer={"en": "a"})
    status = Entry(id="status", questions={"en": ("tracking parcel",)}, answer={"en": "b"})
    matcher = Matcher(Faq(entries=(track, status)), MatchSettings())
    first, second = matcher.rank("tracking of a parcel", 2)
    assert first.entry.id == "status"
    assert first.score > second.score
    first, second = matcher.rank("parcel tracking please", 2)
    assert first.entry.id == "track"
    assert first.score > second.score


def counting_ranks(matcher: Matcher, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the matcher's index ranks from now on."""
    ranked: list[str] = []
    top = matcher.index.top

    def counted(text: str, *args: Any, **kwargs: Any) -> list[tuple[int, float]]:
        ranked.append(text)
        return top(text, *args, **kwargs)

    monkeypatch.setattr(matcher.index, "top", counted)
    return ranked


def test_a_question_asked_again_gets_the_same_verdict_without_ranking_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh = Matcher(FAQ, MatchSettings())
    ranked = counting_ranks(fresh, monkeypatch)

    first = fresh.match("where is my parcel", "en")
    again = fresh.match("where is my parcel", "en")
    other_locale = fresh.match("where is my parcel", "de")

    assert first.entry is not None and first.entry.id == "shipping_time"
    assert again == first
    assert other_locale.entry == first.entry
    assert ranked == ["where is my parcel", "where is my parcel"]  # once per locale


def test_long_texts_are_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = Matcher(FAQ, MatchSettings())
    ranked = counting_ranks(fresh, monkeypatch)
    long_text = "where is my parcel " * (REMEMBERED_LENGTH // 10)

    fresh.match(long_text)
    fresh.match(long_text)

    assert len(ranked) == 2


def test_the_oldest_verdict_is_forgotten_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("faq.matcher.REMEMBERED", 2)
    fresh = Matcher(FAQ, MatchSettings())
    ranked = counting_ranks(fresh, monkeypatch)

    for text in ("refund", "parcel", "paypal", "parcel", "refund"):
        fresh.match(text)

    assert ranked == ["refund", "parcel", "paypal", "refund"]
