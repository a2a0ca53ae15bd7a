"""Small SQLAlchemy helpers the handoff modules share."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def changed_one(result: Result[Any]) -> bool:
    """Whether a conditional UPDATE changed exactly one row (it won the race)."""
    return cast(CursorResult[Any], result).rowcount == 1
