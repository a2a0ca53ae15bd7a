"""Checks beyond loading: questions that collide, and entries the matcher confuses.

The loader already rejects what cannot work (unknown keys, empty answers, duplicate
ids). Lint runs the real matcher over every question the FAQ lists: a question an
admin wrote for entry A must be answered with entry A, or customers asking exactly
that get the wrong answer, or a "did you mean" where a direct answer was intended.
"""

from __future__ import annotations

from pathlib import Path

from faq.loader import FaqError, Problem, load_faq
from faq.match_index import MatchIndex
from faq.matcher import Matcher, MatchSettings
from faq.model import Entry, Faq
from faq.normalize import normalize


def lint_faq(
    path: Path, default_locale: str = "en", matcher_settings: MatchSettings | None = None
) -> list[Problem]:
    """Every problem of the FAQ at `path`: load errors first, then lint findings."""
    try:
        faq = load_faq(path, default_locale)
    except FaqError as exc:
        return exc.problems
    return lint_loaded(faq, matcher_settings or MatchSettings())


def lint_loaded(
    faq: Faq, settings: MatchSettings, index: MatchIndex | None = None
) -> list[Problem]:
    """Lint findings for an already loaded FAQ, in entry order, at most one per question
    (`index`: the FAQ's, when already built).

    A question listed under two entries is reported once, at the later entry; the
    matcher's verdict on it would only repeat that.
    """
    matcher = Matcher(faq, settings, index)
    owners = _owners(faq)
    problems: list[Problem] = []
    for entry in faq.entries:
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
