"""How the report words its numbers: durations, shares, averages, dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.report.figures import Report, Spread, Times

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


AGENT_HEADER = ("agent", "tickets", "resolved", "first response", "resolution", "CSAT", "average")
PLATFORM_HEADER = (
    "platform",
    "questions",
    "deflection",
    "tickets",
    "first response",
    "CSAT",
    "average",
)


def agent_rows(report: Report) -> list[list[str]]:
    """One row per agent under AGENT_HEADER, as every format shows them."""
    return [
        [
            a.agent_name,
            str(a.tickets),
            str(a.resolved),
            duration(a.first_response.median),
            duration(a.resolution.median),
            share(a.satisfaction.csat),
            average(a.satisfaction.average),
        ]
        for a in report.by_agent
    ]


def platform_rows(report: Report) -> list[list[str]]:
    """One row per platform under PLATFORM_HEADER."""
    return [
        [
            p.platform,
            str(p.questions),
            share(p.deflection_rate),
            str(p.tickets),
            duration(p.first_response.median),
            share(p.satisfaction.csat),
            average(p.satisfaction.average),
        ]
        for p in report.by_platform
    ]


def times_rows(times: Times, labels: Sequence[str]) -> list[list[str]]:
    """Median, p90 and count of all tickets and of those opened in and outside support
    hours, one row each, labelled `labels` in that order."""

    def row(label: str, spread: Spread) -> list[str]:
        return [label, duration(spread.median), duration(spread.p90), str(spread.count)]

    spreads = (times.all, times.in_hours, times.out_of_hours)
    return [row(label, spread) for label, spread in zip(labels, spreads, strict=True)]
