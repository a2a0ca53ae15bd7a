"""Turning normalized text into index terms: tokens, light stemming, synonyms.

There is no stopword list on purpose: question words ("who", "when", "where") tell
FAQ entries apart, and IDF weights already make words every entry has count little.
A number ("42", "3rd") is a term of its own and also counts as the term NUMBER, so
"from the 2nd to the 5th" shares something with "from may 10th until the 12th" while
"error 404" still matches "error 404" better than "error 500".
"""

from __future__ import annotations

import re
from functools import lru_cache

from faq.match_synonyms import GROUPS, PHRASES

_SUFFIX_RULES = (
    ("izations", "ize"),
    ("ization", "ize"),
    ("ations", ""),
    ("ation", ""),
    ("ements", ""),
    ("ement", ""),
    ("ments", ""),
    ("ment", ""),
    ("ingly", ""),
    ("fully", "ful"),
    ("ness", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("edly", ""),
    ("ed", ""),
    ("ly", ""),
    ("es", ""),
    ("s", ""),
)
NUMBER = "#"
_NUMBER = re.compile(r"\d+(?:st|nd|rd|th)?")
_KEEP_ENDINGS = ("ss", "us", "is")
_DOUBLED = frozenset("bdfgmnprt")
_VOWELS = frozenset("aeiou")


@lru_cache(maxsize=1 << 16)
def stem(token: str) -> str:
    """A light English suffix stripper in the spirit of Porter's, much shorter.

    It need not produce real words, only the same stem for the FAQ and the customer
    ("purchase", "purchases", "purchasing" -> "purchas"). Short words, numbers and
    words ending in -ss/-us/-is are left alone.
    """
    if len(token) <= 3 or not token.isalpha() or token.endswith(_KEEP_ENDINGS):
        return token
    root = token
    for suffix, replacement in _SUFFIX_RULES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            root = token[: -len(suffix)] + replacement
            if len(root) > 3 and root[-1] == root[-2] and root[-1] in _DOUBLED:
                root = root[:-1]
            break
    if len(root) > 3 and root.endswith("e"):
        root = root[:-1]
    if len(root) > 3 and root.endswith("y") and root[-2] not in _VOWELS:
        root = root[:-1] + "i"
    return root


_CANONICAL = {stem(word): stem(group[0]) for group in GROUPS for word in group}


_PHRASE_REPLACEMENTS = dict(PHRASES)
_PHRASE = re.compile(
    r"(?<!\S)(?:"
    + "|".join(re.escape(phrase) for phrase in sorted(_PHRASE_REPLACEMENTS, key=len, reverse=True))
    + r")(?!\S)"
)


def _rewrite_phrases(text: str) -> str:
    return _PHRASE.sub(lambda found: _PHRASE_REPLACEMENTS[found.group(0)], text)


def terms(normalized: str) -> list[str]:
    """Index terms of already-normalized text, in order; synonyms map to one canonical
    term, and each number is followed by NUMBER."""
    result = []
    for token in _rewrite_phrases(normalized).split():
        stemmed = stem(token)
        result.append(_CANONICAL.get(stemmed, stemmed))
        if _NUMBER.fullmatch(token):
            result.append(NUMBER)
    return result
