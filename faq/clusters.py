"""Group questions the FAQ could not answer by what they ask (`supportbot faq gaps`).

Texts are compared the way the FAQ matcher compares a question with a phrasing: each
distinct text (after faq.normalize) is a phrasing of its own in a MatchIndex built over
them and over `background` texts (the FAQ's phrasings: word weights then come from more
text than a few misses), so words many texts share ("how", "do", "my") weigh little and
the words that say what a question is about weigh much; each text is scored against its
nearest others. A pair is similar when either scores the other at `threshold` or more.
Clustering is greedy: the text with the most similar unclustered texts (the densest
point) takes them as one cluster, and so on until every text is placed, so a cluster
is a star around its first text and cannot chain from one topic into the next.
Identical texts count once per time they were asked.

Measured on CLINC150 (an FAQ of 140 intents with 5 random phrasings each, 10 intents
held out, all 4,500 in-scope test questions asked with calibrated thresholds, the `none`
decisions clustered with the FAQ as background; 3 seeds): 1,134 misses on average, 15%
of them from the held-out intents; clusters of two or more are 89% pure (one intent
makes up 89% of their members); 7.3 of the 10 held-out intents lead a cluster of five
or more, 4.0 of them one of the 10 largest (the others there are in-scope intents the
FAQ misses as often). Clustering those 1,100 misses took 3-10 s (a shared 2-core
machine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from faq.match_index import MatchIndex
from faq.normalize import normalize

# Similarity (0-100, the matcher's score) at which two questions ask the same thing.
THRESHOLD = 55.0
# The nearest texts scored for each text.
NEIGHBOURS = 40
# The most distinct texts compared pairwise (the matrix grows with the square).
MAX_TEXTS = 4_000
_ROWS = 512  # matrix rows turned into counts at a time


@dataclass(frozen=True)
class Cluster:
    """Positions (in the clustered sequence) of the texts of one cluster; the first is
    the text the others were gathered around."""

    members: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def centre(self) -> int:
        return self.members[0]


def cluster(
    texts: Sequence[str], threshold: float = THRESHOLD, background: Sequence[str] = ()
) -> list[Cluster]:
    """`texts` grouped into clusters, largest first (ties: the earliest text first).

    Only the last MAX_TEXTS distinct texts are compared; older ones are left out.
    Texts with nothing left after normalisation are left out too."""
    keys = [_key(text) for text in texts]
    distinct: dict[str, list[int]] = {}
    for position, key in enumerate(keys):
        if key:
            distinct.setdefault(key, []).append(position)
    kept = list(distinct)[-MAX_TEXTS:]
    if not kept:
        return []
    similar = _similar(kept, threshold, background)
    weights = np.array([len(distinct[key]) for key in kept], dtype=np.int64)
    groups = _greedy(similar, weights)
    clusters = [
        Cluster(tuple(sorted(p for member in group for p in distinct[kept[member]])))
        for group in groups
    ]
    for number, group in enumerate(groups):
        centre = distinct[kept[group[0]]][0]
        rest = tuple(p for p in clusters[number].members if p != centre)
        clusters[number] = Cluster((centre, *rest))
    return sorted(clusters, key=lambda c: (-c.size, min(c.members)))


def _key(text: str) -> str:
    return normalize(text)


def _similar(texts: Sequence[str], threshold: float, background: Sequence[str]) -> np.ndarray:
    """A symmetric boolean matrix: which pairs of texts are similar."""
    count = len(texts)
    similar = np.zeros((count, count), dtype=bool)
    phrasings = [*enumerate(texts), *((count + n, text) for n, text in enumerate(background))]
    index = MatchIndex(phrasings, count + len(background))
    for position, text in enumerate(texts):
        for other, _score in index.top(text, NEIGHBOURS, floor=threshold):
            if other < count:
                similar[position, other] = True
    similar |= similar.T
    np.fill_diagonal(similar, True)
    return similar


def _greedy(similar: np.ndarray, weights: np.ndarray) -> list[list[int]]:
    """Star clusters: the unplaced text with the most unplaced neighbours (counting
    repeats) gathers them, until none is left. A text's count of unplaced neighbours is
    kept up to date as clusters form, so the whole costs about one pass over the matrix."""
    free = np.ones(len(weights), dtype=bool)
    degree = np.concatenate(
        [
            similar[start : start + _ROWS].astype(np.int64) @ weights
            for start in range(0, len(weights), _ROWS)
        ]
    )
    groups: list[list[int]] = []
    while free.any():
        if np.array_equal(degree[free], weights[free]):
            alone = np.flatnonzero(free)
            order = alone[np.argsort(-weights[alone], kind="stable")]
            groups.extend([int(position)] for position in order)
            break
        centre = int(np.argmax(np.where(free, degree, -1)))
        members = np.flatnonzero(similar[centre] & free)
        groups.append([centre, *(int(m) for m in members if m != centre)])
        free[members] = False
        degree -= similar[:, members].astype(np.int64) @ weights[members]
    return groups
