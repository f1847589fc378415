"""Calendar arithmetic for the law engine: months, ages, stays and working days.

The rules are quoted from the law brief §7.  Every clock in
:mod:`benefits_rules.clocks` is built from the functions here, so that the
counting conventions (calendar days vs. stay days vs. working days, month-end
clamping, 29 February birthdays) are decided once.

Working days come from the maintained ``holidays`` package (Vietnam class):
Monday to Friday, minus public holidays (Tết, Hùng Kings, 30/4, 1/5, 2/9,
24/11 from 2026), minus the observed days off and the days off the government
substitutes, plus the Saturdays it declares make-up working days.  Tết dates
are never written by hand here: the package computes them from the Vietnamese
lunar calendar.
"""

from __future__ import annotations

import calendar
import functools
import threading
from datetime import date, timedelta

import holidays

__all__ = [
    "add_months",
    "add_working_days",
    "age_on",
    "is_working_day",
    "public_holidays",
    "stay_day",
    "stay_days",
    "within_days_deadline",
]

# Holiday names are the official Vietnamese ones; set explicitly so that the
# process locale never changes what a caseworker sees.
_HOLIDAY_LANGUAGE = "vi"

# The holidays instance fills in a year lazily the first time a date of that
# year is looked up, by mutating itself.  Two threads hitting a new year at
# once could let one of them read a half-filled year (and take Tết for a
# working day), so every lookup, and the creation of the cached instance,
# goes through this lock.
_LOCK = threading.Lock()


@functools.cache
def _vn_calendar() -> holidays.HolidayBase:
    """Return the one shared Vietnamese holiday calendar.

    A single cached instance keeps every year the package has already computed,
    so lookups across many years cost one population per year per process.
    """
    return holidays.country_holidays("VN", language=_HOLIDAY_LANGUAGE)


def _check_year(day: date) -> None:
    """Refuse dates the package has no calendar for (call with ``_LOCK`` held).

    Outside its supported years the package returns no holidays at all, which
    would silently make every weekday a working day.
    """
    cal = _vn_calendar()
    if not cal.start_year <= day.year <= cal.end_year:
        msg = (
            f"{day.isoformat()}: the Vietnamese holiday calendar covers "
            f"{cal.start_year}-{cal.end_year} only"
        )
        raise ValueError(msg)


def add_months(day: date, months: int) -> date:
    """Add calendar months, clamping to the last day of a shorter month.

    Time bars and follow-up schedules are set in months; the brief fixes that a
    day missing from the target month (31 January + 1 month) falls on that
    month's last day rather than spilling into the next month.  ``months`` may
    be negative.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def age_on(birth_date: date, day: date) -> int:
    """Return the age in completed years on ``day``.

    Eligibility turns on whether a victim is a child; the brief fixes that a
    person born on 29 February becomes a year older on 1 March in non-leap
    years (comparing (month, day) pairs gives exactly that).
    """
    if day < birth_date:
        msg = f"{day.isoformat()} is before the birth date {birth_date.isoformat()}"
        raise ValueError(msg)
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def stay_day(stay_from: date, n: int) -> date:
    """Return the date of day ``n`` of a stay (day 1 is ``stay_from``).

    Stay limits are counted in days of stay, not as a period after an event:
    the day of arrival already counts, so day 120 is ``stay_from + 119 days``
    and no working-day roll-forward applies.
    """
    if n < 1:
        msg = f"stay days are numbered from 1, got {n}"
        raise ValueError(msg)
    return stay_from + timedelta(days=n - 1)


def stay_days(stay_from: date, stay_to: date) -> int:
    """Return how many days a stay lasted, both ends included.

    The inverse of :func:`stay_day`: a stay from 1 to 3 September is 3 days,
    which is what is compared with the stay and food limits.
    """
    if stay_to < stay_from:
        msg = f"stay ends {stay_to.isoformat()} before it starts {stay_from.isoformat()}"
        raise ValueError(msg)
    return (stay_to - stay_from).days + 1


def is_working_day(day: date) -> bool:
    """Tell whether public offices work on ``day``.

    Working-day clocks and the Art. 148 roll-forward both depend on it; the
    answer includes substituted days off and make-up Saturdays, which a plain
    weekday test would get wrong.
    """
    with _LOCK:
        _check_year(day)
        return _vn_calendar().is_working_day(day)


def add_working_days(event: date, n: int) -> date:
    """Return the ``n``-th working day after ``event``.

    "N working days" counts only working days and starts the day after the
    event, so the event day itself never counts even if it is a working day.
    """
    if n < 1:
        msg = f"a working-day period needs at least 1 day, got {n}"
        raise ValueError(msg)
    with _LOCK:
        _check_year(event)
        due = _vn_calendar().get_nth_working_day(event, n)
        _check_year(due)
    return due


def within_days_deadline(event: date, n: int) -> date:
    """Return the last day of a period "within ``n`` days" after ``event``.

    Civil Code 2015 Art. 147: counted in calendar days from the day after the
    event, ending at the end of day ``n``.  Art. 148: if that day is a day off
    (weekend, public holiday or substituted day off), the period ends at the
    end of the next working day.  A make-up Saturday is a working day and is
    not rolled.
    """
    if n < 1:
        msg = f"a period in days needs at least 1 day, got {n}"
        raise ValueError(msg)
    last = event + timedelta(days=n)
    with _LOCK:
        _check_year(last)
        due = _vn_calendar().get_nth_working_day(last, 0)
        _check_year(due)
    return due


def public_holidays(year: int) -> dict[date, str]:
    """Return the days off of ``year``, by date, with their Vietnamese names.

    For display only (the clocks use :func:`is_working_day`), so that a
    caseworker can see why a deadline moved.  Includes observed and
    substituted days off; make-up Saturdays are working days and not listed.
    """
    first = date(year, 1, 1)
    with _LOCK:
        _check_year(first)
        cal = _vn_calendar()
        cal.get(first)  # fills in the year if it is not there yet
        return {day: name for day, name in sorted(cal.items()) if day.year == year}
