"""Sparse vectors and the posting lists the FAQ index scores them with."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

Vector = dict[str, float]
Postings = dict[str, list[tuple[int, float]]]

NGRAM_SIZES = (3, 4, 5)


def idf(document_frequency: int, documents: int) -> float:
    """BM25's smoothed IDF: positive even for a term every document has."""
    return math.log(1.0 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


def unit(vector: Mapping[str, float]) -> Vector:
    norm = math.sqrt(sum(value * value for value in vector.values()))
    if norm == 0.0:
        return {}
    return {key: value / norm for key, value in vector.items()}


def postings(vectors: Iterable[Mapping[str, float]]) -> Postings:
    """For each key, the (position, value) pairs of the vectors that have it."""
    index: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
    for position, vector in enumerate(vectors):
        for key, value in vector.items():
            index[key].append((position, value))
    return dict(index)


def dot(query: Mapping[str, float], index: Postings, size: int) -> list[float]:
    """The query's dot product with each of the `size` indexed vectors."""
    totals = [0.0] * size
    for key, weight in query.items():
        for position, value in index.get(key, ()):
            totals[position] += weight * value
    return totals


def char_ngrams(words: Iterable[str]) -> Counter[str]:
    """Character n-grams of each word padded with spaces, so word edges count."""
    grams: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        for size in NGRAM_SIZES:
            grams.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams
