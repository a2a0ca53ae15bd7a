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
_hub_bias). A query close to one phrasing is pulled towards 100 (see _total). The
result is stretched (see _STRETCH) and shrunk by the share of the query's weight that
no FAQ term explains (see _UNKNOWN_PENALTY), so a question about something else scores
low everywhere even when its few familiar words fit an entry well.

Query words that are not in the FAQ's vocabulary are mapped to their closest known
term with rapidfuzz (typos); the part of a word no term explains stays unknown.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from faq.match_terms import NUMBER, terms
from faq.match_vectors import Vector, char_ngrams, dot, idf, postings, unit
from faq.normalize import normalize

Scored = tuple[int, float]

_IDF_POWER = 0.7
_SATURATION = 1.2
_FUZZY_MIN_LENGTH = 4
_FUZZY_CUTOFF = 80.0
# Points each similarity (0..1) contributes to the 0-100 score.
_ENTRY_WORDS = 20.0
_BEST_PHRASING = 20.0
_ENTRY_GRAMS = 20.0
_COVERAGE = 20.0
_SPELLING = 20.0
# Spelling is computed for this many best entries by the other four similarities.
_RESCORED = 8
# Hub bias: at most _HUB_SAMPLE phrasings stand in for questions; an entry's pull is
# the mean of the top _HUB_SHARE (at least _HUB_MIN_TOP) of the points it gets from
# other entries' phrasings, and _HUB_WEIGHT times its excess over the average pull is
# taken off its points.
_HUB_SAMPLE = 1000
_HUB_SHARE = 0.02
_HUB_WEIGHT = 0.75
_HUB_MIN_TOP = 3
# The final score is multiplied by 1 - _UNKNOWN_PENALTY * (unknown share of the query).
_UNKNOWN_PENALTY = 0.5
# The sum is stretched by 100 * (sum / 100) ** _STRETCH, which keeps 0 and 100 and the
# order, so that the default thresholds mean something: on CLINC150's held-out splits
# (5-20 phrasings per entry) 80-88% of unrelated questions score under 40, and answers
# scoring 60 with a lead of 4 are right about 9 times in 10.
_STRETCH = 0.7
_NEAR_COPY_POWER = 4


def _total(points: float, best_phrasing: float) -> float:
    """The raw 0-100 score from the other similarities' points and the best phrasing's
    cosine. A near-copy of one phrasing then closes most of the remaining gap to 100
    (an FAQ question itself scores 100), however different the entry's other phrasings
    are; the function rises with both arguments, so bounds stay bounds.
    """
    gap = 100.0 - points - _BEST_PHRASING * best_phrasing
    return 100.0 - gap * (1.0 - best_phrasing**_NEAR_COPY_POWER)


def _unexplained(key: str, known: Collection[str]) -> bool:
    """Whether a query weight's key is content no FAQ term explains. Numbers and codes
    ("12345", "31m", "dl123") are left out: order numbers, dates and amounts are the
    customer's particulars, not a topic the FAQ lacks."""
    return key not in known and not any(ch.isdigit() for ch in key) and key != "\0" + NUMBER


@dataclass(frozen=True)
class _Query:
    """A question analysed against the index's vocabulary.

    `words` is the unit term vector, unknown words included under keys no entry has;
    `known` holds the raw weights of the terms the FAQ has; `unknown` is the share of
    the total weight that no FAQ term explains, numbers aside (see _unexplained).
    """

    text: str
    words: Vector
    known: Vector
    total_weight: float
    grams: Vector
    unknown: float


