"""FAQ matcher latency: one `match` call, p50 and p99, for FAQs of growing size.

The FAQs up to 10,000 phrasings are made of CLINC150 training phrasings (about 67
per intent at 10,000); the 50,000-phrasing one has 5,000 entries of 10 phrasings
(bench.clinc.synthetic_faq). The queries are test-split questions. Build time is the
Matcher's constructor. For the large FAQs the bench also gives the time from an edit
of a file to the new FAQ in service through FaqStore.watch, and the longest event-loop
stall during that reload and while the queries are matched through FaqStore.match
(see bench.faq_stall), in the note under the table.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from bench import faq_stall
from bench.clinc import BenchDataMissing, Clinc, build_faq, load, synthetic_faq
from bench.options import BenchOptions
from bench.table import Table
from faq.matcher import Matcher, MatchSettings
from faq.model import Faq

TITLE = "FAQ match latency"
SIZES = (100, 1_000, 10_000, 50_000)
QUICK_SIZES = (100, 1_000)
QUERIES = 1_000
QUICK_QUERIES = 100
# FAQs of at least this many phrasings also get the reload and stall figures.
STALL_FROM = 10_000
SYNTHETIC_PER_ENTRY = 10


def faq_of_size(data: Clinc, phrasings: int) -> Faq:
    """An FAQ of about `phrasings` phrasings: all intents when there are enough, else
    fewer intents with a handful of phrasings each; past CLINC's training set, synthetic
    entries of SYNTHETIC_PER_ENTRY phrasings."""
    intents = len({intent for _, intent in data.train})
    if phrasings > len(data.train):
        entries = phrasings // SYNTHETIC_PER_ENTRY
        return synthetic_faq(data.train, entries, SYNTHETIC_PER_ENTRY)
    if phrasings < intents * 5:
        return build_faq(data.train, 5, max(1, phrasings // 5))
    return build_faq(data.train, max(1, round(phrasings / intents)))


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[rank]


def measure(faq: Faq, queries: Sequence[str]) -> tuple[float, list[float]]:
    """Build seconds and the sorted per-query match times in milliseconds."""
    started = time.perf_counter()
    matcher = Matcher(faq, MatchSettings())
    built = time.perf_counter() - started
    times = []
    for query in queries:
        started = time.perf_counter()
        matcher.match(query)
        times.append((time.perf_counter() - started) * 1000.0)
    return built, sorted(times)


def run(options: BenchOptions) -> Table:
    try:
        data = load(options.data)
    except BenchDataMissing as missing:
        return Table(TITLE, (), (), f"skipped: {missing}")
    sizes = QUICK_SIZES if options.quick else SIZES
    count = QUICK_QUERIES if options.quick else QUERIES
    queries = [text for text, _ in data.test[:count]]
    rows = []
    stall_notes = []
    for size in sizes:
        faq = faq_of_size(data, size)
        built, times = measure(faq, queries)
        phrasings = sum(len(entry.all_questions()) for entry in faq.entries)
        rows.append(
            (
                f"{phrasings:,}",
                str(len(faq.entries)),
                f"{built:.2f}",
                f"{percentile(times, 0.50):.2f}",
                f"{percentile(times, 0.99):.2f}",
            )
        )
        if size >= STALL_FROM:
            found = faq_stall.measure(faq, queries)
            stall_notes.append(
                f"{phrasings:,} phrasings: hot reload {found.reload_seconds:.1f} s; longest "
                f"hold of the event loop {found.reload_hold_ms:.1f} ms during it; longest "
                f"event-loop stall {found.reload_stall_ms:.1f} ms during it, "
                f"{found.match_stall_ms:.1f} ms while matching the queries through "
                f"FaqStore.match, {found.idle_stall_ms:.1f} ms idle"
            )
    header = ("phrasings", "entries", "build s", "p50 ms", "p99 ms")
    note = "\n".join(
        [
            f"{len(queries)} test queries, one process",
            *stall_notes,
            *(
                [
                    "(hot reload: FaqStore.watch's child process; hold: one callback on the "
                    "loop; stall: lateness of a 1 ms ticker, the VM's own delays included)"
                ]
                if stall_notes
                else []
            ),
        ]
    )
    return Table(TITLE, header, tuple(rows), note)
