"""The precomputed search index behind the matcher and the scores it gives.

Five similarities, each in 0..1, give up to 20 points each:

* entry words: cosine between the query and all phrasings of an entry pooled, with
  IDF term weights computed over the FAQ's own entries;
* best phrasing: cosine between the query and the single closest phrasing;
* entry characters: cosine over character 3-5-grams of the words, which catches
  inflections, compounds and typos that whole words miss;
* coverage: how much of the query's weight the entry's vocabulary explains, so a
  long question that only shares one word with an entry scores low;
* spelling: rapidfuzz's ratio between the query and the entry's closest phrasing,
  computed for the few best candidates only (see _RESCORED).

Three corrections follow. Entries that draw high scores from questions written for
other entries (hubs: entries with many generic words) lose points in proportion (see
faq.match_hubs). A query close to one phrasing is pulled towards 100 (see _total). The
result is stretched (see _STRETCH) and shrunk by the share of the query's weight that
no FAQ term explains (see _UNKNOWN_PENALTY), so a question about something else scores
low everywhere even when its few familiar words fit an entry well.

Query words that are not in the FAQ's vocabulary are mapped to their closest known
term with rapidfuzz (typos); the part of a word no term explains stays unknown.

How it stays fast on a large FAQ (see faq.match_tables for the arrays): the query's
terms and rare grams are looked up in posting lists (numpy), which gives every entry
its word similarities exactly and an upper bound on its score: the common grams'
share of the character similarity and the best phrasing's cosine are bounded, not
computed. Only entries whose bound can still reach the best few so far are scored in
full, in rounds, so the result is the same as scoring every entry (tests/faq/
test_match_index.py checks this), at the cost of the few that come close. With a
floor (the lint asks only whether anything comes within the margin of 100), even the
common terms' posting lists are skipped (see _sparse_stage): with a high floor, a
query's rarest term often leaves only a handful of entries to look at.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import fuzz, process

from faq.match_arrays import Bools, Floats, Ints, gather, max_per_group
from faq.match_fuzzy import closest
from faq.match_hubs import hub_bias
from faq.match_tables import Tables, build_tables, word_grams
from faq.match_terms import NUMBER, terms
from faq.normalize import normalize

Scored = tuple[int, float]

_FUZZY_MIN_LENGTH = 4
# Points each similarity (0..1) contributes to the 0-100 score.
_ENTRY_WORDS = 20.0
_BEST_PHRASING = 20.0
_ENTRY_GRAMS = 20.0
_COVERAGE = 20.0
_SPELLING = 20.0
# Spelling is computed for this many best entries by the other four similarities.
_RESCORED = 8
# The final score is multiplied by 1 - _UNKNOWN_PENALTY * (unknown share of the query).
_UNKNOWN_PENALTY = 0.5
# The sum is stretched by 100 * (sum / 100) ** _STRETCH, which keeps 0 and 100 and the
# order, so that the default thresholds mean something: on CLINC150's held-out splits
# (5-20 phrasings per entry) 80-88% of unrelated questions score under 40, and answers
# scoring 60 with a lead of 4 are right about 9 times in 10.
_STRETCH = 0.7
_NEAR_COPY_POWER = 4
# Entries scored in full at a time, before the bounds are compared with the best so far.
_ROUND = 16
# Bounds are raised by this much, so that float rounding never drops an entry.
_SLACK = 1e-9


def _total(points: float, best_phrasing: float) -> float:
    """The raw 0-100 score from the other similarities' points and the best phrasing's
    cosine. A near-copy of one phrasing then closes most of the remaining gap to 100
    (an FAQ question itself scores 100), however different the entry's other phrasings
    are.
    """
    gap = 100.0 - points - _BEST_PHRASING * best_phrasing
    return 100.0 - gap * (1.0 - best_phrasing**_NEAR_COPY_POWER)


def _totals(points: Floats, best_phrasing: Floats) -> Floats:
    """_total, elementwise (_NEAR_COPY_POWER is 4)."""
    gap = 100.0 - points - _BEST_PHRASING * best_phrasing
    square = best_phrasing * best_phrasing
    result: Floats = 100.0 - gap * (1.0 - square * square)
    return result


def _total_bound(points: Floats, best_phrasing: Floats) -> Floats:
    """At least _total(p, c) for every p <= points and c <= best_phrasing.

    _total rises with p, and with c while the gap is not negative; past that (only a
    strongly negative hub bias gets there) it stays under points + 20 * c.
    """
    result: Floats = (
        np.maximum(_totals(points, best_phrasing), points + _BEST_PHRASING * best_phrasing) + _SLACK
    )
    return result


def _needed(least: float, share: float, coverage: float) -> float:
    """The least points from grams and hub bias that let an entry whose shared terms
    are at most `share` of the query's norm and `coverage` of its weight reach a raw
    total of `least`: the least x with _total_bound(words part + x, reach) >= least."""
    reach = min(1.0, share)
    if reach >= 1.0:
        return -math.inf
    gap = (100.0 - least + _SLACK) / (1.0 - reach**_NEAR_COPY_POWER)
    needed = min(least - _BEST_PHRASING * reach - _SLACK, 100.0 - _BEST_PHRASING * reach - gap)
    return needed - _ENTRY_WORDS * share - _COVERAGE * coverage


def _unexplained(key: str, known: Collection[str]) -> bool:
    """Whether a query weight's key is content no FAQ term explains. Numbers and codes
    ("12345", "31m", "dl123") are left out: order numbers, dates and amounts are the
    customer's particulars, not a topic the FAQ lacks."""
    return key not in known and not any(ch.isdigit() for ch in key) and key != "\0" + NUMBER


