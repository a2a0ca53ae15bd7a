"""Decide, for a customer question, between answering, suggesting and giving up."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from faq.match_index import MatchIndex
from faq.model import Entry, Faq

if TYPE_CHECKING:
    from faq.semantic import SemanticIndex

# Verdicts remembered per matcher: customers ask the same questions in the same words
# ("Where is my order?") far more often than not, and a verdict depends only on the text,
# the locale and the FAQ. Only short texts are kept, so the memory stays under a few MB.
REMEMBERED = 4096
REMEMBERED_LENGTH = 200


@dataclass(frozen=True)
class MatchSettings:
    """Scores are 0-100. `answer`: confident enough to reply; `suggest`: worth a
    "did you mean"; `margin`: how far the best must lead the runner-up to answer.

    These are fixed values; the bot derives its own from each FAQ it loads (see
    faq.calibrate), and the defaults here serve tests and the fallback for a FAQ with
    nothing to calibrate on.
    """

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
    or the close calls of a suggestion, best first, at most `max_suggestions`; `ranked`
    are the best entries whatever the decision (what a miss is recorded with)."""

    decision: Literal["answer", "suggest", "none"]
    entry: Entry | None
    score: float
    suggestions: tuple[Scored, ...]
    ranked: tuple[Scored, ...] = ()


class Matcher:
    """Matches questions against one FAQ; every locale's questions are phrasings of
    their entry, whatever the customer's locale. Matching is lexical: it crosses
    languages only through shared words ("PayPal"), and German questions against the
    example FAQ without its German phrasings got `none` 98% of the time, so an entry
    needs phrasings in each language its customers write. With semantic matching
    (faq.semantic) those German questions find their English entry first 95% of the
    time, and the thresholds, calibrated on combined scores, answer 43% of them
    (bench/faq_semantic.py)."""

    def __init__(
        self,
        faq: Faq,
        settings: MatchSettings,
        index: MatchIndex | None = None,
        semantic: SemanticIndex | None = None,
    ) -> None:
        """`index` and `semantic`, when given, must have been built from `phrasings(faq)`
        (see faq.reload, faq.semantic). With `semantic`, `rank` and `match` use the
        combined lexical and semantic scores; `rival` stays lexical."""
        self._settings = settings
        self._entries = faq.entries
        self._index = MatchIndex(phrasings(faq), len(faq.entries)) if index is None else index
        self._semantic = semantic
        self._remembered: dict[tuple[str, str | None], Match] = {}
        self._remembering = threading.Lock()  # large FAQs are matched in worker threads

    @property
    def index(self) -> MatchIndex:
        return self._index

    @property
    def settings(self) -> MatchSettings:
        """The thresholds in use (calibrated ones, see faq.calibrate, when the FAQ's
        store was given overrides)."""
        return self._settings

    @functools.cached_property
    def _by_locale(self) -> dict[str, frozenset[int]]:
        """The positions of the entries with questions in each locale (computed when
        first needed, so that taking over a new FAQ stays quick)."""
        by_locale: dict[str, set[int]] = {}
        for position, entry in enumerate(self._entries):
            for locale in entry.questions:
                by_locale.setdefault(locale, set()).add(position)
        return {locale: frozenset(found) for locale, found in by_locale.items()}

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        return {entry.id: position for position, entry in enumerate(self._entries)}

    def rank(self, text: str, limit: int, locale: str | None = None) -> list[Scored]:
        """The `limit` best-scoring entries, best first; entries scoring 0 are left out.

        Equal scores go to the entry that has questions in `locale`, then FAQ order.
        """
        preferred = self._by_locale.get(locale, frozenset()) if locale else frozenset()
        if self._semantic is None:
            ranked = self._index.top(text, limit, preferred)
        else:
            ranked = self._semantic.top(self._index, text, limit, preferred)
        return [Scored(self._entries[position], score) for position, score in ranked]

    def match(self, text: str, locale: str | None = None) -> Match:
        key = (text, locale)
        found = self._remembered.get(key)
        if found is not None:
            return found
        ranked = self.rank(text, self._settings.max_suggestions + 1, locale)
        found = decide(ranked, self._settings)
        if len(text) <= REMEMBERED_LENGTH:
            with self._remembering:
                if len(self._remembered) >= REMEMBERED:
                    del self._remembered[next(iter(self._remembered))]  # the oldest
                self._remembered[key] = found
        return found

    def answers(self, text: str, entry: Entry, locale: str | None = None) -> bool:
        """Whether `match(text, locale)` answers with `entry`.

        Meant for the entry's own questions, which score 100 for it: then only entries
        scoring within the margin of 100 could change the verdict, and the index finds
        those without looking at most entries. Otherwise this asks `match`.
        """
        settings = self._settings
        if self._semantic is not None:
            found = self.match(text, locale).entry
            return found is not None and found.id == entry.id
        preferred = self._by_locale.get(locale, frozenset()) if locale else frozenset()
        floor = 100.0 - settings.margin
        ranked = self._index.top(text, settings.max_suggestions + 1, preferred, floor=floor)
        position = self._positions[entry.id]
        if ranked and ranked[0] == (position, 100.0):
            threshold = settings.answer if entry.threshold is None else entry.threshold
            runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
            if threshold <= 100.0 and 100.0 - runner_up >= settings.margin:
                return True
        found = self.match(text, locale).entry
        return found is not None and found.id == entry.id

    def rival(self, text: str, entry: Entry) -> tuple[float, Scored | None]:
        """`entry`'s score for `text` and the best-scoring other entry, as ranking every
        entry (`rank(text, len(faq.entries))`) would give them, without the cost of that:
        0.0 for an entry that would not be listed, None when no other entry would be."""
        own, other = self._index.rival(text, self._positions[entry.id])
        return own, None if other is None else Scored(self._entries[other[0]], other[1])


def phrasings(faq: Faq) -> list[tuple[int, str]]:
    """(entry position, question) for every question of every locale, in FAQ order."""
    return [
        (position, question)
        for position, entry in enumerate(faq.entries)
        for _locale, question in entry.all_questions()
    ]


def decide(ranked: Sequence[Scored], settings: MatchSettings) -> Match:
    """The decision rule, given the best entries best first (at least max_suggestions + 1
    of them when there are that many): answer when the best reaches its threshold and
    leads the runner-up by the margin, suggest when it reaches `suggest`, else none."""
    if not ranked:
        return Match("none", None, 0.0, ())
    listed = tuple(ranked)
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    threshold = settings.answer if best.entry.threshold is None else best.entry.threshold
    if best.score >= threshold and best.score - runner_up >= settings.margin:
        runners = tuple(s for s in ranked[1:] if s.score >= settings.suggest)
        return Match("answer", best.entry, best.score, runners[: settings.max_suggestions], listed)
    if best.score >= settings.suggest:
        close = tuple(s for s in ranked if s.score >= settings.suggest)
        return Match("suggest", None, best.score, close[: settings.max_suggestions], listed)
    return Match("none", None, best.score, (), listed)
