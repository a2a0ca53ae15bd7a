"""The precomputed search index behind the matcher and the scores it gives.

Four similarities, each in 0..1, give up to 25 points each:

* entry words: cosine between the query and all phrasings of an entry pooled, with
  IDF term weights computed over the FAQ's own entries;
* best phrasing: cosine between the query and the single closest phrasing;
* entry characters: cosine over character 3-5-grams of the words, which catches
  inflections, compounds and typos that whole words miss;
* coverage: how much of the query's weight the entry's vocabulary explains, so a
  long question that only shares one word with an entry scores low.

A query close to one phrasing is pulled towards 100 (see _total), and the result is
stretched (see _STRETCH) so the default thresholds fit it.

Query words that are not in the FAQ's vocabulary are mapped to their closest known
term with rapidfuzz (typos); words with no close term still count in the query's
weight, so a question about something else scores low everywhere.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence

from rapidfuzz import fuzz, process

from faq.match_terms import terms
from faq.normalize import normalize

Vector = dict[str, float]
Scored = tuple[int, float]
Postings = dict[str, list[tuple[int, float]]]

_IDF_POWER = 0.7
_SATURATION = 1.2
_NGRAM_SIZES = (3, 4, 5)
_FUZZY_MIN_LENGTH = 4
_FUZZY_CUTOFF = 80.0
# Points each similarity (0..1) contributes to the 0-100 score.
_ENTRY_WORDS = 25.0
_BEST_PHRASING = 25.0
_ENTRY_GRAMS = 25.0
_COVERAGE = 25.0
# The sum is stretched by 100 * (sum / 100) ** _STRETCH, which keeps 0 and 100 and the
# order, so that the default thresholds mean something: on CLINC150 (5-20 phrasings per
# entry) about 90% of unrelated questions score under 40, and answers scoring 60 with a
# lead of 4 are right about 9 times in 10.
_STRETCH = 0.7
_NEAR_COPY_POWER = 4


def _idf(document_frequency: int, documents: int) -> float:
    """BM25's smoothed IDF: positive even for a term every document has."""
    return math.log(1.0 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


def _total(partial: float, best_phrasing: float) -> float:
    """The raw 0-100 score from the other three similarities' points and the best
    phrasing's cosine. A near-copy of one phrasing then closes most of the remaining
    gap to 100 (an FAQ question itself scores 100), however different the entry's
    other phrasings are; the function rises with both arguments, so bounds stay bounds.
    """
    points = partial + _BEST_PHRASING * best_phrasing
    return points + (100.0 - points) * best_phrasing**_NEAR_COPY_POWER


def _unit(vector: Mapping[str, float]) -> Vector:
    norm = math.sqrt(sum(value * value for value in vector.values()))
    if norm == 0.0:
        return {}
    return {key: value / norm for key, value in vector.items()}


def _postings(vectors: Iterable[Mapping[str, float]]) -> Postings:
    index: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
    for position, vector in enumerate(vectors):
        for key, value in vector.items():
            index[key].append((position, value))
    return dict(index)


def _dot(query: Mapping[str, float], postings: Postings, size: int) -> list[float]:
    totals = [0.0] * size
    for key, weight in query.items():
        for position, value in postings.get(key, ()):
            totals[position] += weight * value
    return totals


def char_ngrams(words: Iterable[str]) -> Counter[str]:
    """Character n-grams of each word padded with spaces, so word edges count."""
    grams: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        for size in _NGRAM_SIZES:
            grams.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams


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
                analysed.append((owner, set(terms(text)), char_ngrams(text.split())))
        phrasing_count = Counter(owner for owner, _, _ in analysed)
        entry_terms: list[Counter[str]] = [Counter() for _ in range(entry_count)]
        entry_grams: list[Counter[str]] = [Counter() for _ in range(entry_count)]
        for owner, words, grams in analysed:
            entry_terms[owner].update(words)
            entry_grams[owner].update(grams)

        term_df = Counter(term for counts in entry_terms for term in counts)
        self._term_weight = {
            term: _idf(df, entry_count) ** _IDF_POWER for term, df in term_df.items()
        }
        self._unknown_term_weight = _idf(0, entry_count) ** _IDF_POWER
        self._vocabulary = sorted(self._term_weight)
        gram_df = Counter(gram for counts in entry_grams for gram in counts)
        self._gram_weight = {gram: _idf(df, entry_count) for gram, df in gram_df.items()}
        self._unknown_gram_weight = _idf(0, entry_count)

        shares = [
            {term: count / phrasing_count[owner] for term, count in counts.items()}
            for owner, counts in enumerate(entry_terms)
        ]
        self._entry_words = _postings(
            _unit({term: self._term_weight[term] * math.sqrt(share) for term, share in s.items()})
            for s in shares
        )
        self._coverage = _postings(
            {term: share * (_SATURATION + 1.0) / (share + _SATURATION) for term, share in s.items()}
            for s in shares
        )
        self._vocabularies = _postings(dict.fromkeys(counts, 1.0) for counts in entry_terms)
        self._entry_grams = _postings(
            _unit({gram: self._gram_weight[gram] * math.log1p(n) for gram, n in counts.items()})
            for counts in entry_grams
        )
        self._texts: list[list[str]] = [[] for _ in range(entry_count)]
        for owner, question in phrasings:
            if normalize(question):
                import os
                self._texts[owner].append(" ".join(terms(normalize(question))) if os.environ.get("XT") else normalize(question))
        phrasings_of: list[list[Vector]] = [[] for _ in range(entry_count)]
        for owner, words, _ in analysed:
            phrasings_of[owner].append(_unit({term: self._term_weight[term] for term in words}))
        self._entry_phrasings = [(_postings(vectors), len(vectors)) for vectors in phrasings_of]
        self._phrasing_peaks = _postings(
            {term: max(value for _, value in postings) for term, postings in index.items()}
            for index, _ in self._entry_phrasings
        )

    def top(self, text: str, limit: int, preferred: Collection[int] = ()) -> list[Scored]:
        """The `limit` best (entry position, score 0-100) pairs, best first, score > 0.

        Equal scores go to `preferred` positions first, then lower positions. The best
        phrasing is the costly part with many phrasings, so it is computed only for
        entries whose upper bound can still reach the top. A phrasing's cosine with the
        query is at most the norm of the query's part in the entry's vocabulary (the
        phrasing is a unit vector there), and at most the query dotted with the largest
        weight each term has in any of the entry's phrasings.
        """
        size = self._entry_count
        normalized = normalize(text)
        if not normalized or limit < 1:
            return []
        weights = self._query_weights(set(terms(normalized)))
        known = {term: weight for term, weight in weights.items() if term in self._term_weight}
        total_weight = sum(weights.values())
        query = _unit(weights)
        grams = char_ngrams(normalized.split())
        gram_query = _unit(
            {
                gram: self._gram_weight.get(gram, self._unknown_gram_weight) * math.log1p(n)
                for gram, n in grams.items()
            }
        )
        entry_words = _dot(query, self._entry_words, size)
        coverage = _dot(known, self._coverage, size)
        entry_grams = _dot(gram_query, self._entry_grams, size)
        in_vocabulary = _dot({t: query[t] ** 2 for t in known}, self._vocabularies, size)
        peaks = _dot(query, self._phrasing_peaks, size)
        partial = [
            _ENTRY_WORDS * entry_words[i]
            + _ENTRY_GRAMS * entry_grams[i]
            + _COVERAGE * coverage[i] / total_weight
            for i in range(size)
        ]
        bound = [
            _total(partial[i], min(1.0, peaks[i], math.sqrt(in_vocabulary[i]))) for i in range(size)
        ]

        def key(item: Scored) -> tuple[float, bool, int]:
            return (-item[1], item[0] not in preferred, item[0])

        import os
        ratio_points = float(os.environ.get("XR", "0"))
        wanted = max(limit, int(os.environ.get("XN", "8")))
        best: list[Scored] = []
        cos: dict[int, float] = {}
        for position in sorted(range(size), key=lambda i: -bound[i]):
            if bound[position] <= 0.0:
                break
            if len(best) >= wanted and bound[position] < best[-1][1]:
                break
            postings, count = self._entry_phrasings[position]
            phrasing = max(_dot(query, postings, count), default=0.0)
            cos[position] = phrasing
            best.append((position, _total(partial[position], phrasing)))
            best.sort(key=key)
            del best[wanted:]
        qtext = " ".join(terms(normalized)) if os.environ.get("XT") else normalized
        if ratio_points:
            scale = 100.0 / (100.0 + ratio_points)
            rescored = []
            for position, _ in best:
                hit = process.extractOne(qtext, self._texts[position], scorer=getattr(fuzz, os.environ.get("XS", "ratio")))
                r = hit[1] / 100.0 if hit else 0.0
                rescored.append((position, _total(scale * (partial[position] + _BEST_PHRASING * cos[position] + ratio_points * r) - _BEST_PHRASING * cos[position], cos[position])))
            best = sorted(rescored, key=key)
        del best[limit:]
        lam = float(os.environ.get("XLAM", "0"))
        unknown = sum(w for t, w in weights.items() if t not in self._term_weight) / total_weight
        factor = 1.0 - lam * unknown
        return [
            (position, factor * 100.0 * min(1.0, raw / 100.0) ** _STRETCH)
            for position, raw in best
            if raw > 0
        ]

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
