"""The report's figures, computed from the stored facts (handoff/metrics.py).

Durations are seconds. A question counts as deflected when the FAQ answered it and no
ticket was opened in its conversation within `DEFLECTION_WINDOW` after (a customer who
presses "this did not help" and gets a person was not helped by the answer). A ticket
is "in support hours" when it was opened while support was open; first response and
resolution times are given for all tickets and for each of the two groups, because a
ticket opened at night waits for the morning. CSAT is the share of ratings of 4 or 5.
Days and weeks are the support time zone's.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.hours.schedule import SupportHours
from handoff.metrics import Question, TicketFacts
from handoff.states import QuestionOutcome, TicketStatus

DEFLECTION_WINDOW = timedelta(hours=1)
SATISFIED = 4  # ratings of at least this count as satisfied
# Upper bounds (seconds) of the first response time histogram's buckets; one more
# bucket takes everything longer.
RESPONSE_BUCKETS = (60, 5 * 60, 15 * 60, 60 * 60, 4 * 3600, 24 * 3600)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The `share` (0-1) quantile of `values`, interpolated between the closest ranks
    (the median of [1, 2] is 1.5); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Spread:
    """How long something took: how many, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Spread:
        return cls(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9))


@dataclass(frozen=True)
class Satisfaction:
    rated: int
    satisfied: int
    csat: float | None  # share of ratings >= SATISFIED, 0-1
    average: float | None

    @classmethod
    def of(cls, ratings: Sequence[int]) -> Satisfaction:
        if not ratings:
            return cls(0, 0, None, None)
        satisfied = sum(1 for r in ratings if r >= SATISFIED)
        return cls(len(ratings), satisfied, satisfied / len(ratings), sum(ratings) / len(ratings))


@dataclass(frozen=True)
class Questions:
    total: int
    answered: int
    suggested: int
    none: int
    handed_off: int
    deflected: int
    deflection_rate: float | None  # deflected / total, 0-1


@dataclass(frozen=True)
class TicketCounts:
    total: int
    open: int
    claimed: int
    resolved: int


@dataclass(frozen=True)
class Times:
    """A duration for all tickets, and split by whether they came in support hours."""

    all: Spread
    in_hours: Spread
    out_of_hours: Spread


@dataclass(frozen=True)
class AgentLine:
    agent_id: str
    agent_name: str
    tickets: int
    resolved: int
    first_response: Spread
    resolution: Spread
    satisfaction: Satisfaction


@dataclass(frozen=True)
class PlatformLine:
    platform: str
    questions: int
    deflection_rate: float | None
    tickets: int
    first_response: Spread
    resolution: Spread
    satisfaction: Satisfaction


@dataclass(frozen=True)
class DayLine:
    day: date
    questions: int
    deflected: int
    tickets: int


@dataclass(frozen=True)
class Bucket:
    up_to: int | None  # seconds; None: longer than the last bound
    tickets: int


@dataclass(frozen=True)
class WeekLine:
    week: date  # its Monday
    satisfaction: Satisfaction


@dataclass(frozen=True)
class Report:
    since: datetime | None  # aware, support time zone
    until: datetime
    timezone: str
    questions: Questions
    tickets: TicketCounts
    first_response: Times
    resolution: Times
    satisfaction: Satisfaction
    by_agent: list[AgentLine]
    by_platform: list[PlatformLine]
    daily: list[DayLine]
    first_response_buckets: list[Bucket]
    weekly_satisfaction: list[WeekLine]


def _first_response(ticket: TicketFacts) -> float | None:
    if ticket.first_reply_at is None:
        return None
    return (ticket.first_reply_at - ticket.created_at).total_seconds()


def _resolution(ticket: TicketFacts) -> float | None:
    if ticket.resolved_at is None:
        return None
    return (ticket.resolved_at - ticket.created_at).total_seconds()


def _spread(tickets: Iterable[TicketFacts], first: bool) -> Spread:
    measure = _first_response if first else _resolution
    return Spread.of([s for s in map(measure, tickets) if s is not None])


def _ratings(tickets: Iterable[TicketFacts]) -> Satisfaction:
    return Satisfaction.of([t.rating for t in tickets if t.rating is not None])


def _deflected(questions: Sequence[Question], tickets: Sequence[TicketFacts]) -> list[bool]:
    """Per question: answered, and no ticket in its conversation within the window."""
    opened: dict[int, list[datetime]] = defaultdict(list)
    for ticket in tickets:
        opened[ticket.conversation_id].append(ticket.created_at)
    for times in opened.values():
        times.sort()
    result = []
    for question in questions:
        if question.outcome != QuestionOutcome.ANSWERED:
            result.append(False)
            continue
        times = opened.get(question.conversation_id, [])
        nxt = bisect_right(times, question.asked_at)
        followed = nxt < len(times) and times[nxt] - question.asked_at <= DEFLECTION_WINDOW
        result.append(not followed)
    return result


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


