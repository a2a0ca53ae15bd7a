"""The report as plain text: one screen, aligned columns."""

from __future__ import annotations

from collections.abc import Sequence

from bot.report.figures import Report, Satisfaction, Times
from bot.report.wording import (
    AGENT_HEADER,
    PLATFORM_HEADER,
    agent_rows,
    average,
    moment,
    platform_rows,
    share,
    times_rows,
)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell; the first left-aligned, the rest right."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = []
    for row in (header, *rows):
        cells = [
            cell.ljust(width) if index == 0 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def _times(title: str, times: Times) -> list[list[str]]:
    return times_rows(times, (f"{title}, all", "  in support hours", "  outside support hours"))


def _satisfaction(satisfaction: Satisfaction) -> str:
    if satisfaction.rated == 0:
        return "no ratings"
    return (
        f"{share(satisfaction.csat)} rated 4-5 of {satisfaction.rated} ratings,"
        f" average {average(satisfaction.average)}"
    )


def render(report: Report) -> str:
    q, t = report.questions, report.tickets
    lines = [
        f"Support report, {moment(report.since)} to {moment(report.until)} ({report.timezone})",
        "",
        f"Questions to the bot: {q.total}",
        *_table(
            ["", "questions"],
            [
                ["answered from the FAQ", str(q.answered)],
                ["  of them without a ticket", str(q.deflected)],
                ["suggestions offered", str(q.suggested)],
                ["no answer", str(q.none)],
                ["handed to a person", str(q.handed_off)],
            ],
        ),
        f"Deflection rate (answered by the FAQ without a ticket): {share(q.deflection_rate)}",
        "",
        f"Tickets: {t.total} (open {t.open}, claimed {t.claimed}, resolved {t.resolved})",
        *_table(
            ["", "median", "p90", "tickets"],
            [
                *_times("First response", report.first_response),
                *_times("Resolution", report.resolution),
            ],
        ),
        "",
        f"Satisfaction (CSAT): {_satisfaction(report.satisfaction)}",
        "",
        "By agent",
    ]
    if report.by_agent:
        lines += _table(AGENT_HEADER, agent_rows(report))
    else:
        lines.append("  no tickets claimed")
    lines += ["", "By platform"]
    if report.by_platform:
        lines += _table(PLATFORM_HEADER, platform_rows(report))
    else:
        lines.append("  no activity")
    return "\n".join(lines) + "\n"
