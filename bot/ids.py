"""Numbers that arrive from a platform (button values, command arguments, typed text).

Anything a person can send is untrusted: a forged button value can be any string.
`str.isdigit()` accepts '²' and '٣', `int()` accepts ' 7', '+7', '0_7' and numbers
past what a database column holds, so every number from platform input goes through
these functions, which accept ASCII digits only, within the column's range, before it
reaches a query.
"""

from __future__ import annotations

import re

# The largest value a BIGINT (and SQLite's INTEGER) column holds.
MAX_ID = 2**63 - 1
RATINGS = range(1, 6)

_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_number(raw: str, *, low: int, high: int) -> int | None:
    """`raw` as an int in [low, high] when it is written in ASCII digits only; else None."""
    if _DIGITS.fullmatch(raw) is None:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def parse_id(raw: str) -> int | None:
    """A row id (a ticket number): 1 .. MAX_ID."""
    return parse_number(raw, low=1, high=MAX_ID)


def parse_rating(raw: str) -> int | None:
    """A 1-5 rating, from a button value or typed text ("3", " 3 " after trimming)."""
    return parse_number(raw.strip(), low=RATINGS.start, high=RATINGS.stop - 1)
