"""Support hours: when the team is there, in the team's own time zone.

The weekly schedule is local wall-clock time, so "09:00-17:00" stays 09:00-17:00 on
both sides of a daylight-saving switch. The rules this module keeps:

- A window whose end is not after its start runs past midnight ("22:00-02:00" on
  Friday ends Saturday 02:00); "00:00-24:00" is a whole day.
- A holiday or an extra closed date closes the windows that *start* on that date. A
  window that began the evening before and runs past midnight into a holiday still
  runs to its end: that shift is already under way, and customers were told "open
  until 02:00".
- A window edge is the first instant at which the local clock shows that time or
  later. A time the spring-forward switch skips therefore becomes the switch itself (a
  02:00-03:00 window on that day is empty and dropped), and a time the autumn
  fall-back repeats means its first occurrence.
- `always_open` ignores the weekly schedule, holidays and closed dates.
- Searches for the next opening or closing look 400 days ahead (counted from the last
  extra closed date when that is later), far enough to jump over any holiday stretch.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from bot.config import ConfigError, HolidaySource, HoursSection

SEARCH_DAYS = 400
_DayKey = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DAY_KEYS: tuple[_DayKey, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MINUTES_PER_DAY = 24 * 60
_WINDOW = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")

_Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class _Window:
    """Minutes after the local midnight of the day the window starts; `end` passes
    1440 when the window runs into the next day."""

    start: int
    end: int


class _HolidayCalendar:
    """Public holidays from the `holidays` package, with names in the asker's language."""

    def __init__(self, source: HolidaySource) -> None:
        countries = holidays.list_supported_countries()
        if source.country not in countries:
            raise ConfigError(
                f'hours.holidays.country: unknown holiday country "{source.country}" '
                "(an ISO 3166 code such as DE)"
            )
        try:
            base = holidays.country_holidays(source.country, subdiv=source.subdiv)
        except NotImplementedError:
            known = ", ".join(countries[source.country]) or "none"
            raise ConfigError(
                f'hours.holidays.subdiv: {source.country} has no subdivision "{source.subdiv}" '
                f"(known: {known})"
            ) from None
        self._source = source
        self._supported: tuple[str, ...] = tuple(base.supported_languages)
        self._default_language: str = base.default_language or "en_US"
        self._by_language: dict[str, holidays.HolidayBase] = {}

    def closes(self, day: date) -> bool:
        return day in self._calendar("en")

    def name(self, day: date, locale: str) -> str | None:
        found: str | None = self._calendar(locale).get(day)
        return found

    def _calendar(self, locale: str) -> holidays.HolidayBase:
        language = self._language_for(locale)
        if language not in self._by_language:
            self._by_language[language] = holidays.country_holidays(
                self._source.country, subdiv=self._source.subdiv, language=language
            )
        return self._by_language[language]

    def _language_for(self, locale: str) -> str:
        """The package's language for `locale`: exact, then a regional variant, then
        English, then the country's own. Always explicit, so names never depend on the
        process environment."""
        wanted = locale.replace("-", "_").split("_")[0].lower()
        for prefix in (wanted, "en"):
            if prefix in self._supported:
                return prefix
            regional = sorted(lang for lang in self._supported if lang.startswith(f"{prefix}_"))
            if regional:
                return "en_US" if "en_US" in regional else regional[0]
        return self._default_language


