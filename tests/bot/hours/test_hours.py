"""Support hours and their wording: real zoneinfo data, the real `holidays` package."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, HoursSection, load_config
from bot.hours.datefmt import format_when, format_windows
from bot.hours.schedule import SupportHours

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def make(**fields: Any) -> SupportHours:
    fields.setdefault("timezone", "Europe/Berlin")
    return SupportHours.from_config(HoursSection.model_validate(fields))


def berlin(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN, fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def in_utc(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Compare windows as instants: Python compares two times of one zone by wall time."""
    return [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in windows]


# --- weekly schedule -------------------------------------------------------------------


def test_split_shift_is_open_only_inside_its_windows() -> None:
    hours = make(weekly={"mon": ["09:00-12:00", "13:00-17:00"]})
    checks = {
        (8, 59): False,
        (9, 0): True,
        (11, 59): True,
        (12, 0): False,
        (12, 30): False,
        (13, 0): True,
        (16, 59): True,
        (17, 0): False,
    }
    assert {hm: hours.is_open(berlin(2025, 11, 24, *hm)) for hm in checks} == checks
    assert hours.next_opening(berlin(2025, 11, 24, 12, 30)) == berlin(2025, 11, 24, 13)
    assert hours.next_closing(berlin(2025, 11, 24, 10)) == berlin(2025, 11, 24, 12)
    assert hours.windows_on(date(2025, 11, 24)) == [
        (berlin(2025, 11, 24, 9), berlin(2025, 11, 24, 12)),
        (berlin(2025, 11, 24, 13), berlin(2025, 11, 24, 17)),
    ]
    assert hours.windows_on(date(2025, 11, 25)) == []


def test_next_opening_after_the_last_window_is_next_week() -> None:
    hours = make(weekly={"mon": ["09:00-12:00", "13:00-17:00"]})
    assert hours.next_opening(berlin(2025, 11, 24, 17)) == berlin(2025, 12, 1, 9)


def test_answers_in_support_zone_for_a_moment_given_in_any_zone() -> None:
    hours = make(weekly={"mon": ["09:00-12:00"]})
    at = datetime(2025, 11, 24, 3, 30, tzinfo=NEW_YORK)  # 09:30 in Berlin
    assert hours.is_open(at)
    closing = hours.next_closing(at)
    assert closing == berlin(2025, 11, 24, 12)
    assert closing is not None and closing.tzinfo is BERLIN
    opening = hours.next_opening(at)
    assert opening == at
    assert opening is not None and opening.tzinfo is BERLIN


def test_next_closing_when_closed_is_that_moment() -> None:
    hours = make(weekly=WEEKDAYS_9_TO_5)
    saturday = utc(2025, 11, 29, 12)
    assert hours.next_closing(saturday) == saturday


def test_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    hours = make(weekly={"fri": ["22:00-02:00"]})
    assert not hours.is_open(berlin(2025, 11, 28, 21, 59))
    assert hours.is_open(berlin(2025, 11, 28, 22))
    assert hours.is_open(berlin(2025, 11, 29, 1, 59))
    assert not hours.is_open(berlin(2025, 11, 29, 2))
    assert hours.windows_on(date(2025, 11, 28)) == [
        (berlin(2025, 11, 28, 22), berlin(2025, 11, 29, 2))
    ]
    assert hours.windows_on(date(2025, 11, 29)) == []
    assert hours.next_closing(berlin(2025, 11, 28, 23)) == berlin(2025, 11, 29, 2)
    assert hours.next_opening(berlin(2025, 11, 29, 3)) == berlin(2025, 12, 5, 22)


def test_touching_windows_on_following_days_close_once_at_the_end() -> None:
    hours = make(weekly={"fri": ["18:00-02:00"], "sat": ["00:00-24:00"], "sun": ["00:00-03:00"]})
    assert hours.next_closing(berlin(2025, 11, 28, 19)) == berlin(2025, 11, 30, 3)
    assert hours.windows_on(date(2025, 11, 29)) == [
        (berlin(2025, 11, 29, 0), berlin(2025, 11, 30, 0))
    ]


def test_equal_start_and_end_is_a_whole_day_from_that_time() -> None:
    hours = make(weekly={"wed": ["09:00-09:00"]})
    assert hours.is_open(berlin(2025, 11, 27, 8, 59))
    assert hours.next_closing(berlin(2025, 11, 26, 12)) == berlin(2025, 11, 27, 9)


# --- holidays and closed dates ---------------------------------------------------------


