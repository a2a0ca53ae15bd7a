"""Semantic matching: the lexical score and an embedding model's, in one 0-100 score.

The lexical index (faq.match_index) ranks by shared words and spellings; an embedding
model (faq.embedder) ranks by meaning, so it finds paraphrases with no word in common
and questions in another language. Each is wrong where the other is right, and their
sum beats both: on CLINC150 (k=5 random phrasings, seed 7, test split) top-1 was
74.8% lexical, 76.1% nearest phrasing by e5 (faq.e5), 80.6% combined (top-3 93.4%).

An entry's semantic score is its closest phrasing's cosine with the question, mapped
to 0-100 (`_COSINE_FLOOR` and below is 0, 1 is 100: e5 puts even unrelated sentences
at a cosine of 0.7-0.8). The combined score is `LEXICAL_WEIGHT` times the lexical
score plus the rest times the semantic one, so it is on the lexical scale (0-100,
exact copy of a phrasing 100) and the thresholds of faq.matcher apply to it. The
weight and the floor were chosen on CLINC150's validation split: top-1 stays within
half a point of its best (81.2%) for floors 0.6-0.8 and weights 0.3-0.5.

Thresholds are calibrated on the combined scores (faq.calibrate with `Rankers`
below): thresholds calibrated on lexical scores fit them badly. On CLINC150 (k=5,
three seeds, bench/faq_semantic.py) out-of-scope questions got `none` 84.5% of the
time against 75.0%, in-scope ones were answered wrong 2.5% (at most 4.5%) against
4.1% (at most 7.9%), right 47.2% against 51.1%; German questions against the English
example FAQ were answered right 42.7% of the time against 22.6%, never wrongly.

Candidates are the lexical index's best `CANDIDATES` entries and the model's best
`CANDIDATES`; an entry the index did not list scores 0 lexically (exact when the
index listed fewer than `CANDIDATES`, as it lists every entry scoring above 0). Scoring
every entry lexically instead would cost a full lexical ranking per question for 0.3
points of top-1 (80.9%).

The FAQ's phrasings are embedded once per load and cached on disk under a hash of the
model's name and the phrasings, so a restart or a reload of an unchanged FAQ embeds
nothing. The shipped out-of-scope questions calibration asks are cached the same way,
in a folder of their own inside the cache (`OUT_OF_SCOPE_CACHE`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np

from faq.calibrate import Overrides, calibrate
from faq.calibrate_data import out_of_scope
from faq.embedder import Embedder
from faq.match_arrays import Floats, max_per_group
from faq.match_index import MatchIndex, Scored
from faq.matcher import MatchSettings, phrasings
from faq.model import Faq

logger = logging.getLogger("faq")

LEXICAL_WEIGHT = 0.4
CANDIDATES = 20
_COSINE_FLOOR = 0.75
OUT_OF_SCOPE_CACHE = "out-of-scope"


class SemanticIndex:
    """The embeddings of an FAQ's phrasings, and the combined ranking over them.

    `phrasings` are (entry position, question text) pairs, as for faq.match_index,
    of `entry_count` entries.
    """

    def __init__(
        self,
        embedder: Embedder,
        phrasings: Sequence[tuple[int, str]],
        entry_count: int,
        cache: Path | None = None,
        vectors: np.ndarray | None = None,
    ) -> None:
        """Takes the phrasings' embeddings as `vectors` (a row each) when given, else
        embeds them, or reads them from `cache` (a folder) when they were embedded there
        before."""
        self._embedder = embedder
        self._entry_count = entry_count
        self._owners = np.array([position for position, _text in phrasings], dtype=np.int64)
        if vectors is None:
            vectors = cached_embeddings(embedder, [text for _p, text in phrasings], cache)
        self._vectors = vectors

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    @property
    def vectors(self) -> np.ndarray:
        """The phrasings' embeddings, one row per phrasing, in the order given."""
        return self._vectors

    def similarities(self, text: str) -> Floats:
        """Each entry's semantic score for `text`, 0-100 (see the module docstring)."""
        return self.similarities_to(self._embedder.embed([text])[0])

    def similarities_to(self, query: np.ndarray) -> Floats:
        """Each entry's semantic score for a question embedded as `query`."""
        if not len(self._owners):
            return np.zeros(self._entry_count, dtype=np.float64)
        cosines = (self._vectors @ query).astype(np.float64)
        points = np.clip((cosines - _COSINE_FLOOR) / (1.0 - _COSINE_FLOOR), 0.0, 1.0) * 100.0
        return max_per_group(self._owners, points, self._entry_count)

    def top(
        self, index: MatchIndex, text: str, limit: int, preferred: Collection[int] = ()
    ) -> list[Scored]:
        """The `limit` best (entry position, combined score) pairs, best first, score > 0;
        `index` must be the same FAQ's. Ties as MatchIndex.top breaks them."""
        if limit < 1 or not text.strip():
            return []
        lexical = index.top(text, max(limit, CANDIDATES), preferred)
        return combine(lexical, self.similarities(text), limit, preferred)


class Combined:
    """The combined ranking as faq.calibrate asks it (`top(text, limit)`), with the
    vectors of the texts in `known` looked up rather than embedded."""

    def __init__(
        self, index: MatchIndex, semantic: SemanticIndex, known: Mapping[str, np.ndarray]
    ) -> None:
        self._index = index
        self._semantic = semantic
        self._known = known

    def top(self, text: str, limit: int) -> list[Scored]:
        if limit < 1 or not text.strip():
            return []
        vector = self._known.get(text)
        if vector is None:
            vector = self._semantic.embedder.embed([text])[0]
        lexical = self._index.top(text, max(limit, CANDIDATES))
        return combine(lexical, self._semantic.similarities_to(vector), limit)