class SupportHours:
    """When support is open. Build it with `from_config`; every method takes aware
    datetimes in any zone and answers in the support time zone."""

    def __init__(
        self,
        timezone: ZoneInfo,
        weekly: Sequence[tuple[_Window, ...]],
        holiday_calendar: _HolidayCalendar | None,
        closed: frozenset[date],
        always_open: bool,
    ) -> None:
        self.timezone = timezone
        self._weekly = tuple(weekly)
        self._holidays = holiday_calendar
        self._closed = closed
        self._always_open = always_open

    @classmethod
    def from_config(cls, section: HoursSection) -> SupportHours:
        """Parse and check the `hours` section; errors name the key."""
        weekly = [_parse_day(section.weekly.get(key, []), key) for key in _DAY_KEYS]
        calendar = _HolidayCalendar(section.holidays) if section.holidays else None
        closed = frozenset(_parse_date(text, index) for index, text in enumerate(section.closed))
        return cls(_parse_timezone(section.timezone), weekly, calendar, closed, section.always_open)

    def is_open(self, at: datetime) -> bool:
        moment = _utc(at)
        if self._always_open:
            return True
        day = moment.astimezone(self.timezone).date()
        return any(
            start <= moment < end
            for previous_or_same in (day - timedelta(days=1), day)
            for start, end in self._intervals(previous_or_same)
        )

    def next_opening(self, at: datetime) -> datetime | None:
        """`at` itself when open then; None when nothing opens within the search horizon."""
        moment = _utc(at)
        if self.is_open(moment):
            return moment.astimezone(self.timezone)
        if not any(self._weekly):
            return None
        today = moment.astimezone(self.timezone).date()
        last = max([today, *self._closed]) + timedelta(days=SEARCH_DAYS)
        for day in _days(today - timedelta(days=1), last):
            for start, _ in self._intervals(day):
                if start > moment:
                    return start.astimezone(self.timezone)
        return None

    def next_closing(self, at: datetime) -> datetime | None:
        """When the open stretch around `at` ends, following windows that touch or
        overlap; `at` itself when closed then; None when it never ends (always open, or
        open through the whole search horizon)."""
        moment = _utc(at)
        if not self.is_open(moment):
            return moment.astimezone(self.timezone)
        if self._always_open:
            return None
        today = moment.astimezone(self.timezone).date()
        end = moment
        for day in _days(today - timedelta(days=1), today + timedelta(days=SEARCH_DAYS)):
            for start, stop in self._intervals(day):
                if start > end:
                    return end.astimezone(self.timezone)
                end = max(end, stop)
        return None

    def windows_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open windows starting on that local day, in the support time zone."""
        if self._always_open:
            midnight = datetime.combine(day, time())
            intervals = [
                (
                    _instant(midnight, self.timezone),
                    _instant(midnight + timedelta(days=1), self.timezone),
                )
            ]
        else:
            intervals = self._intervals(day)
        return [
            (start.astimezone(self.timezone), end.astimezone(self.timezone))
            for start, end in intervals
        ]

    def holiday_name(self, day: date, locale: str = "en") -> str | None:
        """The public holiday's name in `locale` (English when the holiday package has
        no such translation); None on ordinary days and on extra closed dates."""
        return self._holidays.name(day, locale) if self._holidays else None

    def _intervals(self, day: date) -> list[_Interval]:
        """That day's windows as UTC instants; empty on holidays and closed dates.
        UTC, because Python compares two datetimes of one zone by wall time alone."""
        if day in self._closed or (self._holidays and self._holidays.closes(day)):
            return []
        midnight = datetime.combine(day, time())
        intervals = []
        for window in self._weekly[day.weekday()]:
            start = _instant(midnight + timedelta(minutes=window.start), self.timezone)
            end = _instant(midnight + timedelta(minutes=window.end), self.timezone)
            if start < end:
                intervals.append((start, end))
        return intervals


def _parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(
            f'hours.timezone: unknown time zone "{name}" (an IANA name such as Europe/Berlin)'
        ) from None


def _parse_day(texts: Sequence[str], day_key: str) -> tuple[_Window, ...]:
    key = f"hours.weekly.{day_key}"
    parsed = sorted(
        ((_parse_window(text, f"{key}[{index}]"), index) for index, text in enumerate(texts)),
        key=lambda pair: pair[0].start,
    )
    for (before, before_index), (after, index) in itertools.pairwise(parsed):
        if after.start < before.end:
            raise ConfigError(f'{key}[{index}]: "{texts[index]}" overlaps "{texts[before_index]}"')
    return tuple(window for window, _ in parsed)


def _parse_window(text: str, key: str) -> _Window:
    match = _WINDOW.fullmatch(text.strip())
    if match is None:
        raise ConfigError(f'{key}: "{text}" is not HH:MM-HH:MM')
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
    if (
        start_hour > 23
        or start_minute > 59
        or end_minute > 59
        or end_hour > 24
        or (end_hour == 24 and end_minute > 0)
    ):
        raise ConfigError(
            f'{key}: "{text}" is not a time of day (00:00-23:59; an end may be 24:00)'
        )
    start = start_hour * 60 + start_minute
    end = end_hour * 60 + end_minute
    return _Window(start, end if end > start else end + _MINUTES_PER_DAY)


def _parse_date(text: str, index: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f'hours.closed[{index}]: "{text}" is not a date YYYY-MM-DD') from None


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; support hours need an aware time")
    return at.astimezone(UTC)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (in UTC) at which the clock in `zone` shows `wall` or later.

    zoneinfo reads a repeated wall time as its first occurrence (fold=0), which is what
    we want. A skipped wall time has no instant of its own; the answer is the switch,
    found by bisecting the hour or so between the two readings zoneinfo offers for it.
    """
    guess = wall.replace(tzinfo=zone).astimezone(UTC)
    if guess.astimezone(zone).replace(tzinfo=None) == wall:
        return guess
    low, high = sorted((guess, wall.replace(tzinfo=zone, fold=1).astimezone(UTC)))
    lo, hi = 0, int((high - low).total_seconds())
    while lo < hi:
        middle = (lo + hi) // 2
        if (low + timedelta(seconds=middle)).astimezone(zone).replace(tzinfo=None) >= wall:
            hi = middle
        else:
            lo = middle + 1
    return low + timedelta(seconds=lo)
