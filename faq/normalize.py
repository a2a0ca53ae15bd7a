"""Text normalization shared by the FAQ index and the queries matched against it."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"(?<=\w)['’ʼ`´](?=\w)")
_SPACES = re.compile(r"\s+")
_ASCII_OTHER = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Case-fold, NFKC, strip accents, turn punctuation and symbols into spaces.

    An apostrophe inside a word is dropped rather than spaced ("don't" -> "dont"), so
    contractions stay one token. German ß case-folds to "ss"; umlauts lose their dots
    ("Müller" -> "muller"), the same way for the FAQ and the customer. ASCII text takes
    a shortcut with the same result: its letters and digits are the only characters
    of categories L and N, and nothing else about it changes but the case.
    """
    if text.isascii():
        return _ASCII_OTHER.sub(" ", _APOSTROPHES.sub("", text.lower())).strip()
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _APOSTROPHES.sub("", text)
    decomposed = unicodedata.normalize("NFD", text)
    chars = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category == "Mn":
            continue
        chars.append(ch if category[0] in "LN" else " ")
    return _SPACES.sub(" ", unicodedata.normalize("NFC", "".join(chars))).strip()
