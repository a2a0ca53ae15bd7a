"""How the report words its numbers: durations, shares, averages, dates."""

from __future__ import annotations

from datetime import datetime

MISSING = "-"


def duration(seconds: float | None) -> str:
    """45s, 4m 10s, 3h 05m, 2d 04h; "-" when there is nothing to measure."""
    if seconds is None:
        return MISSING
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def share(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:.1f}%"


def average(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}"


def moment(value: datetime | None) -> str:
    return "the beginning" if value is None else value.strftime("%Y-%m-%d %H:%M")


def bucket_label(up_to: int | None, previous: int | None) -> str:
    """A first response histogram bucket: "<= 1m", "1m-5m", ..., "> 24h"."""
    if up_to is None:
        return f"> {_short(previous or 0)}"
    if previous is None:
        return f"<= {_short(up_to)}"
    return f"{_short(previous)}-{_short(up_to)}"


def _short(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"
