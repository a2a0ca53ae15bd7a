"""Decide, for a customer question, between answering, suggesting and giving up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from faq.model import Entry, Faq
from faq.normalize import normalize


@dataclass(frozen=True)
class MatchSettings:
    """Scores are 0-100; `margin` is how far the best must lead the runner-up to answer."""

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
    decision: Literal["answer", "suggest", "none"]
    entry: Entry | None
    score: float
    suggestions: tuple[Scored, ...]


class Matcher:
    def __init__(self, faq: Faq, settings: MatchSettings) -> None:
        self._settings = settings
        self._entries = faq.entries
        self._texts: list[str] = []
        self._owner: list[int] = []
        for index, entry in enumerate(faq.entries):
            for _locale, question in entry.all_questions():
                text = normalize(question)
                if text:
                    self._texts.append(text)
                    self._owner.append(index)

    def rank(self, text: str, limit: int) -> list[Scored]:
        query = normalize(text)
        if not query or limit < 1:
            return []
        best: dict[int, float] = {}
        hits = process.extract(query, self._texts, scorer=fuzz.token_sort_ratio, limit=None)
        for _choice, score, position in hits:
            owner = self._owner[position]
            if score > best.get(owner, -1.0):
                best[owner] = float(score)
        order = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [Scored(self._entries[index], score) for index, score in order[:limit]]

    def match(self, text: str, locale: str | None = None) -> Match:
        settings = self._settings
        ranked = self.rank(text, settings.max_suggestions + 1)
        if not ranked:
            return Match("none", None, 0.0, ())
        best = ranked[0]
        second = ranked[1].score if len(ranked) > 1 else 0.0
        threshold = settings.answer if best.entry.threshold is None else best.entry.threshold
        if best.score >= threshold and best.score - second >= settings.margin:
            runners = tuple(s for s in ranked[1:] if s.score >= settings.suggest)
            return Match("answer", best.entry, best.score, runners[: settings.max_suggestions])
        if best.score >= settings.suggest:
            close = tuple(s for s in ranked if s.score >= settings.suggest)
            return Match("suggest", None, best.score, close[: settings.max_suggestions])
        return Match("none", None, best.score, ())
