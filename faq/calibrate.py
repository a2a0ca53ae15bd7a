"""Answer, suggest and margin thresholds derived from the FAQ itself.

Thresholds chosen for one FAQ do not carry over to another: a small FAQ, or one in
German, scores its right answers lower than CLINC150's 150 English entries do. So
when an FAQ is loaded, its thresholds are chosen from three samples of what it will
be asked, each scored by the real matcher:

* held out (in scope): in each of a few folds, one phrasing of each entry is left
  out of the index and matched against the rest. Answered with its own entry, it is
  a right answer; with another, a wrong one;
* left out (same domain): in each fold a few whole entries are left out, and their
  phrasings matched against the remaining entries stand for a question on a topic
  the FAQ does not cover but whose words it shares. Any answer to one is wrong;
* out of scope: generic unrelated questions in English, German and Indonesian,
  shipped in faq/data (see its README), matched against the whole FAQ.

"The matcher" is whatever ranks the bot's questions: the lexical index by default,
the combined lexical and semantic ranking (faq.semantic.Rankers) when matching is
semantic, as its scores sit differently (thresholds calibrated on lexical scores
left 25% of out-of-scope questions with an answer or a suggestion there).

The answer threshold and margin maximize the right answers among the held-out
phrasings, subject to limits on wrong answers (`WRONG`), answered left-out questions
(`SAME_DOMAIN`) and answered out-of-scope questions of each language
(`OUT_OF_SCOPE`); the limits are the product's targets, not tuned on any test set.
The suggest threshold leaves `NONE_SHARE` of each language's out-of-scope questions
without a "did you mean": above the 85-90% the product asks for, as two samples of
unrelated questions disagree a lot (CLINC150's oos_test scores higher than the
oos_train and oos_val shipped here). Folds and samples are fixed, so a load of the same FAQ
always gives the same thresholds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from faq.calibrate_data import out_of_scope
from faq.match_arrays import Floats
from faq.match_index import MatchIndex, Scored
from faq.matcher import Matcher, MatchSettings, phrasings
from faq.model import Faq

WRONG = 0.03
SAME_DOMAIN = 0.10
OUT_OF_SCOPE = 0.05
NONE_SHARE = 0.93
# Fewer held-out phrasings than this say too little: the answer threshold and margin
# keep MatchSettings' defaults (a FAQ of a few entries with a question or two each).
MIN_HELD_OUT = 10
_FOLDS = 5
_MIN_FOLDS = 2
_FOLD_PHRASINGS = 2500
# Caps that keep a load quick on a large FAQ: held-out phrasings per fold, and whole
# entries left out over all folds.
_HELD_PER_FOLD = 100
_LEFT_OUT_ENTRIES = 50
_LEFT_OUT_PHRASINGS = 5
_ANSWERS = np.arange(0.0, 100.5, 0.5)
_MARGINS = np.arange(0.0, 30.5, 0.5)
_SEED = 13


class Ranker(Protocol):
    """Ranks the entries of (part of) an FAQ for a question, as MatchIndex.top does:
    the `limit` best (entry position, score 0-100) pairs, best first, score > 0."""

    def top(self, text: str, limit: int) -> list[Scored]: ...


# Builds the ranker of some phrasings: (entry position, text) pairs of `count` entries.
RankerFactory = Callable[[Sequence[tuple[int, str]], int], Ranker]
R = TypeVar("R", bound=Ranker)


@dataclass(frozen=True)
class Overrides:
    """Thresholds the configuration fixes; the ones left None are calibrated."""

    answer: float | None = None
    suggest: float | None = None
    margin: float | None = None
    max_suggestions: int = 3


@dataclass(frozen=True)
class Calibration:
    """The chosen settings and how they decide the held-out phrasings (shares 0-1):
    `answered` (`right` of them with their own entry), `suggested`, `none`. `samples`
    counts the held-out phrasings; with fewer than MIN_HELD_OUT the answer threshold
    and margin fall back to MatchSettings' defaults."""

    settings: MatchSettings
    answered: float
    right: float
    suggested: float
    none: float
    samples: int


@dataclass(frozen=True)
class _Scores:
    """Best and runner-up score of each query, and whether the best was right."""

    best: Floats
    runner_up: Floats
    right: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[tuple[float, float, bool]]) -> _Scores:
        return cls(
            np.array([r[0] for r in rows], dtype=np.float64),
            np.array([r[1] for r in rows], dtype=np.float64),
            np.array([r[2] for r in rows], dtype=bool),
        )

    def answered(self, answers: Floats, margin: float) -> np.ndarray:
        """For each answer threshold (columns), which queries (rows) get an answer."""
        lead = (self.best - self.runner_up) >= margin
        result: np.ndarray = (self.best[:, None] >= answers[None, :]) & lead[:, None]
        return result


