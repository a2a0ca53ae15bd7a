"""Decide, for a customer question, between answering, suggesting and giving up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from faq.match_index import MatchIndex
from faq.model import Entry, Faq


@dataclass(frozen=True)
class MatchSettings:
    """Scores are 0-100. `answer`: confident enough to reply; `suggest`: worth a
    "did you mean"; `margin`: how far the best must lead the runner-up to answer."""

    answer: float = 60.0
    suggest: float = 40.0
    margin: float = 4.0
    max_suggestions: int = 3


@dataclass(frozen=True)
class Scored:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Match:
    """`entry` is set only for "answer"; `suggestions` are the runners-up of an answer
    or the close calls of a suggestion, best first, at most `max_suggestions`."""

    decision: Literal["answer", "suggest", "none"]
    entry: Entry | None
    score: float
    suggestions: tuple[Scored, ...]


class Matcher:
    """Matches questions against one FAQ; every locale's questions are phrasings of
    their entry, so a German question finds an entry written in English too."""

    def __init__(self, faq: Faq, settings: MatchSettings) -> None:
        self._settings = settings
        self._entries = faq.entries
        phrasings = [
            (position, question)
            for position, entry in enumerate(faq.entries)
            for _locale, question in entry.all_questions()
        ]
        self._index = MatchIndex(phrasings, len(faq.entries))
        by_locale: dict[str, set[int]] = {}
        for position, entry in enumerate(faq.entries):
            for locale in entry.questions:
                by_locale.setdefault(locale, set()).add(position)
        self._by_locale = {locale: frozenset(found) for locale, found in by_locale.items()}

    def rank(self, text: str, limit: int, locale: str | None = None) -> list[Scored]:
        """The `limit` best-scoring entries, best first; entries scoring 0 are left out.

        Equal scores go to the entry that has questions in `locale`, then FAQ order.
        """
        preferred = self._by_locale.get(locale, frozenset()) if locale else frozenset()
        return [
            Scored(self._entries[position], score)
            for position, score in self._index.top(text, limit, preferred)
        ]

    def match(self, text: str, locale: str | None = None) -> Match:
        ranked = self.rank(text, self._settings.max_suggestions + 1, locale)
        return decide(ranked, self._settings)


def decide(ranked: Sequence[Scored], settings: MatchSettings) -> Match:
    """The decision rule, given the best entries best first (at least max_suggestions + 1
    of them when there are that many): answer when the best reaches its threshold and
    leads the runner-up by the margin, suggest when it reaches `suggest`, else none."""
    if not ranked:
        return Match("none", None, 0.0, ())
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    threshold = settings.answer if best.entry.threshold is None else best.entry.threshold
    if best.score >= threshold and best.score - runner_up >= settings.margin:
        runners = tuple(s for s in ranked[1:] if s.score >= settings.suggest)
        return Match("answer", best.entry, best.score, runners[: settings.max_suggestions])
    if best.score >= settings.suggest:
        close = tuple(s for s in ranked if s.score >= settings.suggest)
        return Match("suggest", None, best.score, close[: settings.max_suggestions])
    return Match("none", None, best.score, ())
