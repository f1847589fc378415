"""Statutory and policy clocks for a case: what is due when, and on what authority.

The numbers below are quoted from the law brief §7, each next to the citation
it rests on; change them only together with the brief.  Counting conventions
(calendar days, stay days, working days, month arithmetic) live in
:mod:`benefits_rules.calendar`.

``confirmed`` on a :class:`Deadline` is false where the date depends on a rule
the brief marks as unconfirmed (the Civil Code Art. 147/148 roll-forward).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from benefits_rules.calendar import (
    add_months,
    add_working_days,
    stay_day,
    within_days_deadline,
)

__all__ = [
    "ClockKind",
    "Deadline",
    "application_decision",
    "application_window",
    "commune_forwarding",
    "follow_up_schedule",
    "initial_verification",
    "old_food_limit",
    "stay_limit",
]

# --- Numbers quoted from the law brief §7 --------------------------------------
# Law 53/2024 Art. 27(2) as amended: initial verification within 3 days of the
# commune's notification to the Department of Health.
INITIAL_VERIFICATION_DAYS: Final = 3  # L53-2024:27 (+ BLDS-2015:147, :148)
# Decree 162 Art. 17: support at the facility up to day 120 of the stay.
STAY_LIMIT_DAYS: Final = 120  # ND162-2025:17
STAY_LIMIT_WARN_DAYS: Final = 10  # ND162-2025:17 (warn 10 days before the limit)
# Decree 09/2013 Art. 19 (old regime): food support up to day 60 of the stay.
OLD_FOOD_LIMIT_DAYS: Final = 60  # ND09-2013:19
# Decree 09/2013 Art. 23 (old regime): application within 12 months.
APPLICATION_WINDOW_MONTHS: Final = 12  # ND09-2013:23
# Decree 162 (Form 07): Department of Health decides within 9 working days.
APPLICATION_DECISION_WORKING_DAYS: Final = 9  # ND162-2025:24
# Decree 09/2013 Art. 23 (old regime): commune forwards within 3 working days.
COMMUNE_FORWARDING_WORKING_DAYS: Final = 3  # ND09-2013:23
# Policy, not law: follow-up checks after the return home, in months.
FOLLOW_UP_MONTHS: Final = (1, 3, 6, 12)  # POLICY:follow-up

CITE_LAW53_ART27: Final = "L53-2024:27"
CITE_CIVIL_CODE_ART147: Final = "BLDS-2015:147"
CITE_CIVIL_CODE_ART148: Final = "BLDS-2015:148"
CITE_ND162_ART17: Final = "ND162-2025:17"
CITE_ND162_ART24: Final = "ND162-2025:24"
CITE_ND09_ART19: Final = "ND09-2013:19"
CITE_ND09_ART23: Final = "ND09-2013:23"
CITE_POLICY_FOLLOW_UP: Final = "POLICY:follow-up"

_POLICY_PREFIX: Final = "POLICY:"


class ClockKind(StrEnum):
    """The clocks a case can run."""

    initial_verification = "initial_verification"
    stay_limit = "stay_limit"
    old_food_limit = "old_food_limit"
    application_window = "application_window"
    application_decision = "application_decision"
    commune_forwarding = "commune_forwarding"
    follow_up = "follow_up"


@dataclass(frozen=True, slots=True)
class Deadline:
    """One due date, with the authority it rests on.

    ``due`` is the last day on which the act is still in time.  ``cites`` holds
    citation ids (``POLICY:...`` for internal policy); ``confirmed`` is false
    where any rule used is unconfirmed in the brief.  ``rule`` is a short
    English sentence explaining how ``due`` was computed.
    """

    kind: ClockKind
    due: date
    warn_on: date | None
    cites: tuple[str, ...]
    confirmed: bool
    rule: str

    def __post_init__(self) -> None:
        """Refuse a deadline without authority or with a warning after it."""
        if not self.cites:
            msg = f"{self.kind}: a deadline needs at least one citation"
            raise ValueError(msg)
        if self.warn_on is not None and self.warn_on > self.due:
            msg = f"{self.kind}: warning {self.warn_on} is after due date {self.due}"
            raise ValueError(msg)

    @property
    def is_policy(self) -> bool:
        """Whether the deadline rests on internal policy only, not on law.

        Policy deadlines can be changed by the organisation; law cannot, so
        screens and reports must keep the two apart.
        """
        return all(cite.startswith(_POLICY_PREFIX) for cite in self.cites)


def initial_verification(notified_on: date) -> Deadline:
    """Due date of the initial verification after the commune's notification.

    The 3 days are in Law 53/2024 Art. 27(2) (confirmed), but counting them as
    calendar days rolled past days off rests on Civil Code Art. 147/148, which
    the brief leaves unconfirmed, so the deadline is not confirmed.
    """
    return Deadline(
        kind=ClockKind.initial_verification,
        due=within_days_deadline(notified_on, INITIAL_VERIFICATION_DAYS),
        warn_on=None,
        cites=(CITE_LAW53_ART27, CITE_CIVIL_CODE_ART147, CITE_CIVIL_CODE_ART148),
        confirmed=False,
        rule=(
            f"within {INITIAL_VERIFICATION_DAYS} days of the commune's notification, "
            "rolled to the next working day"
        ),
    )


def stay_limit(stay_from: date, extension_days: int = 0) -> Deadline:
    """Last day of support at the facility, with a warning ahead of it.

    Counted in stay days (day 1 is the day of arrival), so no roll-forward.
    An extension granted by decision adds its days; the warning gives staff
    time to arrange the return home or apply for that extension.
    """
    if extension_days < 0:
        msg = f"extension_days cannot be negative, got {extension_days}"
        raise ValueError(msg)
    total = STAY_LIMIT_DAYS + extension_days
    due = stay_day(stay_from, total)
    rule = f"day {STAY_LIMIT_DAYS} of the stay"
    if extension_days:
        rule += f", extended by decision by {extension_days} days (day {total})"
    return Deadline(
        kind=ClockKind.stay_limit,
        due=due,
        warn_on=due - timedelta(days=STAY_LIMIT_WARN_DAYS),
        cites=(CITE_ND162_ART17,),
        confirmed=True,
        rule=rule + f"; warn {STAY_LIMIT_WARN_DAYS} days before",
    )


def old_food_limit(stay_from: date) -> Deadline:
    """Last day of food support under the old regime (Decree 09/2013).

    Cases that began before Decree 162 keep the old entitlement, which is
    counted in stay days like the new stay limit.
    """
    return Deadline(
        kind=ClockKind.old_food_limit,
        due=stay_day(stay_from, OLD_FOOD_LIMIT_DAYS),
        warn_on=None,
        cites=(CITE_ND09_ART19,),
        confirmed=True,
        rule=f"day {OLD_FOOD_LIMIT_DAYS} of the stay (old regime)",
    )


def application_window(identified_on: date) -> Deadline:
    """Last day to apply for support under the old regime.

    A time bar in months: month arithmetic with month-end clamping and, per
    the brief, no working-day roll-forward, so a late application is refused
    even if the last day was a holiday.
    """
    return Deadline(
        kind=ClockKind.application_window,
        due=add_months(identified_on, APPLICATION_WINDOW_MONTHS),
        warn_on=None,
        cites=(CITE_ND09_ART23,),
        confirmed=True,
        rule=(
            f"{APPLICATION_WINDOW_MONTHS} months after identification (old regime), no roll-forward"
        ),
    )


def application_decision(application_received_on: date) -> Deadline:
    """Due date of the Department of Health's decision on a Form 07 application.

    Education, vocational training and hardship support under the new regime
    are decided by the provincial Department of Health (Sở Y tế) within a
    number of working days counted from the day after receipt.
    """
    return Deadline(
        kind=ClockKind.application_decision,
        due=add_working_days(application_received_on, APPLICATION_DECISION_WORKING_DAYS),
        warn_on=None,
        cites=(CITE_ND162_ART24,),
        confirmed=True,
        rule=(
            f"{APPLICATION_DECISION_WORKING_DAYS} working days after the Department "
            "of Health receives the application (Form 07)"
        ),
    )


def commune_forwarding(application_received_on: date) -> Deadline:
    """Due date for the commune to forward an old-regime application.

    Under Decree 09/2013 the commune only passes the file on, so its clock is
    short and counted in working days from the day after receipt.
    """
    return Deadline(
        kind=ClockKind.commune_forwarding,
        due=add_working_days(application_received_on, COMMUNE_FORWARDING_WORKING_DAYS),
        warn_on=None,
        cites=(CITE_ND09_ART23,),
        confirmed=True,
        rule=(
            f"{COMMUNE_FORWARDING_WORKING_DAYS} working days after the commune "
            "receives the application (old regime)"
        ),
    )


def follow_up_schedule(
    returned_home_on: date, months: tuple[int, ...] = FOLLOW_UP_MONTHS
) -> list[Deadline]:
    """Follow-up checks after the return home, earliest first.

    This is organisational policy, not law, so the schedule is configurable
    and each deadline cites ``POLICY:follow-up``; month arithmetic clamps to
    month end (31 January + 1 month is the end of February).
    """
    bad = [m for m in months if m < 1]
    if bad:
        msg = f"follow-up months must be at least 1, got {bad}"
        raise ValueError(msg)
    return [
        Deadline(
            kind=ClockKind.follow_up,
            due=add_months(returned_home_on, m),
            warn_on=None,
            cites=(CITE_POLICY_FOLLOW_UP,),
            confirmed=True,
            rule=f"follow-up check {m} month(s) after the return home (policy, not law)",
        )
        for m in sorted(set(months))
    ]