def resolve(
    settings: MatchSettings | Overrides,
    faq: Faq,
    index: Ranker | None = None,
    ranker: RankerFactory = MatchIndex,
) -> MatchSettings:
    """`settings` as they are, or the calibration's for `faq` with the overrides kept
    (`index` and `ranker` as for `calibrate`)."""
    if isinstance(settings, MatchSettings):
        return settings
    return calibrate(faq, settings, index, ranker).settings


def calibrate(
    faq: Faq,
    overrides: Overrides | None = None,
    index: Ranker | None = None,
    ranker: RankerFactory = MatchIndex,
) -> Calibration:
    """Thresholds for `faq` as the module docstring describes, `overrides` kept.

    `ranker` builds the matcher's ranking of some of the FAQ's phrasings (one per
    fold); `index`, when given, is the whole FAQ's, as `ranker(phrasings(faq), ...)`
    would build it (see faq.matcher.Matcher), and spares that build.
    """

    def whole() -> Ranker:
        return ranker(phrasings(faq), len(faq.entries)) if index is None else index

    return _calibrate(faq, overrides or Overrides(), whole, ranker)[0]


def calibrated(faq: Faq, overrides: Overrides) -> tuple[Matcher, Calibration]:
    """`faq`'s matcher, its thresholds calibrated with `overrides` kept. The FAQ's index
    serves both, built once, after the folds' (so only one index is held at a time)."""

    def whole() -> MatchIndex:
        return MatchIndex(phrasings(faq), len(faq.entries))

    calibration, index = _calibrate(faq, overrides, whole, MatchIndex)
    return Matcher(faq, calibration.settings, index or whole()), calibration


def _calibrate(
    faq: Faq, fixed: Overrides, whole: Callable[[], R], ranker: RankerFactory
) -> tuple[Calibration, R | None]:
    """The calibration, and the whole FAQ's ranker `whole()` gave it (None: it needed
    none, the FAQ being empty)."""
    if not faq.entries:
        return _fallback(fixed), None
    order = _order(len(faq.entries))
    held, left_out = _samples(faq, order, ranker)
    full = whole()
    foreign = [
        _Scores.of([(*_top2(full, text)[:2], False) for text in texts])
        for texts in out_of_scope().values()
    ]
    suggest = fixed.suggest
    if suggest is None:
        suggest = max(_quantile_above(o.best, NONE_SHARE) for o in foreign)
    answer, margin = _answer_and_margin(held, left_out, foreign, fixed, suggest)
    settings = MatchSettings(
        answer=answer, suggest=suggest, margin=margin, max_suggestions=fixed.max_suggestions
    )
    return _described(settings, held), full


def _fallback(fixed: Overrides) -> Calibration:
    default = MatchSettings()
    settings = MatchSettings(
        answer=default.answer if fixed.answer is None else fixed.answer,
        suggest=default.suggest if fixed.suggest is None else fixed.suggest,
        margin=default.margin if fixed.margin is None else fixed.margin,
        max_suggestions=fixed.max_suggestions,
    )
    return Calibration(settings, 0.0, 0.0, 0.0, 0.0, 0)


def _answer_and_margin(
    held: _Scores, left_out: _Scores, foreign: Sequence[_Scores], fixed: Overrides, suggest: float
) -> tuple[float, float]:
    """The pair with the most right answers among `held` within the limits; ties go to
    the lowest margin, then the lowest answer threshold."""
    default = MatchSettings()
    if len(held.best) < MIN_HELD_OUT:
        return (
            default.answer if fixed.answer is None else fixed.answer,
            default.margin if fixed.margin is None else fixed.margin,
        )
    answers = _ANSWERS if fixed.answer is None else np.array([fixed.answer])
    if fixed.suggest is not None and fixed.answer is None:
        answers = answers[answers >= fixed.suggest]
    margins = _MARGINS if fixed.margin is None else np.array([fixed.margin])
    best: tuple[float, float, float] = (
        -1.0,
        100.0,
        default.margin if fixed.margin is None else fixed.margin,
    )
    for margin in margins.tolist():
        answered = held.answered(answers, margin)
        right = (answered & held.right[:, None]).mean(axis=0)
        allowed = (answered & ~held.right[:, None]).mean(axis=0) <= WRONG
        if len(left_out.best):
            allowed &= left_out.answered(answers, margin).mean(axis=0) <= SAME_DOMAIN
        for other in foreign:
            allowed &= other.answered(answers, margin).mean(axis=0) <= OUT_OF_SCOPE
        if not allowed.any():
            continue
        position = int(np.argmax(np.where(allowed, right, -1.0)))
        if right[position] > best[0]:
            best = (float(right[position]), float(answers[position]), margin)
    if best[0] < 0:
        return (100.0 if fixed.answer is None else fixed.answer), best[2]
    return best[1], best[2]


