"""Dates and times in the customer's language: "tomorrow at 09:00", "Montag, 24. November
um 09:00", "Senin, 24 November pukul 09.00".

Small hand-written tables for the bot's three locales rather than Babel; a locale hint
like "de-AT" uses its language, and an unknown locale falls back to English. Times are
shown in the zone of the datetime given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

DEFAULT_LOCALE = "en"
_YEAR_SHOWN_AFTER_DAYS = 180


@dataclass(frozen=True)
class _Words:
    weekdays: tuple[str, ...]
    months: tuple[str, ...]
    date_pattern: str
    today: str
    tomorrow: str
    at: str
    time_separator: str
    closed: str


_WORDS = {
    "en": _Words(
        weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        date_pattern="{weekday}, {day} {month}",
        today="today",
        tomorrow="tomorrow",
        at="at",
        time_separator=":",
        closed="closed",
    ),
    "de": _Words(
        weekdays=(
            "Montag",
            "Dienstag",
            "Mittwoch",
            "Donnerstag",
            "Freitag",
            "Samstag",
            "Sonntag",
        ),
        months=(
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
        date_pattern="{weekday}, {day}. {month}",
        today="heute",
        tomorrow="morgen",
        at="um",
        time_separator=":",
        closed="geschlossen",
    ),
    "id": _Words(
        weekdays=("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        months=(
            "Januari",
            "Februari",
            "Maret",
            "April",
            "Mei",
            "Juni",
            "Juli",
            "Agustus",
            "September",
            "Oktober",
            "November",
            "Desember",
        ),
        date_pattern="{weekday}, {day} {month}",
        today="hari ini",
        tomorrow="besok",
        at="pukul",
        time_separator=".",
        closed="tutup",
    ),
}


def resolve_locale(locale: str) -> str:
    """The language of a locale hint ("de-AT" -> "de"); "en" when there are no words for it."""
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in _WORDS else DEFAULT_LOCALE


def format_time(at: datetime, locale: str) -> str:
    """Hours and minutes: 09:00, or 09.00 in Indonesian."""
    return f"{at.hour:02d}{_words(locale).time_separator}{at.minute:02d}"


def format_date(day: date, locale: str, *, with_year: bool = False) -> str:
    """The weekday and date ("Monday, 24 November"), optionally followed by the year."""
    words = _words(locale)
    text = words.date_pattern.format(
        weekday=words.weekdays[day.weekday()], day=day.day, month=words.months[day.month - 1]
    )
    return f"{text} {day.year}" if with_year else text


def format_when(at: datetime, locale: str, now: datetime) -> str:
    """When `at` is, said from `now`: "today at 14:00", "tomorrow at 09:00", else the
    weekday and date; the year is added when the day is in the past or more than
    about half a year ahead."""
    if at.utcoffset() is None or now.utcoffset() is None:
        raise ValueError("format_when needs timezone-aware datetimes")
    words = _words(locale)
    days_ahead = (at.date() - now.astimezone(at.tzinfo).date()).days
    if days_ahead == 0:
        day_text = words.today
    elif days_ahead == 1:
        day_text = words.tomorrow
    else:
        far = not 0 <= days_ahead <= _YEAR_SHOWN_AFTER_DAYS
        day_text = format_date(at.date(), locale, with_year=far)
    return f"{day_text} {words.at} {format_time(at, locale)}"


def format_windows(windows: Sequence[tuple[datetime, datetime]], locale: str) -> str:
    """The windows as "09:00–12:00, 13:00–17:00"; a window ending at the next midnight ends "24:00";
    no windows at all is the locale's word for closed."""
    if not windows:
        return _words(locale).closed
    return ", ".join(
        f"{format_time(start, locale)}–{_format_end(start, end, locale)}" for start, end in windows
    )


def _format_end(start: datetime, end: datetime, locale: str) -> str:
    if end.date() > start.date() and (end.hour, end.minute) == (0, 0):
        return f"24{_words(locale).time_separator}00"
    return format_time(end, locale)


def _words(locale: str) -> _Words:
    return _WORDS[resolve_locale(locale)]
