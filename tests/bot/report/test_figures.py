"""The report's arithmetic on hand-made facts: quantiles, the deflection window, the
support-hours split, histogram edges, weeks and the wording of durations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import HoursSection
from bot.hours.schedule import SupportHours
from bot.report import html, svg
from bot.report.figures import DEFLECTION_WINDOW, build, percentile
from bot.report.wording import bucket_label, duration
from handoff.metrics import Question, TicketFacts
from handoff.states import QuestionOutcome, TicketStatus

HOURS = SupportHours.from_config(
    HoursSection(timezone="Europe/Berlin", weekly={"tue": ["09:00-17:00"]})
)
TUESDAY = datetime(2026, 11, 24, 9, 0)  # 10:00 in Berlin: open
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _ticket(
    number: int, opened: datetime, reply: timedelta | None, rating: int | None = None
) -> TicketFacts:
    return TicketFacts(
        id=number,
        conversation_id=number,
        platform="slack",
        status=TicketStatus.RESOLVED if reply is not None else TicketStatus.OPEN,
        agent_id="a" if reply is not None else None,
        agent_name="Alex" if reply is not None else None,
        created_at=opened,
        first_reply_at=opened + reply if reply is not None else None,
        resolved_at=opened + 2 * reply if reply is not None else None,
        rating=rating,
    )


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0], 0.5) == 1.5
    assert percentile([4.0, 1.0, 3.0, 2.0, 5.0], 0.5) == 3.0
    assert percentile([float(n) for n in range(11)], 0.9) == pytest.approx(9.0)


def test_an_answer_followed_by_a_ticket_within_the_window_is_not_deflected() -> None:
    asked = TUESDAY
    questions = [
        Question(1, "slack", QuestionOutcome.ANSWERED, asked),
        Question(2, "slack", QuestionOutcome.ANSWERED, asked),
        Question(3, "slack", QuestionOutcome.ANSWERED, asked),
        Question(4, "slack", QuestionOutcome.SUGGESTED, asked),
    ]
    tickets = [
        _ticket(1, asked + DEFLECTION_WINDOW, None),  # at the window's edge: followed
        _ticket(2, asked + DEFLECTION_WINDOW + timedelta(seconds=1), None),
        _ticket(3, asked - timedelta(minutes=5), None),  # before the question
    ]

    report = build(questions, tickets, HOURS, since=None, until=NOW)

    assert (report.questions.answered, report.questions.deflected) == (3, 2)
    assert report.questions.deflection_rate == 0.5
    assert [(d.day.isoformat(), d.questions, d.deflected, d.tickets) for d in report.daily] == [
        ("2026-11-24", 4, 2, 3)
    ]


def test_times_split_by_whether_support_was_open_when_the_ticket_came() -> None:
    evening = TUESDAY.replace(hour=17)  # 18:00 in Berlin: closed
    tickets = [
        _ticket(1, TUESDAY, timedelta(minutes=4), 5),
        _ticket(2, TUESDAY, timedelta(minutes=8), 2),
        _ticket(3, evening, timedelta(hours=16), 4),
        _ticket(4, evening, None),
    ]

    report = build([], tickets, HOURS, since=None, until=NOW)

    assert report.first_response.in_hours.median == 6 * 60
    assert report.first_response.out_of_hours.count == 1
    assert report.first_response.out_of_hours.median == 16 * 3600
    assert report.resolution.all.count == 3
    assert (report.satisfaction.csat, report.satisfaction.average) == (2 / 3, 11 / 3)
    assert [(a.agent_name, a.tickets, a.resolved) for a in report.by_agent] == [("Alex", 3, 3)]


def test_histogram_edges_belong_to_the_lower_bucket_and_weeks_start_on_monday() -> None:
    tickets = [
        _ticket(1, TUESDAY, timedelta(seconds=60), 5),
        _ticket(2, TUESDAY, timedelta(seconds=61), 1),
        _ticket(3, TUESDAY + timedelta(days=6), timedelta(days=3), 4),  # Monday
    ]

    report = build([], tickets, HOURS, since=None, until=NOW)

    assert [b.tickets for b in report.first_response_buckets] == [1, 1, 0, 0, 0, 0, 1]
    assert [(w.week.isoformat(), w.satisfaction.csat) for w in report.weekly_satisfaction] == [
        ("2026-11-23", 0.5),
        ("2026-11-30", 1.0),
    ]


def test_durations_and_buckets_are_worded_compactly() -> None:
    assert [duration(s) for s in (None, 45, 250, 3 * 3600 + 300, 2 * 86400 + 4 * 3600)] == [
        "-",
        "45s",
        "4m 10s",
        "3h 05m",
        "2d 04h",
    ]
    assert [bucket_label(60, None), bucket_label(300, 60), bucket_label(None, 86400)] == [
        "<= 1m",
        "1m-5m",
        "> 24h",
    ]


def test_chart_text_from_the_database_is_escaped() -> None:
    drawn = svg.bar_chart("t", ['<script>alert("x")</script>'], [svg.Series("s", "#000000", [1.0])])

    assert "<script>" not in drawn
    assert "&lt;script&gt;" in drawn


def test_an_agent_name_cannot_inject_markup_into_the_page() -> None:
    hostile = replace(
        _ticket(1, TUESDAY, timedelta(minutes=1), 5), agent_name="<img src=x onerror=alert(1)>"
    )

    page = html.render(build([], [hostile], HOURS, since=None, until=NOW))

    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