class Rankers:
    """What faq.calibrate needs to calibrate on combined scores, for one FAQ whose
    phrasings `semantic` holds (as `phrasings`, which must be the ones it was built
    from): `full(index)` ranks the whole FAQ, and called as `rankers(pairs, count)` it
    ranks a fold, some of the phrasings, with their rows of the FAQ's embeddings.
    Nothing is embedded again: the phrasings are, and the shipped out-of-scope
    questions are read from `cache` (embedded once, see `out_of_scope_vectors`) or
    taken from `known`.
    """

    def __init__(
        self,
        semantic: SemanticIndex,
        phrasings: Sequence[tuple[int, str]],
        cache: Path | None = None,
        known: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self._semantic = semantic
        self._rows = {text: row for row, (_position, text) in enumerate(phrasings)}
        found = dict(known or {})
        missing = [text for texts in out_of_scope().values() for text in texts if text not in found]
        if missing:
            found.update(out_of_scope_vectors(semantic.embedder, cache))
        vectors = semantic.vectors
        found.update((text, vectors[row]) for text, row in self._rows.items())
        self._known = found

    def full(self, index: MatchIndex) -> Combined:
        """The whole FAQ's ranker; `index` must be its lexical index."""
        return Combined(index, self._semantic, self._known)

    def __call__(self, pairs: Sequence[tuple[int, str]], count: int) -> Combined:
        rows = [self._rows[text] for _position, text in pairs]
        vectors = self._semantic.vectors[rows]
        semantic = SemanticIndex(self._semantic.embedder, pairs, count, vectors=vectors)
        return Combined(MatchIndex(pairs, count), semantic, self._known)


def resolve(
    settings: MatchSettings | Overrides,
    faq: Faq,
    index: MatchIndex,
    semantic: SemanticIndex,
    cache: Path | None,
) -> MatchSettings:
    """faq.calibrate.resolve on combined scores: `settings` as they are, or calibrated
    for `faq` with the overrides kept. `index` and `semantic` must be built from
    `phrasings(faq)`; `cache` is where the out-of-scope questions' embeddings are kept
    (see `out_of_scope_vectors`)."""
    if isinstance(settings, MatchSettings):
        return settings
    rankers = Rankers(semantic, phrasings(faq), cache)
    return calibrate(faq, settings, rankers.full(index), rankers).settings


def out_of_scope_vectors(embedder: Embedder, cache: Path | None) -> dict[str, np.ndarray]:
    """The shipped out-of-scope questions (faq.calibrate_data) and their embeddings,
    cached in `cache`'s `OUT_OF_SCOPE_CACHE` folder: embedding them takes seconds
    (300 questions, 7 s on a busy machine), so only the first load pays it."""
    texts = list(dict.fromkeys(text for found in out_of_scope().values() for text in found))
    folder = None if cache is None else cache / OUT_OF_SCOPE_CACHE
    return dict(zip(texts, cached_embeddings(embedder, texts, folder), strict=True))


def combine(
    lexical: Sequence[Scored], semantic: Floats, limit: int, preferred: Collection[int] = ()
) -> list[Scored]:
    """The `limit` best combined scores, from the lexical index's best `CANDIDATES`
    (or more) and every entry's semantic score."""
    known = dict(lexical)
    nearest = np.argsort(-semantic, kind="stable")[:CANDIDATES].tolist()
    scored = []
    for position in known.keys() | set(nearest):
        points = LEXICAL_WEIGHT * known.get(position, 0.0)
        points += (1.0 - LEXICAL_WEIGHT) * float(semantic[position])
        if points > 0:
            scored.append((position, round(min(points, 100.0), 9)))
    scored.sort(key=lambda item: (-item[1], item[0] not in preferred, item[0]))
    return scored[:limit]


def cached_embeddings(embedder: Embedder, texts: Sequence[str], cache: Path | None) -> np.ndarray:
    """`embedder.embed(texts)`, from `cache` when it holds them; a cache that cannot be
    read or written is logged and the texts are embedded. The cache keeps one file (its
    folders are left alone), the latest: an edited FAQ's old embeddings are deleted when
    its new ones are written."""
    if cache is None:
        return embedder.embed(texts)
    file = cache / f"{content_hash(embedder.name, texts)}.npy"
    try:
        found: np.ndarray = np.load(file, allow_pickle=False)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        logger.warning("FAQ embeddings cache %s unreadable, embedding again: %s", file, exc)
    else:
        if found.shape[0] == len(texts):
            return found
    vectors = embedder.embed(texts)
    try:
        _write(file, vectors)
        for old in cache.glob("*.npy"):
            if old != file:
                old.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("FAQ embeddings cache %s not written: %s", file, exc)
    return vectors


def content_hash(model: str, texts: Sequence[str]) -> str:
    """A hash of the model's name and the texts in order (each length-prefixed, so
    no two lists of texts share one)."""
    digest = hashlib.sha256(model.encode())
    for text in texts:
        data = text.encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def _write(file: Path, vectors: np.ndarray) -> None:
    """Written to a temporary file and renamed, so a reader never sees half a file."""
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, vectors, allow_pickle=False)
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