@dataclass(frozen=True)
class _Query:
    """A question analysed against the index's vocabulary.

    `term_ids` are the FAQ terms the question has, with their weights in the unit term
    vector (`words`, whose norm counts unknown words too) and raw (`known`); `unknown`
    is the share of the total weight no FAQ term explains, numbers aside (see
    _unexplained). `gram_ids` and `grams` likewise for the unit character vector.
    """

    text: str
    term_ids: Ints
    words: Floats
    known: Floats
    total_weight: float
    gram_ids: Ints
    grams: Floats
    unknown: float


@dataclass(frozen=True)
class _Stage:
    """What the posting lists give for every entry: the word similarities and the rare
    grams' share of the character similarity exactly; `points` bounds the points before
    spelling (the common grams' share is only bounded) and `reach` the best phrasing's
    cosine. `common` and `term_weights` hold the query's common grams and terms as
    dense vectors, for scoring entries in full. `among`, when set, are the only
    entries worth looking at, and the only ones filled in (see MatchIndex._stage)."""

    entry_words: Floats
    coverage: Floats
    rare_grams: Floats
    common: Floats
    term_weights: Floats
    points: Floats
    reach: Floats
    among: Ints | None = None


@dataclass(frozen=True)
class _Split:
    """The query's terms split for a sparse stage (see MatchIndex._split): `rare` marks
    the terms whose posting lists are read; `squares` and `coverage` are the others'
    squared share of the query's norm and share of its weight; `needed` the points
    from grams and hub bias an entry sharing only those needs, and `length` how many
    entries, by hub bias, can have them."""

    rare: Bools
    squares: float
    coverage: float
    needed: float
    length: int


Key = Callable[[Scored], tuple[float, bool, int]]