def build(
    questions: Sequence[Question],
    tickets: Sequence[TicketFacts],
    hours: SupportHours,
    *,
    since: datetime | None,
    until: datetime,
) -> Report:
    """The report on `questions` and `tickets` (naive UTC times, as stored); `since` and
    `until` are aware and only shown."""
    zone = hours.timezone
    deflected = _deflected(questions, tickets)
    outcomes = Counter(q.outcome for q in questions)
    in_hours = [t for t in tickets if hours.is_open(t.created_at.replace(tzinfo=UTC))]
    in_hours_ids = {t.id for t in in_hours}
    out_of_hours = [t for t in tickets if t.id not in in_hours_ids]
    statuses = Counter(t.status for t in tickets)
    return Report(
        since=since.astimezone(zone) if since else None,
        until=until.astimezone(zone),
        timezone=zone.key,
        questions=Questions(
            total=len(questions),
            answered=outcomes[QuestionOutcome.ANSWERED],
            suggested=outcomes[QuestionOutcome.SUGGESTED],
            none=outcomes[QuestionOutcome.NONE],
            handed_off=outcomes[QuestionOutcome.HANDED_OFF],
            deflected=sum(deflected),
            deflection_rate=sum(deflected) / len(questions) if questions else None,
        ),
        tickets=TicketCounts(
            total=len(tickets),
            open=statuses[TicketStatus.OPEN],
            claimed=statuses[TicketStatus.CLAIMED],
            resolved=statuses[TicketStatus.RESOLVED],
        ),
        first_response=Times(
            _spread(tickets, True), _spread(in_hours, True), _spread(out_of_hours, True)
        ),
        resolution=Times(
            _spread(tickets, False), _spread(in_hours, False), _spread(out_of_hours, False)
        ),
        satisfaction=_ratings(tickets),
        by_agent=_by_agent(tickets),
        by_platform=_by_platform(questions, deflected, tickets),
        daily=_daily(questions, deflected, tickets, zone),
        first_response_buckets=_buckets(tickets),
        weekly_satisfaction=_weekly(tickets, zone),
    )


def _by_agent(tickets: Sequence[TicketFacts]) -> list[AgentLine]:
    """Each agent's tickets: those they hold or held last (transfers move a ticket)."""
    held: dict[str, list[TicketFacts]] = defaultdict(list)
    for ticket in tickets:
        if ticket.agent_id is not None:
            held[ticket.agent_id].append(ticket)
    lines = [
        AgentLine(
            agent_id=agent_id,
            agent_name=theirs[-1].agent_name or agent_id,
            tickets=len(theirs),
            resolved=sum(1 for t in theirs if t.status == TicketStatus.RESOLVED),
            first_response=_spread(theirs, True),
            resolution=_spread(theirs, False),
            satisfaction=_ratings(theirs),
        )
        for agent_id, theirs in held.items()
    ]
    return sorted(lines, key=lambda line: (-line.tickets, line.agent_name))


def _by_platform(
    questions: Sequence[Question], deflected: Sequence[bool], tickets: Sequence[TicketFacts]
) -> list[PlatformLine]:
    asked: Counter[str] = Counter(q.platform for q in questions)
    helped: Counter[str] = Counter(
        q.platform for q, d in zip(questions, deflected, strict=True) if d
    )
    opened: dict[str, list[TicketFacts]] = defaultdict(list)
    for ticket in tickets:
        opened[ticket.platform].append(ticket)
    return [
        PlatformLine(
            platform=platform,
            questions=asked[platform],
            deflection_rate=helped[platform] / asked[platform] if asked[platform] else None,
            tickets=len(opened[platform]),
            first_response=_spread(opened[platform], True),
            resolution=_spread(opened[platform], False),
            satisfaction=_ratings(opened[platform]),
        )
        for platform in sorted(set(asked) | set(opened))
    ]


def _daily(
    questions: Sequence[Question],
    deflected: Sequence[bool],
    tickets: Sequence[TicketFacts],
    zone: ZoneInfo,
) -> list[DayLine]:
    """One line per day from the first to the last with any activity (quiet days too)."""
    asked: Counter[date] = Counter()
    helped: Counter[date] = Counter()
    for question, was_deflected in zip(questions, deflected, strict=True):
        day = _local_day(question.asked_at, zone)
        asked[day] += 1
        helped[day] += was_deflected
    opened = Counter(_local_day(t.created_at, zone) for t in tickets)
    days = set(asked) | set(opened)
    if not days:
        return []
    first, last = min(days), max(days)
    return [
        DayLine(day, asked[day], helped[day], opened[day])
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
    ]


def _buckets(tickets: Sequence[TicketFacts]) -> list[Bucket]:
    counts = [0] * (len(RESPONSE_BUCKETS) + 1)
    for ticket in tickets:
        seconds = _first_response(ticket)
        if seconds is not None:
            counts[bisect_left(RESPONSE_BUCKETS, seconds)] += 1
    bounds: list[int | None] = [*RESPONSE_BUCKETS, None]
    return [Bucket(bound, count) for bound, count in zip(bounds, counts, strict=True)]


def _weekly(tickets: Sequence[TicketFacts], zone: ZoneInfo) -> list[WeekLine]:
    """CSAT per week (by the day the ticket was opened), weeks with ratings only."""
    ratings: dict[date, list[int]] = defaultdict(list)
    for ticket in tickets:
        if ticket.rating is not None:
            day = _local_day(ticket.created_at, zone)
            ratings[day - timedelta(days=day.weekday())].append(ticket.rating)
    return [WeekLine(week, Satisfaction.of(ratings[week])) for week in sorted(ratings)]