def test_national_holiday_closes_the_day_and_is_named() -> None:
    hours = make(weekly=WEEKDAYS_9_TO_5, holidays={"country": "DE", "subdiv": "BE"})
    unity_day = date(2025, 10, 3)  # a Friday
    assert not hours.is_open(berlin(2025, 10, 3, 10))
    assert hours.windows_on(unity_day) == []
    assert hours.holiday_name(unity_day) == "German Unity Day"
    assert hours.holiday_name(unity_day, "de") == "Tag der Deutschen Einheit"
    assert hours.holiday_name(unity_day, "id") == "German Unity Day"
    assert hours.holiday_name(date(2025, 10, 2)) is None
    assert hours.next_opening(berlin(2025, 10, 2, 18)) == berlin(2025, 10, 6, 9)


def test_subdivision_only_holiday_depends_on_the_subdivision() -> None:
    womens_day = date(2027, 3, 8)  # a Monday; a holiday in Berlin, not in Bavaria
    berlin_hours = make(weekly=WEEKDAYS_9_TO_5, holidays={"country": "DE", "subdiv": "BE"})
    bavaria_hours = make(weekly=WEEKDAYS_9_TO_5, holidays={"country": "DE", "subdiv": "BY"})
    assert not berlin_hours.is_open(berlin(2027, 3, 8, 10))
    assert berlin_hours.holiday_name(womens_day) == "Women's Day"
    assert bavaria_hours.is_open(berlin(2027, 3, 8, 10))
    assert bavaria_hours.holiday_name(womens_day) is None


def test_window_started_the_evening_before_a_holiday_runs_to_its_end() -> None:
    hours = make(
        weekly={"thu": ["22:00-02:00"], "fri": ["22:00-02:00"]},
        holidays={"country": "DE"},
    )
    assert hours.is_open(berlin(2025, 10, 3, 1))
    assert hours.next_closing(berlin(2025, 10, 3, 1)) == berlin(2025, 10, 3, 2)
    assert not hours.is_open(berlin(2025, 10, 3, 23))
    assert hours.next_opening(berlin(2025, 10, 3, 23)) == berlin(2025, 10, 9, 22)


def test_extra_closed_date_closes_without_a_holiday_name() -> None:
    hours = make(weekly=WEEKDAYS_9_TO_5, closed=["2025-12-24"])
    assert not hours.is_open(berlin(2025, 12, 24, 10))
    assert hours.windows_on(date(2025, 12, 24)) == []
    assert hours.holiday_name(date(2025, 12, 24)) is None
    assert hours.next_opening(berlin(2025, 12, 23, 18)) == berlin(2025, 12, 25, 9)


def test_next_opening_jumps_a_closed_stretch_longer_than_the_search_horizon() -> None:
    mondays = [date(2026, 1, 5) + timedelta(weeks=week) for week in range(60)]  # 413 days
    hours = make(weekly={"mon": ["09:00-17:00"]}, closed=[day.isoformat() for day in mondays])
    assert hours.next_opening(berlin(2026, 1, 1, 12)) == berlin(2027, 3, 1, 9)


def test_christmas_holidays_and_closed_dates_together() -> None:
    hours = make(
        weekly=WEEKDAYS_9_TO_5,
        holidays={"country": "DE", "subdiv": "BE"},
        closed=["2025-12-24", "2025-12-29", "2025-12-30", "2025-12-31"],
    )
    assert hours.next_opening(berlin(2025, 12, 23, 17)) == berlin(2026, 1, 2, 9)


# --- daylight saving time --------------------------------------------------------------


def test_window_inside_the_spring_forward_gap_does_not_happen() -> None:
    hours = make(weekly={"sun": ["02:00-03:00"]})
    assert hours.windows_on(date(2026, 3, 29)) == []
    opening = hours.next_opening(berlin(2026, 3, 28, 12))
    assert opening == berlin(2026, 4, 5, 2)
    assert opening is not None and opening.utcoffset() == timedelta(hours=2)


def test_window_ending_in_the_spring_forward_gap_ends_at_the_switch() -> None:
    hours = make(weekly={"sun": ["01:30-02:30"]})
    assert in_utc(hours.windows_on(date(2026, 3, 29))) == [
        (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1))
    ]
    assert hours.is_open(utc(2026, 3, 29, 0, 59))
    assert not hours.is_open(utc(2026, 3, 29, 1))
    assert hours.next_closing(utc(2026, 3, 29, 0, 45)) == berlin(2026, 3, 29, 3)


def test_window_across_the_spring_forward_switch_is_an_hour_shorter() -> None:
    hours = make(weekly={"sun": ["01:00-05:00"]})
    [(start, end)] = in_utc(hours.windows_on(date(2026, 3, 29)))
    assert end - start == timedelta(hours=3)
    assert format_windows(hours.windows_on(date(2026, 3, 29)), "en") == "01:00–05:00"


def test_window_across_the_autumn_fold_is_an_hour_longer_and_open_in_both_hours() -> None:
    hours = make(weekly={"sun": ["00:00-04:00"]})
    [(start, end)] = in_utc(hours.windows_on(date(2026, 10, 25)))
    assert (start, end) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 3))
    assert hours.is_open(berlin(2026, 10, 25, 2, 30, fold=0))
    assert hours.is_open(berlin(2026, 10, 25, 2, 30, fold=1))
    assert hours.next_closing(berlin(2026, 10, 25, 2, 30, fold=1)) == utc(2026, 10, 25, 3)


def test_window_over_the_repeated_hour_covers_both_passes() -> None:
    hours = make(weekly={"sun": ["02:00-03:00"]})
    assert in_utc(hours.windows_on(date(2026, 10, 25))) == [
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 2))
    ]


def test_window_ending_in_the_repeated_hour_ends_at_its_first_pass() -> None:
    hours = make(weekly={"sat": ["22:00-02:30"]})
    assert in_utc(hours.windows_on(date(2026, 10, 24))) == [
        (utc(2026, 10, 24, 20), utc(2026, 10, 25, 0, 30))
    ]
    assert hours.is_open(berlin(2026, 10, 25, 2, 15, fold=0))
    assert not hours.is_open(berlin(2026, 10, 25, 2, 15, fold=1))


def test_new_york_weekday_hours_follow_the_local_clock_over_the_switch() -> None:
    hours = make(timezone="America/New_York", weekly=WEEKDAYS_9_TO_5)
    friday_evening = datetime(2026, 3, 6, 18, tzinfo=NEW_YORK)
    assert hours.next_opening(friday_evening) == utc(2026, 3, 9, 13)
    assert in_utc(hours.windows_on(date(2026, 3, 6))) == [
        (utc(2026, 3, 6, 14), utc(2026, 3, 6, 22))
    ]


def test_new_york_spring_gap_and_autumn_fold() -> None:
    hours = make(timezone="America/New_York", weekly={"sun": ["01:00-03:00"]})
    assert in_utc(hours.windows_on(date(2026, 3, 8))) == [(utc(2026, 3, 8, 6), utc(2026, 3, 8, 7))]
    # Sunday 1 November: 01:00 EDT until 03:00 EST is three real hours.
    assert in_utc(hours.windows_on(date(2026, 11, 1))) == [
        (utc(2026, 11, 1, 5), utc(2026, 11, 1, 8))
    ]
    assert hours.is_open(datetime(2026, 11, 1, 1, 45, tzinfo=NEW_YORK, fold=1))


# --- always open, never open -----------------------------------------------------------


def test_always_open_ignores_schedule_and_holidays() -> None:
    hours = make(always_open=True, holidays={"country": "DE"}, closed=["2025-12-24"])
    christmas = berlin(2025, 12, 25, 3)
    assert hours.is_open(christmas)
    assert hours.is_open(berlin(2025, 12, 24, 12))
    assert hours.next_opening(christmas) == christmas
    assert hours.next_closing(christmas) is None
    assert hours.holiday_name(date(2025, 12, 25)) == "Christmas Day"
    windows = hours.windows_on(date(2026, 3, 29))
    assert windows == [(berlin(2026, 3, 29), berlin(2026, 3, 30))]
    [(start, end)] = in_utc(windows)
    assert end - start == timedelta(hours=23)


def test_empty_schedule_never_opens() -> None:
    hours = make()
    at = berlin(2025, 11, 24, 10)
    assert not hours.is_open(at)
    assert hours.next_opening(at) is None
    assert hours.next_closing(at) == at
    assert hours.windows_on(date(2025, 11, 24)) == []


def test_round_the_clock_schedule_never_closes() -> None:
    every_day = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    hours = make(weekly=every_day)
    assert hours.next_closing(berlin(2025, 11, 24, 10)) is None


