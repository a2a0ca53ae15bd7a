"""The report as one self-contained HTML page: the figures as tables, and three charts
(volume per day, first response time distribution, CSAT per week) as inline SVG. No
script, no stylesheet or font to fetch: the page opens the same offline, in a mail
attachment or in a headless browser. Every text from the database is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.report.figures import Report, Times
from bot.report.svg import Series, bar_chart
from bot.report.wording import (
    AGENT_HEADER,
    PLATFORM_HEADER,
    agent_rows,
    average,
    bucket_label,
    duration,
    moment,
    platform_rows,
    share,
    times_rows,
)

QUESTIONS_COLOR = "#2563eb"
DEFLECTED_COLOR = "#16a34a"
TICKETS_COLOR = "#ea580c"
RESPONSE_COLOR = "#7c3aed"
CSAT_COLOR = "#0d9488"

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 820px;
       color: #1f2937; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #e5e7eb; }
.period { color: #6b7280; margin-top: 0; }
.tiles { display: flex; flex-wrap: wrap; gap: 0.8em; }
.tile { border: 1px solid #e5e7eb; border-radius: 6px; padding: 0.6em 1em; min-width: 130px; }
.tile b { display: block; font-size: 1.6em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { padding: 0.3em 0.6em; border-bottom: 1px solid #f0f0f0; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.chart { width: 100%; height: auto; }
.axis { font-size: 11px; fill: #4b5563; }
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _tile(label: str, value: str) -> str:
    return f'<div class="tile"><b>{escape(value)}</b>{escape(label)}</div>'


def _times_rows(title: str, times: Times) -> list[list[str]]:
    return times_rows(
        times,
        (
            f"{title}, all tickets",
            f"{title}, opened in support hours",
            f"{title}, opened outside support hours",
        ),
    )


def _charts(report: Report) -> str:
    days = [line.day.strftime("%m-%d") for line in report.daily]
    volume = bar_chart(
        "Volume per day",
        days,
        [
            Series("questions", QUESTIONS_COLOR, [d.questions for d in report.daily]),
            Series("deflected", DEFLECTED_COLOR, [d.deflected for d in report.daily]),
            Series("tickets", TICKETS_COLOR, [d.tickets for d in report.daily]),
        ],
    )
    bounds = [b.up_to for b in report.first_response_buckets]
    response = bar_chart(
        "First response time distribution",
        [bucket_label(up_to, ([None, *bounds])[i]) for i, up_to in enumerate(bounds)],
        [Series("tickets", RESPONSE_COLOR, [b.tickets for b in report.first_response_buckets])],
    )
    weeks = report.weekly_satisfaction
    csat = bar_chart(
        "CSAT per week",
        [f"wk {w.week:%m-%d}" for w in weeks],
        [Series("CSAT", CSAT_COLOR, [(w.satisfaction.csat or 0.0) * 100 for w in weeks])],
        top=100,
        value_text=lambda v: f"{v:.0f}%",
    )
    return (
        f"<h2>Volume per day</h2>{volume}"
        f"<h2>First response time</h2>{response}"
        f"<h2>Satisfaction per week</h2>{csat}"
    )


def render(report: Report) -> str:
    q, t, s = report.questions, report.tickets, report.satisfaction
    tiles = "".join(
        (
            _tile("questions", str(q.total)),
            _tile("deflection rate", share(q.deflection_rate)),
            _tile("tickets", str(t.total)),
            _tile("median first response", duration(report.first_response.all.median)),
            _tile("CSAT (4-5)", share(s.csat)),
            _tile("average rating", average(s.average)),
        )
    )
    questions = _table(
        ["", "questions"],
        [
            ["answered from the FAQ", str(q.answered)],
            ["answered, no ticket followed (deflected)", str(q.deflected)],
            ["suggestions offered", str(q.suggested)],
            ["no answer", str(q.none)],
            ["handed to a person", str(q.handed_off)],
        ],
    )
    times = _table(
        ["", "median", "p90", "tickets"],
        [
            *_times_rows("First response", report.first_response),
            *_times_rows("Resolution", report.resolution),
        ],
    )
    agents = _table(AGENT_HEADER, agent_rows(report))
    platforms = _table(PLATFORM_HEADER, platform_rows(report))
    period = f"{moment(report.since)} to {moment(report.until)} ({report.timezone})"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Support report</title><style>{_STYLE}</style></head><body>"
        f'<h1>Support report</h1><p class="period">{escape(period)}</p>'
        f'<div class="tiles">{tiles}</div>'
        f"<h2>Questions</h2>{questions}"
        f"<h2>Tickets: {t.total} (open {t.open}, claimed {t.claimed}, resolved {t.resolved})"
        f"</h2>{times}"
        f"{_charts(report)}"
        f"<h2>By agent</h2>{agents}<h2>By platform</h2>{platforms}"
        "</body></html>\n"
    )
