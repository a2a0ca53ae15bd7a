"""Read the facts for a report and compute it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.hours.schedule import SupportHours
from bot.report.figures import Report, build
from handoff import metrics
from handoff.storage import Db


async def make_report(
    db: Db, hours: SupportHours, *, since: datetime | None, until: datetime
) -> Report:
    """The report on questions asked and tickets opened from `since` (aware; None: from
    the beginning) until now; `until` (aware) is the moment it is made."""
    stored_since = since.astimezone(UTC).replace(tzinfo=None) if since else None
    questions = await metrics.questions(db, stored_since)
    tickets = await metrics.tickets(db, stored_since)
    return build(questions, tickets, hours, since=since, until=until)
