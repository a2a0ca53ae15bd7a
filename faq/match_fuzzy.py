"""Finding the closest known term to an unknown query word (typos) without trying them all.

rapidfuzz's ratio of words of lengths L and M is 200 * k / (L + M) for their longest
common subsequence of k characters, so a ratio of at least CUTOFF (80) needs
k >= 0.4 * (L + M). Of the k - 1 steps
between its characters, at most L - k skip a character of the query word and at most
M - k one of the term, so at least 3k - L - M - 1 steps are a bigram the two words
share. Only terms with that many shared bigrams can reach the cutoff: they are found
through bigram posting lists, and rapidfuzz picks among them exactly as it would among
all terms (the first best in vocabulary order).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from faq.match_arrays import Ints, Strings, gather, row_pointers

CUTOFF = 80.0
# The common subsequence a ratio of CUTOFF needs, as a share of L + M.
_SHARE = CUTOFF / 200.0


@dataclass(frozen=True)
class BigramTable:
    """For each bigram (`bigrams`, sorted), the terms that have it (`term`, rows by
    `ptr`) and how often (`count`); `length` is each term's length."""

    bigrams: np.ndarray
    ptr: Ints
    term: Ints
    count: Ints
    length: Ints


def bigram_table(vocabulary: list[str]) -> BigramTable:
    per_term = [Counter(_bigrams(term)) for term in vocabulary]
    names = sorted(set().union(*per_term))
    number = {bigram: n for n, bigram in enumerate(names)}
    items = sorted(
        (number[bigram], term, count)
        for term, counts in enumerate(per_term)
        for bigram, count in counts.items()
    )
    rows = np.array([item[0] for item in items], dtype=np.int64)
    return BigramTable(
        bigrams=np.array(names, dtype="<U2"),
        ptr=row_pointers(rows, len(names)),
        term=np.array([item[1] for item in items], dtype=np.int64),
        count=np.array([item[2] for item in items], dtype=np.int64),
        length=np.array([len(term) for term in vocabulary], dtype=np.int64),
    )


def closest(word: str, vocabulary: Strings, table: BigramTable) -> tuple[str, float] | None:
    """The vocabulary term with the highest ratio to `word` if it reaches CUTOFF (the
    first in vocabulary order among equals), with that ratio; else None."""
    counts = Counter(_bigrams(word))
    if not counts or not len(table.bigrams):
        return None
    wanted = np.array(list(counts))
    ids = np.searchsorted(table.bigrams, wanted)
    inside = ids < len(table.bigrams)
    ids, wanted = ids[inside], wanted[inside]
    hits = table.bigrams[ids] == wanted
    ids = ids[hits]
    mine = np.array([counts[b] for b in wanted[hits].tolist()], dtype=np.int64)
    items, which = gather(table.ptr, ids)
    shared = np.bincount(
        table.term[items], np.minimum(table.count[items], mine[which]), minlength=len(vocabulary)
    )
    size = len(word)
    sums = size + table.length
    least = np.ceil(_SHARE * sums - 1e-9)
    possible = (least <= np.minimum(size, table.length)) & (
        shared >= np.maximum(1.0, 3.0 * least - sums - 1.0)
    )
    candidates = [vocabulary[i] for i in np.flatnonzero(possible).tolist()]
    hit = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=CUTOFF)
    return None if hit is None else (hit[0], float(hit[1]))


def _bigrams(word: str) -> list[str]:
    return [word[i : i + 2] for i in range(len(word) - 1)]
