"""Checks beyond loading: questions that collide, and entries the matcher confuses.

The loader already rejects what cannot work (unknown keys, empty answers, duplicate
ids). Lint runs the real matcher over every question the FAQ lists: a question an
admin wrote for entry A must be answered with entry A, or customers asking exactly
that get the wrong answer, or a "did you mean" where a direct answer was intended.
"""

from __future__ import annotations

import gc
import itertools
import logging
import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from faq.loader import FaqError, Problem, load_faq
from faq.match_index import MatchIndex
from faq.matcher import Matcher, MatchSettings
from faq.model import Entry, Faq
from faq.normalize import normalize

logger = logging.getLogger(__name__)

# A FAQ with fewer questions than this is linted in-process whatever `workers` says:
# forking costs more than it saves (1,000 questions lint in about a second).
PARALLEL_FROM = 5_000
# Spans of entries per worker, so that a worker that gets the slow ones holds no one up.
_SPANS_PER_WORKER = 4


def lint_faq(
    path: Path, default_locale: str = "en", matcher_settings: MatchSettings | None = None
) -> list[Problem]:
    """Every problem of the FAQ at `path`: load errors first, then lint findings."""
    try:
        faq = load_faq(path, default_locale)
    except FaqError as exc:
        return exc.problems
    return lint_loaded(faq, matcher_settings or MatchSettings())


def available_cpus() -> int:
    """The CPUs this process may run on (a container's CPU set, not the host's count)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


@dataclass(frozen=True)
class _Linting:
    """What linting a span of entries needs, shared with forked workers as is."""

    faq: Faq
    matcher: Matcher
    settings: MatchSettings
    owners: dict[str, list[Entry]]


# The linting in progress, for the forked workers (set only while they run).
_shared: _Linting | None = None


def lint_loaded(
    faq: Faq, settings: MatchSettings, index: MatchIndex | None = None, workers: int = 1
) -> list[Problem]:
    """Lint findings for an already loaded FAQ, in entry order, at most one per question
    (`index`: the FAQ's, when already built).

    A question listed under two entries is reported once, at the later entry; the
    matcher's verdict on it would only repeat that. With `workers` > 1 a large FAQ
    (PARALLEL_FROM questions) is linted by that many forked processes, where the
    platform forks safely (Linux), which share the index with this one; the findings
    are the same, in the same order. Should a worker die (the kernel's OOM killer, say),
    the FAQ is linted again in this process.
    """
    linting = _Linting(faq, Matcher(faq, settings, index), settings, _owners(faq))
    questions = sum(len(entry.all_questions()) for entry in faq.entries)
    everything = (0, len(faq.entries))
    if workers < 2 or questions < PARALLEL_FROM or not sys.platform.startswith("linux"):
        return _lint_span(linting, everything)
    try:
        return _lint_forked(linting, _spans(everything[1], workers * _SPANS_PER_WORKER), workers)
    except BrokenProcessPool as broken:
        logger.warning("a lint worker died (%s); linting in this process instead", broken)
        return _lint_span(linting, everything)


def _lint_forked(
    linting: _Linting, spans: Sequence[tuple[int, int]], workers: int
) -> list[Problem]:
    """The spans linted by forked workers, findings in span order.

    The garbage collector's objects are frozen first: a worker's collections would
    otherwise write to every object's header, copying the pages the index shares.
    """
    global _shared
    _shared = linting
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            found = list(pool.map(_lint_shared, spans))
    finally:
        _shared = None
        gc.unfreeze()
    return [problem for problems in found for problem in problems]


def _lint_shared(span: tuple[int, int]) -> list[Problem]:
    """In a forked worker: the findings of a span of the linting it inherited."""
    assert _shared is not None, "lint workers are forked from lint_loaded"
    return _lint_span(_shared, span)


def _spans(count: int, parts: int) -> list[tuple[int, int]]:
    """`count` positions cut into at most `parts` runs of nearly equal length."""
    parts = max(1, min(parts, count))
    bounds = [count * part // parts for part in range(parts + 1)]
    return list(itertools.pairwise(bounds))


def _lint_span(linting: _Linting, span: tuple[int, int]) -> list[Problem]:
    """The findings for the entries at positions span[0] to span[1]."""
    matcher, settings, owners = linting.matcher, linting.settings, linting.owners
    problems: list[Problem] = []
    for entry in linting.faq.entries[span[0] : span[1]]:
        missing = sorted(set(entry.questions) - set(entry.answer))
        if missing:
            problems.append(_problem(entry, f"has questions but no answer in {', '.join(missing)}"))
        seen: set[str] = set()
        for locale, question in entry.all_questions():
            key = normalize(question)
            first = owners[key][0]
            if not key:
                problems.append(_problem(entry, f'question "{question}" has no words to match'))
            elif first is not entry:
                problems.append(
                    _problem(
                        entry,
                        f'question "{question}" is also a question of'
                        f' entry "{first.id}" ({first.source})',
                    )
                )
            elif key in seen:
                problems.append(_problem(entry, f'question "{question}" is repeated'))
            elif len(owners[key]) == 1 and not matcher.answers(question, entry, locale):
                confusion = _confusion(matcher, settings, entry, question, locale)
                if confusion:
                    problems.append(_problem(entry, f'question "{question}" {confusion}'))
            seen.add(key)
    return problems


def _owners(faq: Faq) -> dict[str, list[Entry]]:
    """For each normalized question, the entries that list it, in FAQ order."""
    owners: dict[str, list[Entry]] = {}
    for entry in faq.entries:
        for _locale, question in entry.all_questions():
            entries = owners.setdefault(normalize(question), [])
            if not entries or entries[-1] is not entry:
                entries.append(entry)
    return owners


def _problem(entry: Entry, message: str) -> Problem:
    return Problem(entry.source, f'entry "{entry.id}": {message}')


def _confusion(
    matcher: Matcher, settings: MatchSettings, entry: Entry, question: str, locale: str
) -> str | None:
    """Why the matcher does not answer `entry`'s own `question` with it; None when it does."""
    match = matcher.match(question, locale)
    if match.decision == "answer" and match.entry is not None:
        if match.entry.id == entry.id:
            return None
        return (
            f'is answered with entry "{match.entry.id}" ({match.entry.source},'
            f" score {match.score:.0f})"
        )
    own, rival = matcher.rival(question, entry)
    if rival is not None and rival.score > own:
        return (
            f'gets no direct answer: it is closer to entry "{rival.entry.id}"'
            f" ({rival.entry.source}, score {rival.score:.0f}) than to its own ({own:.0f})"
        )
    threshold = settings.answer if entry.threshold is None else entry.threshold
    if own < threshold or rival is None:
        return (
            f"gets no direct answer: its own entry scores {own:.0f},"
            f" below the answer threshold {threshold:g}"
        )
    return (
        f'gets no direct answer: too close to entry "{rival.entry.id}" ({rival.entry.source}),'
        f" {own:.0f} against {rival.score:.0f} with a margin of {settings.margin:g}"
    )
