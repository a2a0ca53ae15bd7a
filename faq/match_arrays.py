"""numpy helpers for the FAQ index: rows stored one after another, and sums over them.

A table of rows (an entry's grams, a phrasing's terms, a term's entries) is kept as
flat arrays of items plus `ptr`, where row r holds the items ptr[r]:ptr[r + 1]. A
query then touches only the rows of its own terms, grams or candidate entries.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

# numpy's stubs type many results loosely (np.bincount's as integers even with weights),
# so these name what an array holds without holding mypy to it.
Ints = NDArray[Any]
Floats = NDArray[Any]
Bools = NDArray[Any]


def row_pointers(row_of_item: Ints, rows: int) -> Ints:
    """`ptr` for items already sorted by row: row r's items are ptr[r]:ptr[r + 1]."""
    ptr = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of_item, minlength=rows), out=ptr[1:])
    return ptr


def gather(ptr: Ints, rows: Ints) -> tuple[Ints, Ints]:
    """The item positions of `rows`, row after row, and for each the index in `rows`
    of the row it belongs to."""
    if len(rows) == 1:  # often so for a question's candidates: a third of the cost
        start, stop = int(ptr[rows[0]]), int(ptr[rows[0] + 1])
        return np.arange(start, stop, dtype=np.int64), np.zeros(stop - start, dtype=np.int64)
    starts = ptr[rows]
    lengths = ptr[rows + 1] - starts
    which = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    offsets = np.cumsum(lengths) - lengths
    positions = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - offsets, lengths)
    return positions, which


def idf(document_frequency: Ints, documents: int) -> Floats:
    """BM25's smoothed IDF, elementwise: positive even for a term every document has."""
    df = document_frequency.astype(np.float64)
    result: Floats = np.log1p((documents - df + 0.5) / (df + 0.5))
    return result


def unit_per_row(row_of_item: Ints, values: Floats, rows: int) -> Floats:
    """`values` divided by the Euclidean norm of their row."""
    norms = np.sqrt(np.bincount(row_of_item, values * values, minlength=rows))
    result: Floats = values / norms[row_of_item]
    return result


def max_per_group(group_of_item: Ints, values: Floats, groups: int) -> Floats:
    """The largest value of each group; 0 for a group without items (values are >= 0)."""
    result = np.zeros(groups, dtype=np.float64)
    np.maximum.at(result, group_of_item, values)
    return result


@dataclass(frozen=True)
class Strings:
    """Many strings as one, cut at `ptr`: unlike a list of them, nothing the garbage
    collector walks through at every full collection, and one object to send."""

    joined: str
    ptr: Ints

    @classmethod
    def of(cls, strings: Sequence[str]) -> Strings:
        lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
        ptr = np.zeros(len(strings) + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        return cls("".join(strings), ptr)

    def __len__(self) -> int:
        return len(self.ptr) - 1

    def __getitem__(self, number: int) -> str:
        return self.joined[int(self.ptr[number]) : int(self.ptr[number + 1])]

    def between(self, start: int, stop: int) -> list[str]:
        """Strings start to stop - 1."""
        cuts = self.ptr[start : stop + 1].tolist()
        return [self.joined[a:b] for a, b in itertools.pairwise(cuts)]