def _described(settings: MatchSettings, held: _Scores) -> Calibration:
    count = len(held.best)
    if not count:
        return Calibration(settings, 0.0, 0.0, 0.0, 0.0, 0)
    answered = held.answered(np.array([settings.answer]), settings.margin)[:, 0]
    suggested = ~answered & (held.best >= settings.suggest)
    return Calibration(
        settings=settings,
        answered=float(answered.mean()),
        right=float((answered & held.right).mean()),
        suggested=float(suggested.mean()),
        none=float((~answered & ~suggested).mean()),
        samples=count,
    )


def _samples(faq: Faq, order: Sequence[int], ranker: RankerFactory) -> tuple[_Scores, _Scores]:
    """The held-out (in-scope) and left-out (same-domain) samples, from `_folds(faq)`
    rankers, each built without the phrasings it is asked.

    The first `_LEFT_OUT_ENTRIES` entries of `order` are left out whole, a group of
    them in each fold, and (up to `_LEFT_OUT_PHRASINGS` of) their phrasings matched
    against the rest. Of the other entries with two or more phrasings, one phrasing
    is held out in each fold (number f in fold f, if it has one), for at most `_HELD_PER_FOLD`
    entries a fold, a different run of them in each.
    """
    questions = _questions(faq)
    folds = _folds(faq)
    chosen = list(order[:_LEFT_OUT_ENTRIES]) if len(questions) > 1 else []
    held: list[tuple[float, float, bool]] = []
    left_out: list[tuple[float, float, bool]] = []
    for fold in range(folds):
        gone = set(chosen[fold::folds])
        several = [p for p in order if p not in gone and len(questions[p]) > max(1, fold)]
        if not gone and not several:
            continue
        shift = (fold * _HELD_PER_FOLD) % len(several) if several else 0
        holding = set((several[shift:] + several[:shift])[:_HELD_PER_FOLD])
        kept = [p for p in range(len(questions)) if p not in gone]
        pairs: list[tuple[int, str]] = []
        queries: list[tuple[int, str]] = []
        for place, p in enumerate(kept):
            skip = fold if p in holding else -1
            for number, text in enumerate(questions[p]):
                (queries if number == skip else pairs).append((place, text))
        index = ranker(pairs, len(kept))
        for place, text in queries:
            best, runner_up, top = _top2(index, text)
            held.append((best, runner_up, top == place))
        for p in sorted(gone):
            left_out.extend(
                (*_top2(index, text)[:2], False) for text in questions[p][:_LEFT_OUT_PHRASINGS]
            )
        del index  # before the next fold's is built: one index at a time
    return _Scores.of(held), _Scores.of(left_out)


def _questions(faq: Faq) -> list[list[str]]:
    return [[text for _locale, text in entry.all_questions()] for entry in faq.entries]


def _folds(faq: Faq) -> int:
    """Folds (each an index build) for this FAQ: `_FOLDS`, fewer for a large one so
    that calibrating costs a few builds of the index at most."""
    total = sum(len(entry.all_questions()) for entry in faq.entries)
    return max(_MIN_FOLDS, min(_FOLDS, _FOLD_PHRASINGS // max(total, 1)))


def _order(count: int) -> list[int]:
    """Entry positions in a fixed shuffled order (the same at every load)."""
    order = list(range(count))
    random.Random(_SEED).shuffle(order)  # noqa: S311 (a fixed sample, not a secret)
    return order


def _top2(index: Ranker, text: str) -> tuple[float, float, int]:
    """Best score, runner-up score and the best entry's position (-1: none)."""
    ranked = index.top(text, 2)
    if not ranked:
        return 0.0, 0.0, -1
    return ranked[0][1], (ranked[1][1] if len(ranked) > 1 else 0.0), ranked[0][0]


def _quantile_above(scores: Floats, share: float) -> float:
    """The lowest threshold (in tenths) that leaves `share` of `scores` below it."""
    if not len(scores):
        return 0.0
    ordered = np.sort(scores)
    keep = int(np.ceil(share * len(ordered)))
    if keep <= 0:
        return 0.0
    return float(np.floor(ordered[keep - 1] * 10.0 + 1.0) / 10.0)
