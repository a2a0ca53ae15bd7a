"""FAQ matcher latency: one `match` call, p50 and p99, for FAQs of growing size.

The FAQs are made of CLINC150 training phrasings (about 67 per intent at 10,000);
the queries are test-split questions. Build time is the Matcher's constructor.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from bench.clinc import BenchDataMissing, Clinc, build_faq, load
from bench.options import BenchOptions
from bench.table import Table
from faq.matcher import Matcher, MatchSettings
from faq.model import Faq

TITLE = "FAQ match latency"
SIZES = (100, 1_000, 10_000)
QUICK_SIZES = (100, 1_000)
QUERIES = 1_000
QUICK_QUERIES = 100


def faq_of_size(data: Clinc, phrasings: int) -> Faq:
    """An FAQ of about `phrasings` phrasings: all intents when there are enough, else
    fewer intents with a handful of phrasings each."""
    intents = len({intent for _, intent in data.train})
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
    header = ("phrasings", "entries", "build s", "p50 ms", "p99 ms")
    return Table(TITLE, header, tuple(rows), f"{len(queries)} test queries, one process")
