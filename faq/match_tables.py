"""The arrays behind the FAQ index, built once per FAQ (see faq.match_index for the scores).

Everything is a flat numpy array or a plain list of strings, so a table set is cheap to
send from the process that builds it to the one that serves it (see faq.transfer).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from faq.match_arrays import (
    Floats,
    Ints,
    Strings,
    gather,
    idf,
    max_per_group,
    row_pointers,
    unit_per_row,
)
from faq.match_fuzzy import BigramTable, bigram_table
from faq.match_terms import terms
from faq.normalize import normalize

NGRAM_SIZES = (3, 4, 5)
IDF_POWER = 0.7
SATURATION = 1.2
# A gram found in more than max(_COMMON_MIN, min(entries / _COMMON_SHARE, _COMMON_MAX))
# entries is common: queries bound its share of the character similarity instead of
# reading its long posting list (see MatchIndex._stage).
_COMMON_MIN = 32
_COMMON_SHARE = 16
_COMMON_MAX = 256
# Words whose grams are counted at a time while building.
_TOKENS_AT_ONCE = 50_000


@dataclass(frozen=True)
class Tables:
    """The query-independent part of the index.

    Terms: `vocabulary` (sorted; `term_id` numbers them) and, per term,
    `term_weight` and its entries
    (`term_ptr`, `term_entry`) with three values each: the entry's unit word vector
    (`term_words`), its coverage value (`term_coverage`) and the largest weight the
    term has in one of the entry's phrasings (`term_peak`); the same again per entry
    (`entry_term_ptr`, `entry_term`, `entry_term_words`, ...). Grams: `grams` (sorted),
    `gram_weight`, their entries
    (`gram_ptr`, `gram_entry`, `gram_value`: the unit character vectors); the common
    grams (`gram_common` >= 0) again per entry (`common_ptr`, `common_gram`,
    `common_value`), with each entry's norm over them (`common_norm`) and each common
    gram's largest value (`common_peak`). Phrasings: entry e owns phrasings
    phrasing_ptr[e]:phrasing_ptr[e + 1], each a unit term vector (`phrasing_term_ptr`,
    `phrasing_term`, `phrasing_value`) and a normalized text (`texts`). `bigrams` finds
    terms close to an unknown word. `hub_bias`: points taken off each entry.
    """

    entry_count: int
    vocabulary: Strings
    term_id: dict[str, int]
    term_weight: Floats
    unknown_term_weight: float
    term_ptr: Ints
    term_entry: Ints
    term_words: Floats
    term_coverage: Floats
    term_peak: Floats
    entry_term_ptr: Ints
    entry_term: Ints
    entry_term_words: Floats
    entry_term_coverage: Floats
    entry_term_peak: Floats
    grams: np.ndarray
    gram_weight: Floats
    unknown_gram_weight: float
    gram_ptr: Ints
    gram_entry: Ints
    gram_value: Floats
    gram_common: Ints
    common_ptr: Ints
    common_gram: Ints
    common_value: Floats
    common_norm: Floats
    common_peak: Floats
    phrasing_ptr: Ints
    phrasing_term_ptr: Ints
    phrasing_term: Ints
    phrasing_value: Floats
    texts: Strings
    bigrams: BigramTable
    hub_bias: Floats


@dataclass(frozen=True)
class _Analysed:
    """The FAQ's phrasings with words, sorted by owner (stable): owner, normalized text,
    terms and words (as numbers into `words`) of each; `order` is the input order of
    those same phrasings, as positions into the sorted lists."""

    owners: list[int]
    texts: list[str]
    terms: list[list[str]]
    tokens: list[list[int]]
    words: list[str]
    order: list[int]


def _blocks(start: Ints, tokens: int) -> list[tuple[int, int]]:
    """Token ranges of whole entries (entry e's tokens are start[e]:start[e + 1]), each
    of about `tokens` tokens or one entry."""
    bounds = [0]
    for end in start[1:].tolist():
        if end - bounds[-1] >= tokens:
            bounds.append(end)
    if bounds[-1] != int(start[-1]):
        bounds.append(int(start[-1]))
    return list(itertools.pairwise(bounds))


def _join(parts: list[Any], dtype: type[np.generic]) -> Any:
    """The parts one after another, each dropped from `parts` once copied."""
    joined = np.empty(sum(len(part) for part in parts), dtype=dtype)
    start = 0
    while parts:
        part = parts.pop(0)
        joined[start : start + len(part)] = part
        start += len(part)
    return joined


def word_grams(word: str) -> list[str]:
    """Character n-grams of one word padded with spaces, so that word edges count."""
    padded = f" {word} "
    return [padded[i : i + size] for size in NGRAM_SIZES for i in range(len(padded) - size + 1)]


def build_tables(
    phrasings: Sequence[tuple[int, str]], entry_count: int
) -> tuple[Tables, list[int]]:
    """The tables for (entry position, question) pairs, with no hub bias yet, and the
    phrasing numbers (into the tables) in input order, for sampling."""
    analysed = _analyse(phrasings)
    term_part = _term_tables(analysed, entry_count)
    gram_part = _gram_tables(analysed, entry_count)
    owners = np.asarray(analysed.owners, dtype=np.int64)
    tables = Tables(
        entry_count=entry_count,
        **term_part,
        **gram_part,
        phrasing_ptr=row_pointers(owners, entry_count),
        texts=Strings.of(analysed.texts),
        hub_bias=np.zeros(entry_count, dtype=np.float64),
    )
    return tables, analysed.order


def _analyse(phrasings: Sequence[tuple[int, str]]) -> _Analysed:
    words: dict[str, int] = {}
    found: list[tuple[int, int, str, list[str], list[int]]] = []
    for number, (owner, question) in enumerate(phrasings):
        text = normalize(question)
        if text:
            tokens = [words.setdefault(word, len(words)) for word in text.split()]
            found.append((owner, number, text, list(dict.fromkeys(terms(text))), tokens))
    ranked = sorted(range(len(found)), key=lambda i: (found[i][0], found[i][1]))
    position = {item: place for place, item in enumerate(ranked)}
    return _Analysed(
        owners=[found[i][0] for i in ranked],
        texts=[found[i][2] for i in ranked],
        terms=[found[i][3] for i in ranked],
        tokens=[found[i][4] for i in ranked],
        words=list(words),
        order=[position[i] for i in range(len(found))],
    )


def _term_tables(analysed: _Analysed, entry_count: int) -> dict[str, Any]:
    vocabulary = sorted({term for found in analysed.terms for term in found})
    term_id = {term: number for number, term in enumerate(vocabulary)}
    size = len(vocabulary)
    phrasing_count = len(analysed.owners)
    lengths = np.fromiter((len(t) for t in analysed.terms), dtype=np.int64, count=phrasing_count)
    item_phrasing = np.repeat(np.arange(phrasing_count, dtype=np.int64), lengths)
    item_term = np.fromiter(
        (term_id[t] for found in analysed.terms for t in found),
        dtype=np.int64,
        count=int(lengths.sum()),
    )
    owners = np.asarray(analysed.owners, dtype=np.int64)
    # (entry, term) pairs: how many of the entry's phrasings have the term.
    keys = owners[item_phrasing] * max(size, 1) + item_term
    pairs, pair_of_item, count = np.unique(keys, return_inverse=True, return_counts=True)
    pair_entry = pairs // max(size, 1)
    pair_term = pairs % max(size, 1)
    term_weight = idf(np.bincount(pair_term, minlength=size), entry_count) ** IDF_POWER
    share = count / np.bincount(owners, minlength=entry_count)[pair_entry]
    entry_words = unit_per_row(pair_entry, term_weight[pair_term] * np.sqrt(share), entry_count)
    coverage = share * (SATURATION + 1.0) / (share + SATURATION)
    phrasing_value = unit_per_row(item_phrasing, term_weight[item_term], phrasing_count)
    peak = max_per_group(pair_of_item.ravel(), phrasing_value, len(pairs))
    by_term = np.argsort(pair_term, kind="stable")
    return {
        "vocabulary": Strings.of(vocabulary),
        "term_id": term_id,
        "bigrams": bigram_table(vocabulary),
        "term_weight": term_weight,
        "unknown_term_weight": float(idf(np.zeros(1, dtype=np.int64), entry_count)[0]) ** IDF_POWER,
        "term_ptr": row_pointers(pair_term[by_term], size),
        "term_entry": pair_entry[by_term],
        "entry_term_ptr": row_pointers(pair_entry, entry_count),
        "entry_term": pair_term,
        "entry_term_words": entry_words,
        "entry_term_coverage": coverage,
        "entry_term_peak": peak,
        "term_words": entry_words[by_term],
        "term_coverage": coverage[by_term],
        "term_peak": peak[by_term],
        "phrasing_term_ptr": row_pointers(item_phrasing, phrasing_count),
        "phrasing_term": item_term,
        "phrasing_value": phrasing_value,
    }


def _gram_tables(analysed: _Analysed, entry_count: int) -> dict[str, Any]:
    per_word = [word_grams(word) for word in analysed.words]
    vocabulary = sorted(set().union(*per_word))
    gram_id = {gram: number for number, gram in enumerate(vocabulary)}
    size = len(vocabulary)
    word_length = np.fromiter((len(g) for g in per_word), dtype=np.int64, count=len(per_word))
    word_ptr = np.concatenate(([0], np.cumsum(word_length)))
    word_gram = np.fromiter(
        (gram_id[g] for grams in per_word for g in grams), dtype=np.int64, count=int(word_ptr[-1])
    )
    token_count = [len(tokens) for tokens in analysed.tokens]
    token_word = np.fromiter(
        (word for tokens in analysed.tokens for word in tokens),
        dtype=np.int64,
        count=sum(token_count),
    )
    token_entry = np.repeat(np.asarray(analysed.owners, dtype=np.int64), token_count)
    del per_word, gram_id
    # (entry, gram) pairs and how often the gram occurs in the entry's phrasings, counted
    # for a few thousand words at a time to bound the memory: the pairs come out sorted.
    entries, grams, counts = [], [], []
    entry_start = row_pointers(token_entry, entry_count)
    for first, last in _blocks(entry_start, _TOKENS_AT_ONCE):
        items, which = gather(word_ptr, token_word[first:last])
        block = token_entry[first:last][which] * max(size, 1) + word_gram[items]
        unique, count = np.unique(block, return_counts=True)
        entries.append((unique // max(size, 1)).astype(np.int32))
        grams.append((unique % max(size, 1)).astype(np.int32))
        counts.append(count.astype(np.float64))
    del token_word, token_entry
    item_entry = _join(entries, np.int32)
    item_gram = _join(grams, np.int32)
    value = _join(counts, np.float64)
    document_frequency = np.bincount(item_gram, minlength=size)
    gram_weight = idf(document_frequency, entry_count)
    np.log1p(value, out=value)
    value *= gram_weight[item_gram]
    value /= np.sqrt(np.bincount(item_entry, value * value, minlength=entry_count))[item_entry]
    common = document_frequency > max(_COMMON_MIN, min(entry_count / _COMMON_SHARE, _COMMON_MAX))
    gram_common = np.full(size, -1, dtype=np.int32)
    gram_common[common] = np.arange(int(common.sum()), dtype=np.int32)
    is_common = common[item_gram]
    common_entry = item_entry[is_common]
    common_gram = gram_common[item_gram[is_common]]
    common_value = value[is_common]
    del is_common
    by_gram = np.argsort(item_gram, kind="stable")
    del item_gram
    gram_entry = item_entry[by_gram]
    del item_entry
    gram_value = value[by_gram]
    del value, by_gram
    dtype = f"<U{max((len(g) for g in vocabulary), default=1)}"
    return {
        "grams": np.array(vocabulary, dtype=dtype),
        "gram_weight": gram_weight,
        "unknown_gram_weight": float(idf(np.zeros(1, dtype=np.int64), entry_count)[0]),
        "gram_ptr": np.concatenate(([0], np.cumsum(document_frequency))),
        "gram_entry": gram_entry,
        "gram_value": gram_value,
        "gram_common": gram_common,
        "common_ptr": row_pointers(common_entry, entry_count),
        "common_gram": common_gram,
        "common_value": common_value,
        "common_norm": np.sqrt(
            np.bincount(common_entry, common_value * common_value, minlength=entry_count)
        ),
        "common_peak": max_per_group(common_gram, common_value, int(common.sum())),
    }
