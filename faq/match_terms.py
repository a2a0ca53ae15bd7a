"""Turning normalized text into index terms: tokens, light stemming, synonyms, stopwords."""

from __future__ import annotations

from faq.match_synonyms import GROUPS, PHRASES

STOPWORDS = frozenset(
    """
    a an the and or but if then so of to in on at by for from with about as into over
    i me my mine im ive id you your yours youre we us our they them their he him his she
    her it its itd itll this that these those there here what whats which who whom whose
    is are was were be been being am do does did doing done have has had having will would
    shall should can could may might must let lets please pls plz just also too very
    really some any all much many more most how hows when where why wheres whys
    tell know want need like get got go going give make help thanks thank hi hello hey
    dont doesnt didnt cant cannot wont isnt arent wasnt
    der die das ein eine einen einem einer und oder aber wenn dann zu im in am an auf
    mit von fur bei aus ich mich mir mein meine meinen meinem du dich dir dein deine
    sie ihr ihre wir uns unser es ist sind war waren bin bist sein haben hat habe hatte
    wird werden kann konnen muss mussen soll will mochte bitte wie was wo wann warum wer
    welche welcher welches nicht kein keine noch schon auch nur mal
    """.split()
)

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
_KEEP_ENDINGS = ("ss", "us", "is")
_DOUBLED = frozenset("bdfgmnprt")
_VOWELS = frozenset("aeiou")


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


def _rewrite_phrases(text: str) -> str:
    padded = f" {text} "
    for phrase, replacement in PHRASES:
        padded = padded.replace(f" {phrase} ", f" {replacement} ")
    return padded.strip()


def terms(normalized: str) -> list[str]:
    """Index terms of already-normalized text, in order; synonyms map to one canonical term."""
    result = []
    for token in _rewrite_phrases(normalized).split():
        stemmed = stem(token)
        result.append(_CANONICAL.get(stemmed, stemmed))
    return result
