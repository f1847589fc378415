"""Tests for benefits_rules.calendar (law brief §7 counting rules)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import holidays
import pytest

from benefits_rules import calendar as cal
from benefits_rules.calendar import (
    add_months,
    add_working_days,
    age_on,
    is_working_day,
    public_holidays,
    stay_day,
    stay_days,
    within_days_deadline,
)


def _lunar_new_year(year: int) -> date:
    """Tết from the package itself, so the tests never hand-write it either."""
    named = holidays.country_holidays("VN", years=year, language="en_US").get_named(
        "Lunar New Year", lookup="exact"
    )
    assert len(named) == 1
    return named[0]


# --- month arithmetic ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 1, 15), 0, date(2025, 1, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 31), -2, date(2024, 11, 30)),
    ],
)
def test_add_months_clamps_to_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


# --- age ----------------------------------------------------------------------


def test_age_on_leap_day_birthday_turns_on_first_of_march() -> None:
    born = date(2008, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 17
    assert age_on(born, date(2026, 3, 1)) == 18
    # In a leap year the birthday exists.
    assert age_on(born, date(2024, 2, 28)) == 15
    assert age_on(born, date(2024, 2, 29)) == 16


def test_age_on_ordinary_birthday() -> None:
    born = date(2007, 9, 15)
    assert age_on(born, date(2025, 9, 14)) == 17
    assert age_on(born, date(2025, 9, 15)) == 18
    assert age_on(born, born) == 0


def test_age_on_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(date(2010, 1, 1), date(2009, 12, 31))


# --- stays --------------------------------------------------------------------


def test_stay_day_counts_arrival_as_day_one() -> None:
    start = date(2025, 9, 1)
    assert stay_day(start, 1) == start
    assert stay_day(start, 120) == date(2025, 12, 29)
    assert stay_days(start, date(2025, 12, 29)) == 120


def test_stay_days_is_inclusive_and_inverse_of_stay_day() -> None:
    start = date(2024, 2, 28)
    assert stay_days(start, start) == 1
    for n in (1, 2, 60, 120, 400):
        assert stay_days(start, stay_day(start, n)) == n


def test_stay_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="numbered from 1"):
        stay_day(date(2025, 9, 1), 0)
    with pytest.raises(ValueError, match="before it starts"):
        stay_days(date(2025, 9, 2), date(2025, 9, 1))


# --- the "within N days" rule (Civil Code Art. 147/148) ------------------------


def test_brief_example_friday_notification_rolls_past_national_day() -> None:
    # Notified Friday 29 August 2025: day 3 is Monday 1 September, a holiday,
    # and 2 September is one too, so the period ends Wednesday 3 September.
    assert within_days_deadline(date(2025, 8, 29), 3) == date(2025, 9, 3)


def test_within_days_on_a_working_day_does_not_move() -> None:
    assert within_days_deadline(date(2025, 9, 8), 3) == date(2025, 9, 11)


def test_within_days_ending_on_sunday_rolls_to_monday() -> None:
    # Thursday + 3 = Sunday 14 September 2025.
    assert within_days_deadline(date(2025, 9, 11), 3) == date(2025, 9, 15)


def test_within_days_counts_calendar_days_not_working_days() -> None:
    # Wednesday 10 September + 10 days = Saturday 20 -> Monday 22.
    assert within_days_deadline(date(2025, 9, 10), 10) == date(2025, 9, 22)


def test_within_days_ending_on_make_up_saturday_is_not_rolled() -> None:
    # Saturday 26 April 2025 was worked in exchange for Friday 2 May.
    assert within_days_deadline(date(2025, 4, 23), 3) == date(2025, 4, 26)


def test_within_days_across_tet_2026() -> None:
    tet = _lunar_new_year(2026)
    assert tet == date(2026, 2, 17)
    due = within_days_deadline(tet - timedelta(days=2), 3)
    assert is_working_day(due)
    assert due > tet
    assert all(not is_working_day(tet + timedelta(days=k)) for k in range((due - tet).days))


def test_within_days_rejects_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        within_days_deadline(date(2025, 9, 1), 0)


# --- working days -------------------------------------------------------------


def test_weekends_and_weekdays() -> None:
    assert is_working_day(date(2025, 9, 5))  # Friday
    assert not is_working_day(date(2025, 9, 6))  # Saturday
    assert not is_working_day(date(2025, 9, 7))  # Sunday


def test_tet_2026_is_not_working() -> None:
    tet = _lunar_new_year(2026)
    assert tet == date(2026, 2, 17)
    assert not is_working_day(date(2026, 2, 17))
    # The package gives New Year's Eve to the fourth day off: Mon 16 to Fri 20.
    for k in range(-1, 4):
        assert not is_working_day(tet + timedelta(days=k))
    assert is_working_day(date(2026, 2, 13))  # Friday before
    assert is_working_day(date(2026, 2, 23))  # Monday after


def test_add_working_days_skips_tet_2026() -> None:
    assert add_working_days(date(2026, 2, 12), 1) == date(2026, 2, 13)
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    # Tuesday 10 February + 9 working days: 11, 12, 13, 23, 24, 25, 26, 27, 2 March.
    assert add_working_days(date(2026, 2, 10), 9) == date(2026, 3, 2)


def test_add_working_days_starts_the_day_after_the_event() -> None:
    # Monday event: day 1 is Tuesday, never the Monday itself.
    assert add_working_days(date(2025, 9, 8), 1) == date(2025, 9, 9)
    # Friday event: day 1 is Monday.
    assert add_working_days(date(2025, 9, 12), 1) == date(2025, 9, 15)


def test_add_working_days_rejects_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2025, 9, 1), 0)


def test_substituted_day_off_and_make_up_saturday_2025() -> None:
    # Government swap for 30 April / 1 May 2025: Friday 2 May off,
    # Saturday 26 April worked instead.
    assert not is_working_day(date(2025, 5, 2))
    assert is_working_day(date(2025, 4, 26))
    assert add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)


def test_substituted_day_off_and_make_up_saturday_2026() -> None:
    # National Day 2026: Monday 31 August off, Saturday 22 August worked.
    assert is_working_day(date(2026, 8, 22))
    assert not is_working_day(date(2026, 8, 31))
    assert not is_working_day(date(2026, 9, 1))
    assert not is_working_day(date(2026, 9, 2))


def test_make_up_saturday_across_a_year_boundary() -> None:
    # Saturday 27 December 2014 was worked for Friday 2 January 2015.
    assert is_working_day(date(2014, 12, 27))
    assert not is_working_day(date(2015, 1, 2))


def test_observed_holiday_on_weekend_moves_to_monday() -> None:
    # Hùng Kings' day 2026 falls on Sunday 26 April; Monday 27 is off.
    assert not is_working_day(date(2026, 4, 27))


def test_years_outside_the_package_range_are_refused() -> None:
    with pytest.raises(ValueError, match="covers"):
        is_working_day(date(2101, 1, 3))
    with pytest.raises(ValueError, match="covers"):
        public_holidays(1800)


def test_calendar_is_one_cached_instance_across_years() -> None:
    first = cal._vn_calendar()
    for year in range(1995, 2101):
        is_working_day(date(year, 1, 1))
    assert cal._vn_calendar() is first
    assert not is_working_day(date(2100, 1, 1))


def test_concurrent_first_lookups_see_whole_years() -> None:
    cal._vn_calendar.cache_clear()
    tets = {year: _lunar_new_year(year) for year in range(2030, 2050)}
    errors: list[date] = []

    def check(year: int) -> None:
        if is_working_day(tets[year]):
            errors.append(tets[year])

    threads = [threading.Thread(target=check, args=(y,)) for y in tets for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# --- display ------------------------------------------------------------------


def test_public_holidays_2026() -> None:
    days = public_holidays(2026)
    assert list(days) == sorted(days)
    assert all(day.year == 2026 for day in days)
    assert days[date(2026, 2, 17)] == "Tết Nguyên Đán"
    assert date(2026, 8, 31) in days  # substituted day off
    assert date(2026, 8, 22) not in days  # make-up Saturday is a working day
    assert date(2026, 11, 24) in days  # Vietnam Cultural Day, from 2026
