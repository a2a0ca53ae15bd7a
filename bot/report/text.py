"""The report as plain text: one screen, aligned columns."""

from __future__ import annotations

from collections.abc import Sequence

from bot.report.figures import Report, Satisfaction, Spread, Times
from bot.report.wording import average, duration, moment, share


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
    def row(label: str, spread: Spread) -> list[str]:
        return [label, duration(spread.median), duration(spread.p90), str(spread.count)]

    return [
        row(f"{title}, all", times.all),
        row("  in support hours", times.in_hours),
        row("  outside support hours", times.out_of_hours),
    ]


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
        lines += _table(
            ["agent", "tickets", "resolved", "first response", "resolution", "CSAT", "average"],
            [
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
            ],
        )
    else:
        lines.append("  no tickets claimed")
    lines += ["", "By platform"]
    if report.by_platform:
        lines += _table(
            ["platform", "questions", "deflection", "tickets", "first response", "CSAT", "average"],
            [
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
            ],
        )
    else:
        lines.append("  no activity")
    return "\n".join(lines) + "\n"
