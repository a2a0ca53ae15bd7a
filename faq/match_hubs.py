"""The hub correction: points taken off entries that score well against every question.

A hub is an entry whose words are common in every kind of question, so it scores
fairly well against questions meant for other entries and wins too many close calls.
The FAQ's own phrasings (every n-th, at most _HUB_SAMPLE) stand in for questions; an
entry's pull is the mean of the best _HUB_SHARE of the points it gets from phrasings
of other entries (the hubness correction of cross-domain similarity local scaling,
CSLS), over at least _HUB_MIN_TOP of them, as a single phrasing of a small FAQ is too
noisy an estimate. _HUB_WEIGHT times an entry's excess pull over the average is taken
off its points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from faq.match_arrays import Floats

_HUB_SAMPLE = 1000
_HUB_SHARE = 0.02
_HUB_WEIGHT = 0.75
_HUB_MIN_TOP = 3
# Sample phrasings scored per step: their points for every entry are held at once.
_BATCH = 64


def hub_bias(
    phrasings: Sequence[tuple[int, str]], size: int, points: Callable[[str], Floats]
) -> Floats:
    """Points to take off each of `size` entries, from (owner, text) phrasings in FAQ
    order; `points(text)` are the points each entry gets for a question."""
    sample = phrasings[:: max(1, math.ceil(len(phrasings) / _HUB_SAMPLE))]
    if size < 2 or len(sample) < 2:
        return np.zeros(size, dtype=np.float64)
    top = max(_HUB_MIN_TOP, round(_HUB_SHARE * len(sample)))
    best = np.full((top, size), -np.inf)
    for start in range(0, len(sample), _BATCH):
        batch = sample[start : start + _BATCH]
        rows = np.stack([points(text) for _, text in batch])
        rows[np.arange(len(batch)), [owner for owner, _ in batch]] = -np.inf
        merged = np.concatenate((best, rows))
        best = -np.partition(-merged, top - 1, axis=0)[:top]
    owned = np.bincount([owner for owner, _ in sample], minlength=size)
    received = np.minimum(top, len(sample) - owned)
    pull = np.where(np.isfinite(best), best, 0.0).sum(axis=0) / np.maximum(1, received)
    result: Floats = _HUB_WEIGHT * (pull - pull.sum() / size)
    return result