class MatchIndex:
    """Everything about the FAQ that does not depend on the query, computed once.

    `phrasings` are (entry position, question text) pairs; scores come back per entry
    position, for `entry_count` entries.
    """

    def __init__(self, phrasings: Sequence[tuple[int, str]], entry_count: int) -> None:
        self._entry_count = entry_count
        analysed = []
        for owner, question in phrasings:
            text = normalize(question)
            if text:
                analysed.append((owner, text, set(terms(text)), char_ngrams(text.split())))
        phrasing_count = Counter(owner for owner, _, _, _ in analysed)
        entry_terms: list[Counter[str]] = [Counter() for _ in range(entry_count)]
        entry_grams: list[Counter[str]] = [Counter() for _ in range(entry_count)]
        self._texts: list[list[str]] = [[] for _ in range(entry_count)]
        for owner, text, words, grams in analysed:
            entry_terms[owner].update(words)
            entry_grams[owner].update(grams)
            self._texts[owner].append(text)

        term_df = Counter(term for counts in entry_terms for term in counts)
        self._term_weight = {
            term: idf(df, entry_count) ** _IDF_POWER for term, df in term_df.items()
        }
        self._unknown_term_weight = idf(0, entry_count) ** _IDF_POWER
        self._vocabulary = sorted(self._term_weight)
        gram_df = Counter(gram for counts in entry_grams for gram in counts)
        self._gram_weight = {gram: idf(df, entry_count) for gram, df in gram_df.items()}
        self._unknown_gram_weight = idf(0, entry_count)

        shares = [
            {term: count / phrasing_count[owner] for term, count in counts.items()}
            for owner, counts in enumerate(entry_terms)
        ]
        self._entry_words = postings(
            unit({term: self._term_weight[term] * math.sqrt(share) for term, share in s.items()})
            for s in shares
        )
        self._coverage = postings(
            {term: share * (_SATURATION + 1.0) / (share + _SATURATION) for term, share in s.items()}
            for s in shares
        )
        self._vocabularies = postings(dict.fromkeys(counts, 1.0) for counts in entry_terms)
        self._entry_grams = postings(
            unit({gram: self._gram_weight[gram] * math.log1p(n) for gram, n in counts.items()})
            for counts in entry_grams
        )
        phrasings_of: list[list[Vector]] = [[] for _ in range(entry_count)]
        for owner, _, words, _ in analysed:
            phrasings_of[owner].append(unit({term: self._term_weight[term] for term in words}))
        self._entry_phrasings = [(postings(vectors), len(vectors)) for vectors in phrasings_of]
        self._phrasing_peaks = postings(
            {term: max(value for _, value in index) for term, index in entry_index.items()}
            for entry_index, _ in self._entry_phrasings
        )
        self._hub_bias = self._hubs([(owner, text) for owner, text, _, _ in analysed])

    def top(self, text: str, limit: int, preferred: Collection[int] = ()) -> list[Scored]:
        """The `limit` best (entry position, score 0-100) pairs, best first, score > 0.

        Equal scores go to `preferred` positions first, then lower positions. The best
        phrasing is the costly part with many phrasings, so it is computed only for
        entries whose upper bound can still reach the top. A phrasing's cosine with the
        query is at most the norm of the query's part in the entry's vocabulary (the
        phrasing is a unit vector there), and at most the query dotted with the largest
        weight each term has in any of the entry's phrasings. The spelling similarity
        then reorders the best max(limit, _RESCORED) entries.
        """
        size = self._entry_count
        normalized = normalize(text)
        if not normalized or limit < 1:
            return []
        query = self._analyse(normalized)
        partial = [
            points - bias for points, bias in zip(self._partial(query), self._hub_bias, strict=True)
        ]
        in_vocabulary = dot({t: query.words[t] ** 2 for t in query.known}, self._vocabularies, size)
        peaks = dot(query.words, self._phrasing_peaks, size)
        bound = [
            _total(partial[i], min(1.0, peaks[i], math.sqrt(in_vocabulary[i]))) for i in range(size)
        ]

        def key(item: Scored) -> tuple[float, bool, int]:
            return (-item[1], item[0] not in preferred, item[0])

        wanted = max(limit, _RESCORED)
        best: list[Scored] = []
        cosines: dict[int, float] = {}
        for position in sorted(range(size), key=lambda i: -bound[i]):
            if bound[position] <= 0.0:
                break
            if len(best) >= wanted and bound[position] < best[-1][1]:
                break
            entry_index, count = self._entry_phrasings[position]
            cosines[position] = max(dot(query.words, entry_index, count), default=0.0)
            best.append((position, _total(partial[position], cosines[position])))
            best.sort(key=key)
            del best[wanted:]
        factor = 1.0 - _UNKNOWN_PENALTY * query.unknown
        scored = []
        for position, _ in best:
            points = partial[position] + _SPELLING * self._spelling(query, position)
            raw = _total(points, cosines[position])
            if raw > 0:
                # Rounded so that float noise (a cosine of 0.9999999999999999) breaks no tie.
                score = factor * 100.0 * min(1.0, raw / 100.0) ** _STRETCH
                scored.append((position, round(score, 9)))
        scored.sort(key=key)
        return scored[:limit]

    def _analyse(self, normalized: str) -> _Query:
        weights = self._query_weights(set(terms(normalized)))
        known = {term: weight for term, weight in weights.items() if term in self._term_weight}
        total_weight = sum(weights.values())
        grams = char_ngrams(normalized.split())
        return _Query(
            text=normalized,
            words=unit(weights),
            known=known,
            total_weight=total_weight,
            grams=unit(
                {
                    gram: self._gram_weight.get(gram, self._unknown_gram_weight) * math.log1p(n)
                    for gram, n in grams.items()
                }
            ),
            unknown=sum(w for t, w in weights.items() if _unexplained(t, known)) / total_weight
            if total_weight
            else 0.0,
        )

    def _partial(self, query: _Query) -> list[float]:
        """Points from entry words, entry characters and coverage, for every entry."""
        size = self._entry_count
        entry_words = dot(query.words, self._entry_words, size)
        entry_grams = dot(query.grams, self._entry_grams, size)
        coverage = dot(query.known, self._coverage, size)
        total = query.total_weight or 1.0
        return [
            _ENTRY_WORDS * entry_words[i]
            + _ENTRY_GRAMS * entry_grams[i]
            + _COVERAGE * coverage[i] / total
            for i in range(size)
        ]

    def _spelling(self, query: _Query, position: int) -> float:
        hit = process.extractOne(query.text, self._texts[position], scorer=fuzz.ratio)
        return hit[1] / 100.0 if hit else 0.0

    def _hubs(self, phrasings: Sequence[tuple[int, str]]) -> list[float]:
        """Points to take off each entry's score: its excess pull over the average.

        A hub is an entry whose words are common in every kind of question, so it
        scores fairly well against questions meant for other entries and wins too many
        close calls. The FAQ's own phrasings (every n-th, at most _HUB_SAMPLE) stand in
        for questions; an entry's pull is the mean of the best _HUB_SHARE of the points
        it gets from phrasings of other entries (the hubness correction of cross-domain
        similarity local scaling, CSLS), over at least _HUB_MIN_TOP of them, as a single
        phrasing of a small FAQ is too noisy an estimate.
        """
        size = self._entry_count
        sample = phrasings[:: max(1, math.ceil(len(phrasings) / _HUB_SAMPLE))]
        if size < 2 or len(sample) < 2:
            return [0.0] * size
        received: list[list[float]] = [[] for _ in range(size)]
        for owner, text in sample:
            for position, points in enumerate(self._partial(self._analyse(text))):
                if position != owner:
                    received[position].append(points)
        top = max(_HUB_MIN_TOP, round(_HUB_SHARE * len(sample)))
        pull = [
            sum(heapq.nlargest(top, points)) / max(1, min(top, len(points))) for points in received
        ]
        average = sum(pull) / size
        return [_HUB_WEIGHT * (own - average) for own in pull]

    def _query_weights(self, query_terms: set[str]) -> Vector:
        """Weight of each query term; unknown terms map to close known ones (typos).

        A term with no close known term keeps its weight under a key no entry has, so it
        lowers every entry's score alike; a fuzzy match keeps the unmatched part likewise.
        """
        weights: Vector = {}
        for term in query_terms:
            if term in self._term_weight:
                weights[term] = max(weights.get(term, 0.0), self._term_weight[term])
                continue
            hit = None
            if len(term) >= _FUZZY_MIN_LENGTH and self._vocabulary:
                hit = process.extractOne(
                    term, self._vocabulary, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
                )
            if hit is None:
                weights["\0" + term] = self._unknown_term_weight
                continue
            known, similarity = hit[0], hit[1] / 100.0
            full = self._term_weight[known]
            weights[known] = max(weights.get(known, 0.0), full * similarity)
            weights["\0" + term] = full * (1.0 - similarity)
        return weights