class MatchIndex:
    """Everything about the FAQ that does not depend on the query, computed once.

    `phrasings` are (entry position, question text) pairs; scores come back per entry
    position, for `entry_count` entries.
    """

    def __init__(self, phrasings: Sequence[tuple[int, str]], entry_count: int) -> None:
        tables, order = build_tables(phrasings, entry_count)
        self._use(tables)
        owners = np.searchsorted(tables.phrasing_ptr, order, side="right") - 1
        sample = [(int(o), tables.texts[n]) for o, n in zip(owners.tolist(), order, strict=True)]
        bias = hub_bias(sample, entry_count, lambda text: self._partial(self._analyse(text)))
        self._use(replace(tables, hub_bias=bias))

    @classmethod
    def from_tables(cls, tables: Tables) -> MatchIndex:
        """An index over tables built elsewhere (see faq.transfer)."""
        index = cls.__new__(cls)
        index._use(tables)
        return index

    @property
    def tables(self) -> Tables:
        return self._tables

    @functools.cached_property
    def _gram_id(self) -> dict[str, int]:
        """Each gram's number, for looking up a question's grams (a dict: 3-4 times
        quicker than searching the sorted array). Built at the first question, not when
        an index is taken over (see faq.reload), where it would hold the event loop."""
        return {gram: number for number, gram in enumerate(self._tables.grams.tolist())}

    def _use(self, tables: Tables) -> None:
        self._tables = tables
        self._term_id = tables.term_id
        self.__dict__.pop("_gram_id", None)  # the cached_property, for these tables
        self._by_bias = np.argsort(tables.hub_bias, kind="stable")
        self._sorted_bias = tables.hub_bias[self._by_bias]

    def top(
        self,
        text: str,
        limit: int,
        preferred: Collection[int] = (),
        exhaustive: bool = False,
        floor: float = 0.0,
    ) -> list[Scored]:
        """The `limit` best (entry position, score 0-100) pairs, best first, score > 0.

        Equal scores go to `preferred` positions first, then lower positions. The
        spelling similarity reorders the best max(limit, _RESCORED) entries by the
        other four; `exhaustive` computes it for every entry instead, as if `limit`
        were the number of entries. With a `floor`, only the pairs scoring at least
        that come back (of the same list), which can be found without looking at
        most entries when the floor is high.
        """
        normalized = normalize(text)
        if not normalized or limit < 1:
            return []
        query = self._analyse(normalized)

        def key(item: Scored) -> tuple[float, bool, int]:
            return (-item[1], item[0] not in preferred, item[0])

        if exhaustive:
            return self._ranked(query, self._stage(query), limit, key)
        # Spelling adds at most _SPELLING raw points to an entry's total (see _final).
        least = self._raw_needed(query, floor) - _SPELLING
        stage = self._stage(query, least)
        exact: dict[int, tuple[float, float]] = {}

        def totals(positions: Ints) -> list[Scored]:
            points, best, eligible = self._exact(query, stage, positions)
            found = []
            for position, p, c, ok in zip(
                positions.tolist(), points.tolist(), best.tolist(), eligible.tolist(), strict=True
            ):
                if ok:
                    exact[position] = (p, c)
                    found.append((position, _total(p, c)))
            return found

        among = np.arange(self._tables.entry_count) if stage.among is None else stage.among
        upper = _total_bound(stage.points[among], stage.reach[among])
        keep = (upper > 0) & (upper >= least)
        chosen = _best(among[keep], upper[keep], max(limit, _RESCORED), totals, key)
        scored = [self._final(query, position, *exact[position]) for position, _ in chosen]
        kept = [item for item in scored if item is not None and item[1] >= floor]
        return sorted(kept, key=key)[:limit]

    def _raw_needed(self, query: _Query, floor: float) -> float:
        """The raw total (before stretching and the unknown-word penalty) a score of
        `floor` needs; minus infinity for no floor, infinity for one out of reach."""
        factor = 1.0 - _UNKNOWN_PENALTY * query.unknown
        if floor <= 0:
            return -math.inf
        if factor <= 0 or floor > 100.0 * factor:
            return math.inf
        # Scores are rounded to 9 decimals, so a little below the floor still counts.
        return float(100.0 * (floor / (100.0 * factor)) ** (1.0 / _STRETCH)) - 1e-6

    def rival(self, text: str, position: int) -> tuple[float, Scored | None]:
        """Entry `position`'s score for `text` and the best other entry, as ranking
        every entry exhaustively would give them (0.0 and None when there are none)."""
        normalized = normalize(text)
        if not normalized:
            return 0.0, None
        query = self._analyse(normalized)
        stage = self._stage(query)

        def key(item: Scored) -> tuple[float, bool, int]:
            return (-item[1], False, item[0])

        others = [item for item in self._ranked(query, stage, 2, key) if item[0] != position]
        own = self._finals(query, stage, np.array([position], dtype=np.int64))
        return (own[0][1] if own else 0.0), (others[0] if others else None)

    def _ranked(self, query: _Query, stage: _Stage, limit: int, key: Key) -> list[Scored]:
        """The `limit` best entries by their final score, spelling computed for each."""
        raw = _total_bound(stage.points + _SPELLING, stage.reach)
        factor = 1.0 - _UNKNOWN_PENALTY * query.unknown
        stretched = factor * 100.0 * np.minimum(1.0, np.maximum(raw, 0.0) / 100.0) ** _STRETCH
        live = np.flatnonzero(raw > 0)
        return _best(
            live,
            stretched[live] + _SLACK,
            limit,
            lambda positions: self._finals(query, stage, positions),
            key,
        )

    def _finals(self, query: _Query, stage: _Stage, positions: Ints) -> list[Scored]:
        points, best, eligible = self._exact(query, stage, positions)
        found = []
        for position, p, c, ok in zip(
            positions.tolist(), points.tolist(), best.tolist(), eligible.tolist(), strict=True
        ):
            item = self._final(query, position, p, c) if ok else None
            if item is not None:
                found.append(item)
        return found

    def _final(self, query: _Query, position: int, points: float, best: float) -> Scored | None:
        """The entry's score with spelling, stretched and shrunk; None unless positive."""
        ptr = self._tables.phrasing_ptr
        texts = self._tables.texts.between(int(ptr[position]), int(ptr[position + 1]))
        hit = process.extractOne(query.text, texts, scorer=fuzz.ratio)
        raw = _total(points + _SPELLING * (hit[1] / 100.0 if hit else 0.0), best)
        if raw <= 0:
            return None
        factor = 1.0 - _UNKNOWN_PENALTY * query.unknown
        # Rounded so that float noise (a cosine of 0.9999999999999999) breaks no tie.
        return position, round(factor * 100.0 * min(1.0, raw / 100.0) ** _STRETCH, 9)

    def _analyse(self, normalized: str) -> _Query:
        tables = self._tables
        weights = self._query_weights(set(terms(normalized)))
        known = [term for term in weights if term in self._term_id]
        total_weight = sum(weights.values())
        norm = math.sqrt(sum(weight * weight for weight in weights.values()))
        raw = np.array([weights[term] for term in known], dtype=np.float64)
        counts: dict[str, int] = {}
        for word in normalized.split():
            for gram in word_grams(word):
                counts[gram] = counts.get(gram, 0) + 1
        gram_id = self._gram_id
        ids = np.array([gram_id.get(gram, -1) for gram in counts], dtype=np.int64)
        found = ids >= 0
        gram_values = np.full(len(counts), tables.unknown_gram_weight)
        gram_values[found] = tables.gram_weight[ids[found]]
        gram_values *= np.log1p(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        gram_norm = float(np.sqrt(gram_values @ gram_values))
        known_set = set(known)
        unknown = sum(w for t, w in weights.items() if _unexplained(t, known_set))
        return _Query(
            text=normalized,
            term_ids=np.array([self._term_id[term] for term in known], dtype=np.int64),
            words=raw / norm if norm else raw * 0.0,
            known=raw,
            total_weight=total_weight,
            gram_ids=ids[found],
            grams=gram_values[found] / gram_norm if gram_norm else gram_values[found] * 0.0,
            unknown=unknown / total_weight if total_weight else 0.0,
        )

    def _words(self, query: _Query) -> tuple[Floats, Floats, Floats, Floats]:
        """Per entry: entry words cosine, coverage (share of the query's weight), the
        query's dot with the entry's phrasing peaks, and its squared norm in the entry's
        vocabulary."""
        tables = self._tables
        size = tables.entry_count
        positions, which = gather(tables.term_ptr, query.term_ids)
        entries = tables.term_entry[positions]
        words = query.words[which]
        return (
            np.bincount(entries, tables.term_words[positions] * words, minlength=size),
            np.bincount(
                entries, tables.term_coverage[positions] * query.known[which], minlength=size
            )
            / (query.total_weight or 1.0),
            np.bincount(entries, tables.term_peak[positions] * words, minlength=size),
            np.bincount(entries, words * words, minlength=size),
        )

    def _grams(self, gram_ids: Ints, weights: Floats) -> Floats:
        """The dot of these query grams with every entry's character vector."""
        tables = self._tables
        positions, which = gather(tables.gram_ptr, gram_ids)
        values = tables.gram_value[positions] * weights[which]
        result: Floats = np.bincount(
            tables.gram_entry[positions], values, minlength=tables.entry_count
        )
        return result

    def _partial(self, query: _Query) -> Floats:
        """Points from entry words, entry characters and coverage, for every entry."""
        entry_words, coverage, _, _ = self._words(query)
        grams = self._grams(query.gram_ids, query.grams)
        result: Floats = _ENTRY_WORDS * entry_words + _ENTRY_GRAMS * grams + _COVERAGE * coverage
        return result

    def _stage(self, query: _Query, least: float = -math.inf) -> _Stage:
        """What the posting lists give for every entry. When only entries whose total
        (spelling aside) can reach `least` matter, see _sparse_stage."""
        words = np.zeros(len(self._tables.vocabulary), dtype=np.float64)
        words[query.term_ids] = query.words
        if least > -math.inf:
            return self._sparse_stage(query, words, least)
        entry_words, coverage, peaks, in_vocabulary = self._words(query)
        return self._finish(query, words, entry_words, coverage, peaks, in_vocabulary)

    def _sparse_stage(self, query: _Query, words: Floats, least: float) -> _Stage:
        """The stage for the entries whose total can reach `least`, read without the
        posting lists of the query's common terms, which are long (which terms are
        common depends on the query, see _split).

        An entry that shares no rare term with the query gets its word similarities
        from the common terms alone, so they are at most what those terms give (and its
        best phrasing's cosine at most their share of the query's norm); with its gram
        bound and its hub bias that bounds its total. An entry that shares rare terms
        is bounded likewise, by the common terms and the rare ones it shares. Only the
        entries whose bound reaches `least` get their word similarities from their own
        rows of terms.
        """
        tables = self._tables
        size = tables.entry_count
        grams, common, common_norm, common_most = self._gram_stage(query)
        rare_norm = math.sqrt(max(0.0, float(query.grams @ query.grams - common @ common)))
        most = _ENTRY_GRAMS * min(1.0, rare_norm + min(common_norm, common_most))
        split = self._split(query, least, most)
        items, which = gather(tables.term_ptr, query.term_ids[split.rare])
        sharing, row = np.unique(tables.term_entry[items], return_inverse=True)
        words_shared = query.words[split.rare][which]
        share = np.sqrt(np.bincount(row, words_shared * words_shared) + split.squares)
        coverage = (
            np.bincount(row, query.known[split.rare][which]) / (query.total_weight or 1.0)
            + split.coverage
        )
        points = _ENTRY_WORDS * share + _COVERAGE * coverage
        points += self._others(grams, common_norm, common_most, sharing)
        sharing = sharing[_total_bound(points, np.minimum(1.0, share)) >= least]
        # Entries by hub bias, most negative first: only a prefix can have enough points.
        prefix = self._by_bias[: split.length]
        bounded = prefix[self._others(grams, common_norm, common_most, prefix) >= split.needed]
        among = np.union1d(sharing, bounded)
        stage = _Stage(
            entry_words=np.zeros(size, dtype=np.float64),
            coverage=np.zeros(size, dtype=np.float64),
            rare_grams=grams,
            common=common,
            term_weights=words,
            points=np.zeros(size, dtype=np.float64),
            reach=np.zeros(size, dtype=np.float64),
            among=among,
        )
        self._fill(query, stage, among, self._others(grams, common_norm, common_most, among))
        return stage

    def _split(self, query: _Query, least: float, most: float) -> _Split:
        """Which of the query's terms to read the posting lists of (the rare ones), so
        that the fewest entries are read: the posting lists of the rare terms, plus the
        entries whose hub bias is low enough to reach `least` with the other terms
        alone. Any split gives the same result. Terms are tried rare from the fewest
        entries up.
        """
        tables = self._tables
        df = (tables.term_ptr[query.term_ids + 1] - tables.term_ptr[query.term_ids]).tolist()
        words, known = query.words.tolist(), query.known.tolist()
        order = sorted(range(len(df)), key=df.__getitem__)
        # For j = 0..n: the first j terms of `order` rare, the others common (a handful
        # of terms: plain floats are quicker than arrays here).
        squares, coverage = [0.0] * (len(df) + 1), [0.0] * (len(df) + 1)
        for j in reversed(range(len(df))):
            squares[j] = squares[j + 1] + words[order[j]] ** 2
            coverage[j] = coverage[j + 1] + known[order[j]] / (query.total_weight or 1.0)
        chosen = _Split(np.zeros(len(df), dtype=bool), 0.0, 0.0, -math.inf, 0)
        fewest, read = math.inf, 0
        for j in range(len(df) + 1):
            needed = _needed(least, math.sqrt(squares[j]), coverage[j])
            length = int(np.searchsorted(self._sorted_bias, most - needed, side="right"))
            if read + length < fewest:
                fewest = read + length
                rare = np.zeros(len(df), dtype=bool)
                rare[order[:j]] = True
                chosen = _Split(rare, squares[j], coverage[j], needed, length)
            if j < len(df):
                read += df[order[j]]
        return chosen

    def _others(self, grams: Floats, norm: float, most: float, positions: Ints) -> Floats:
        """Points from grams (the common ones bounded) and hub bias, of these entries."""
        tables = self._tables
        common = np.minimum(norm * tables.common_norm[positions], most)
        result: Floats = _ENTRY_GRAMS * (grams[positions] + common) - tables.hub_bias[positions]
        return result

    def _fill(self, query: _Query, stage: _Stage, positions: Ints, others: Floats) -> None:
        """Word similarities of these entries from their rows of terms, and their bounds;
        `others` are their points from grams (bounded) and hub bias."""
        tables = self._tables
        items, which = gather(tables.entry_term_ptr, positions)
        terms_of = tables.entry_term[items]
        known = np.zeros(len(tables.vocabulary), dtype=np.float64)
        known[query.term_ids] = query.known
        count = len(positions)
        words = stage.term_weights[terms_of]
        entry_words = np.bincount(which, tables.entry_term_words[items] * words, minlength=count)
        coverage = np.bincount(
            which, tables.entry_term_coverage[items] * known[terms_of], minlength=count
        ) / (query.total_weight or 1.0)
        peaks = np.bincount(which, tables.entry_term_peak[items] * words, minlength=count)
        in_vocabulary = np.bincount(which, words * words, minlength=count)
        stage.entry_words[positions] = entry_words
        stage.coverage[positions] = coverage
        stage.points[positions] = _ENTRY_WORDS * entry_words + _COVERAGE * coverage + others
        stage.reach[positions] = np.minimum(1.0, np.minimum(peaks, np.sqrt(in_vocabulary)))

    def _finish(
        self,
        query: _Query,
        words: Floats,
        entry_words: Floats,
        coverage: Floats,
        peaks: Floats,
        in_vocabulary: Floats,
    ) -> _Stage:
        grams, common, common_norm, common_most = self._gram_stage(query)
        everyone = np.arange(self._tables.entry_count)
        return _Stage(
            entry_words=entry_words,
            coverage=coverage,
            rare_grams=grams,
            common=common,
            term_weights=words,
            points=_ENTRY_WORDS * entry_words
            + _COVERAGE * coverage
            + self._others(grams, common_norm, common_most, everyone),
            reach=np.minimum(1.0, np.minimum(peaks, np.sqrt(in_vocabulary))),
        )

    def _gram_stage(self, query: _Query) -> tuple[Floats, Floats, float, float]:
        """Per entry the rare grams' part of the character similarity; the query's
        common grams as a dense vector, their norm, and the most they can add to any
        entry's similarity (their weight times each gram's largest value). An entry's
        common part is at most the norm times its own norm over common grams
        (Cauchy-Schwarz), and at most that most."""
        tables = self._tables
        common_index = tables.gram_common[query.gram_ids]
        is_common = common_index >= 0
        rare = self._grams(query.gram_ids[~is_common], query.grams[~is_common])
        weights = query.grams[is_common]
        common = np.zeros(len(tables.common_peak), dtype=np.float64)
        common[common_index[is_common]] = weights
        most = float(weights @ tables.common_peak[common_index[is_common]])
        return rare, common, float(np.sqrt(weights @ weights)), most

    def _exact(self, query: _Query, stage: _Stage, positions: Ints) -> tuple[Floats, Floats, Bools]:
        """For these entries: points (spelling aside), best phrasing cosine, and whether
        the entry is in the running at all: the earlier exhaustive search looked only at
        entries whose score with the best phrasing's bound in place of its cosine was
        positive, and the results keep that rule."""
        tables = self._tables
        count = len(positions)
        items, which = gather(tables.common_ptr, positions)
        common = np.bincount(
            which,
            tables.common_value[items] * stage.common[tables.common_gram[items]],
            minlength=count,
        )
        points = (
            _ENTRY_WORDS * stage.entry_words[positions]
            + _ENTRY_GRAMS * (stage.rare_grams[positions] + common)
            + _COVERAGE * stage.coverage[positions]
            - tables.hub_bias[positions]
        )
        phrasings, owner = gather(tables.phrasing_ptr, positions)
        items, which = gather(tables.phrasing_term_ptr, phrasings)
        cosines = np.bincount(
            which,
            tables.phrasing_value[items] * stage.term_weights[tables.phrasing_term[items]],
            minlength=len(phrasings),
        )
        best = max_per_group(owner, cosines, count)
        return points, best, _totals(points, stage.reach[positions]) > 0

    def _query_weights(self, query_terms: set[str]) -> dict[str, float]:
        """Weight of each query term; unknown terms map to close known ones (typos).

        A term with no close known term keeps its weight under a key no entry has, so it
        lowers every entry's score alike; a fuzzy match keeps the unmatched part likewise.
        """
        weights: dict[str, float] = {}
        for term in query_terms:
            number = self._term_id.get(term)
            if number is not None:
                weights[term] = max(weights.get(term, 0.0), float(self._tables.term_weight[number]))
                continue
            hit = None
            if len(term) >= _FUZZY_MIN_LENGTH:
                hit = closest(term, self._tables.vocabulary, self._tables.bigrams)
            if hit is None:
                weights["\0" + term] = self._tables.unknown_term_weight
                continue
            known, similarity = hit[0], hit[1] / 100.0
            full = float(self._tables.term_weight[self._term_id[known]])
            weights[known] = max(weights.get(known, 0.0), full * similarity)
            weights["\0" + term] = full * (1.0 - similarity)
        return weights


def _best(
    live: Ints, upper: Floats, limit: int, score: Callable[[Ints], list[Scored]], key: Key
) -> list[Scored]:
    """The `limit` best of the `live` entries by `key`, given an upper bound on each
    one's score.

    `score` gives the exact scores of some entries (leaving out those not in the
    running). Entries are scored in rounds of growing size, highest bounds first; after
    each round only entries whose bound reaches the limit-th best score so far can
    still get in.
    """
    found: list[Scored] = []
    size = _ROUND
    while len(live):
        if len(live) > 2 * size:
            chosen = np.argpartition(-upper, size - 1)[:size]
            batch = live[chosen]
            live = np.delete(live, chosen)
            upper = np.delete(upper, chosen)
        else:
            batch, live, upper = live, live[:0], upper[:0]
        found.extend(score(batch))
        found.sort(key=key)
        if len(found) >= limit:
            keep = upper >= found[limit - 1][1]
            live, upper = live[keep], upper[keep]
        size *= 2
    return found[:limit]