def test_naive_moment_is_refused() -> None:
    hours = make(weekly=WEEKDAYS_9_TO_5)
    with pytest.raises(ValueError, match="no time zone"):
        hours.is_open(datetime(2025, 11, 24, 10))


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"weekly": {"mon": ["09:00-12:00", "9-17"]}},
            'hours.weekly.mon[1]: "9-17" is not HH:MM-HH:MM',
        ),
        (
            {"weekly": {"tue": ["25:00-26:00"]}},
            'hours.weekly.tue[0]: "25:00-26:00" is not a time of day',
        ),
        (
            {"weekly": {"wed": ["09:00-24:30"]}},
            'hours.weekly.wed[0]: "09:00-24:30" is not a time of day',
        ),
        (
            {"weekly": {"thu": ["13:00-17:00", "09:00-14:00"]}},
            'hours.weekly.thu[0]: "13:00-17:00" overlaps "09:00-14:00"',
        ),
        ({"timezone": "Mars/Olympus"}, 'hours.timezone: unknown time zone "Mars/Olympus"'),
        ({"timezone": "Europe"}, 'hours.timezone: unknown time zone "Europe"'),
        (
            {"holidays": {"country": "XX"}},
            'hours.holidays.country: unknown holiday country "XX"',
        ),
        (
            {"holidays": {"country": "DE", "subdiv": "ZZ"}},
            'hours.holidays.subdiv: DE has no subdivision "ZZ" (known: BB, BE,',
        ),
        (
            {"closed": ["2025-12-24", "2026-13-01"]},
            'hours.closed[1]: "2026-13-01" is not a date YYYY-MM-DD',
        ),
    ],
)
def test_invalid_configuration_names_the_key(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        make(**fields)


def test_yaml_file_with_unquoted_dates_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "hours:\n"
        "  timezone: Europe/Berlin\n"
        "  weekly:\n"
        "    wed: [09:00-17:00]\n"
        "  closed: [2025-12-24]\n",
        encoding="utf-8",
    )
    hours = SupportHours.from_config(load_config(path).hours)
    assert hours.windows_on(date(2025, 12, 24)) == []
    assert hours.windows_on(date(2025, 12, 31)) == [
        (berlin(2025, 12, 31, 9), berlin(2025, 12, 31, 17))
    ]


# --- wording ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "other_day", "today", "tomorrow"),
    [
        ("en", "Monday, 24 November at 09:00", "today at 14:00", "tomorrow at 09:00"),
        ("de", "Montag, 24. November um 09:00", "heute um 14:00", "morgen um 09:00"),
        ("id", "Senin, 24 November pukul 09.00", "hari ini pukul 14.00", "besok pukul 09.00"),
    ],
)
def test_format_when_in_each_locale(locale: str, other_day: str, today: str, tomorrow: str) -> None:
    now = berlin(2025, 11, 20, 8)
    assert format_when(berlin(2025, 11, 24, 9), locale, now) == other_day
    assert format_when(berlin(2025, 11, 20, 14), locale, now) == today
    assert format_when(berlin(2025, 11, 21, 9), locale, now) == tomorrow


def test_format_when_adds_the_year_for_far_or_past_days() -> None:
    now = berlin(2025, 12, 20, 8)
    assert format_when(berlin(2026, 1, 5, 9), "en", now) == "Monday, 5 January at 09:00"
    assert format_when(berlin(2026, 12, 21, 9), "de", now) == "Montag, 21. Dezember 2026 um 09:00"
    assert format_when(berlin(2025, 11, 3, 9), "id", now) == "Senin, 3 November 2025 pukul 09.00"


def test_format_when_judges_today_in_the_zone_of_the_time_shown() -> None:
    now = utc(2025, 11, 24, 23, 15)  # already Tuesday 00:15 in Berlin
    assert format_when(berlin(2025, 11, 25, 0, 30), "en", now) == "today at 00:30"


def test_format_when_locale_hints_and_unknown_locales() -> None:
    now = berlin(2025, 11, 20, 8)
    assert format_when(berlin(2025, 11, 21, 9), "de-AT", now) == "morgen um 09:00"
    assert format_when(berlin(2025, 11, 21, 9), "fr", now) == "tomorrow at 09:00"


def test_format_when_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_when(datetime(2025, 11, 21, 9), "en", berlin(2025, 11, 20, 8))


@pytest.mark.parametrize(
    ("locale", "open_text", "closed_text"),
    [
        ("en", "09:00–12:00, 13:00–17:00", "closed"),
        ("de", "09:00–12:00, 13:00–17:00", "geschlossen"),
        ("id", "09.00–12.00, 13.00–17.00", "tutup"),
        ("xx", "09:00–12:00, 13:00–17:00", "closed"),
    ],
)
def test_format_windows_in_each_locale(locale: str, open_text: str, closed_text: str) -> None:
    hours = make(weekly={"mon": ["09:00-12:00", "13:00-17:00"]})
    assert format_windows(hours.windows_on(date(2025, 11, 24)), locale) == open_text
    assert format_windows(hours.windows_on(date(2025, 11, 25)), locale) == closed_text


def test_format_windows_past_midnight_and_whole_days() -> None:
    hours = make(weekly={"fri": ["22:00-02:00"], "sat": ["00:00-24:00"]})
    assert format_windows(hours.windows_on(date(2025, 11, 28)), "en") == "22:00–02:00"
    assert format_windows(hours.windows_on(date(2025, 11, 29)), "de") == "00:00–24:00"
    assert format_windows(hours.windows_on(date(2025, 11, 29)), "id") == "00.00–24.00"
