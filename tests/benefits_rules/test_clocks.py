"""Tests for benefits_rules.clocks (law brief §7 clocks)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from benefits_rules.calendar import is_working_day
from benefits_rules.clocks import (
    ClockKind,
    Deadline,
    application_decision,
    application_window,
    commune_forwarding,
    follow_up_schedule,
    initial_verification,
    old_food_limit,
    stay_limit,
)


def test_initial_verification_brief_example() -> None:
    deadline = initial_verification(date(2025, 8, 29))
    assert deadline.kind is ClockKind.initial_verification
    assert deadline.due == date(2025, 9, 3)
    assert deadline.warn_on is None
    assert deadline.cites == ("L53-2024:27", "BLDS-2015:147", "BLDS-2015:148")
    assert deadline.confirmed is False
    assert "3 days" in deadline.rule


def test_stay_limit_day_120_with_warning() -> None:
    deadline = stay_limit(date(2025, 9, 1))
    assert deadline.kind is ClockKind.stay_limit
    assert deadline.due == date(2025, 12, 29)
    assert deadline.warn_on == date(2025, 12, 19)
    assert deadline.cites == ("ND162-2025:17",)
    assert deadline.confirmed is True


def test_stay_limit_is_not_rolled_to_a_working_day() -> None:
    # Day 120 of a stay from 2025-08-30 is Saturday 2025-12-27.
    deadline = stay_limit(date(2025, 8, 30))
    assert deadline.due == date(2025, 12, 27)
    assert not is_working_day(deadline.due)


def test_stay_limit_extension_adds_days() -> None:
    deadline = stay_limit(date(2025, 9, 1), extension_days=30)
    assert deadline.due == date(2026, 1, 28)
    assert deadline.warn_on == date(2026, 1, 18)
    assert "extended" in deadline.rule
    with pytest.raises(ValueError, match="negative"):
        stay_limit(date(2025, 9, 1), extension_days=-1)


def test_old_food_limit_day_60() -> None:
    deadline = old_food_limit(date(2025, 9, 1))
    assert deadline.kind is ClockKind.old_food_limit
    assert deadline.due == date(2025, 10, 30)
    assert deadline.cites == ("ND09-2013:19",)
    assert deadline.confirmed is True


def test_application_window_month_arithmetic_without_roll_forward() -> None:
    deadline = application_window(date(2024, 2, 29))
    assert deadline.kind is ClockKind.application_window
    assert deadline.due == date(2025, 2, 28)
    assert deadline.cites == ("ND09-2013:23",)
    assert deadline.confirmed is True
    # 12 months after 2025-02-17 is Tuesday 2026-02-17, Lunar New Year: kept.
    tet = application_window(date(2025, 2, 17))
    assert tet.due == date(2026, 2, 17)
    assert not is_working_day(tet.due)


def test_application_decision_nine_working_days_across_national_day() -> None:
    # Wednesday 27 August 2025: 28, 29, (30, 31, 1, 2 off), 3, 4, 5, 8, 9, 10, 11.
    deadline = application_decision(date(2025, 8, 27))
    assert deadline.kind is ClockKind.application_decision
    assert deadline.due == date(2025, 9, 11)
    assert deadline.cites == ("ND162-2025:24",)
    assert deadline.confirmed is True


def test_application_decision_nine_working_days_across_tet_2026() -> None:
    assert application_decision(date(2026, 2, 10)).due == date(2026, 3, 2)


def test_commune_forwarding_counts_make_up_saturday() -> None:
    # Thursday 24 April 2025: 25, Saturday 26 (make-up working day), Monday 28.
    deadline = commune_forwarding(date(2025, 4, 24))
    assert deadline.kind is ClockKind.commune_forwarding
    assert deadline.due == date(2025, 4, 28)
    assert deadline.cites == ("ND09-2013:23",)
    assert deadline.confirmed is True


def test_follow_up_schedule_default() -> None:
    schedule = follow_up_schedule(date(2025, 1, 31))
    assert [d.due for d in schedule] == [
        date(2025, 2, 28),
        date(2025, 4, 30),
        date(2025, 7, 31),
        date(2026, 1, 31),
    ]
    for deadline in schedule:
        assert deadline.kind is ClockKind.follow_up
        assert deadline.cites == ("POLICY:follow-up",)
        assert deadline.confirmed is True
        assert deadline.is_policy


def test_follow_up_schedule_configurable() -> None:
    schedule = follow_up_schedule(date(2025, 1, 31), months=(2, 1))
    assert [d.due for d in schedule] == [date(2025, 2, 28), date(2025, 3, 31)]
    with pytest.raises(ValueError, match="at least 1"):
        follow_up_schedule(date(2025, 1, 31), months=(0, 1))


def test_every_clock_cites_and_law_is_not_policy() -> None:
    day = date(2025, 9, 1)
    deadlines = [
        initial_verification(day),
        stay_limit(day),
        old_food_limit(day),
        application_window(day),
        application_decision(day),
        commune_forwarding(day),
    ]
    assert {d.kind for d in deadlines} | {ClockKind.follow_up} == set(ClockKind)
    for deadline in deadlines:
        assert deadline.cites
        assert not deadline.is_policy
        assert deadline.rule
    assert [d.confirmed for d in deadlines] == [False, True, True, True, True, True]


def test_deadline_is_frozen_and_validated() -> None:
    deadline = old_food_limit(date(2025, 9, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        deadline.due = date(2030, 1, 1)  # type: ignore[misc]
    with pytest.raises(ValueError, match="citation"):
        Deadline(
            kind=ClockKind.follow_up,
            due=date(2025, 1, 1),
            warn_on=None,
            cites=(),
            confirmed=True,
            rule="x",
        )
    with pytest.raises(ValueError, match="after due date"):
        Deadline(
            kind=ClockKind.stay_limit,
            due=date(2025, 1, 1),
            warn_on=date(2025, 1, 2),
            cites=("X",),
            confirmed=True,
            rule="x",
        )


def test_clock_kind_values_are_stable_strings() -> None:
    assert ClockKind.initial_verification == "initial_verification"
    assert [k.value for k in ClockKind] == [
        "initial_verification",
        "stay_limit",
        "old_food_limit",
        "application_window",
        "application_decision",
        "commune_forwarding",
        "follow_up",
    ]
