"""What the engine knows by name: regimes, groups, statuses and the items of law brief §3.

Kept apart from the rules that compute the items so that fact validation (which must know the
item keys a person may refuse) and the bulk engine can share one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Regime(StrEnum):
    """The two support regimes (law brief §1)."""

    LAW_53_2024 = "LAW_53_2024"
    LAW_66_2011 = "LAW_66_2011"


class ItemStatus(StrEnum):
    """An item's status; see `STATUS_PRECEDENCE` for which wins."""

    granted = "granted"
    discretionary = "discretionary"
    rate_required = "rate_required"
    time_barred = "time_barred"
    refused = "refused"


#: time_barred over refused over rate_required over discretionary over granted (brief §3)
STATUS_PRECEDENCE: tuple[ItemStatus, ...] = (
    ItemStatus.time_barred,
    ItemStatus.refused,
    ItemStatus.rate_required,
    ItemStatus.discretionary,
    ItemStatus.granted,
)

#: Benefit groups are the points of Law 53/2024 Art. 37(1); `đ` is written `dd`.
GROUPS: tuple[str, ...] = ("a", "b", "c", "d", "dd", "e", "g", "h", "i", "k")


@dataclass(frozen=True, slots=True)
class ItemDef:
    """An item of law brief §3: its group and the unit its quantity counts."""

    key: str
    group: str
    unit: str | None = None


ITEMS: tuple[ItemDef, ...] = (
    ItemDef("essential_needs.food", "a", "day"),
    ItemDef("essential_needs.personal_items", "a"),
    ItemDef("medical.health_check", "b"),
    ItemDef("medical.treatment", "b"),
    ItemDef("medical.medicines", "b"),
    ItemDef("medical.health_insurance", "b", "month"),
    ItemDef("medical.health_insurance_card", "b"),
    ItemDef("interpretation", "c"),
    ItemDef("legal_support", "d"),
    ItemDef("legal_aid", "dd"),
    ItemDef("travel.fare", "e"),
    ItemDef("travel.food", "e", "day"),
    ItemDef("psychological", "g"),
    ItemDef("education.tuition_exemption", "h"),
    ItemDef("education.books_and_supplies", "h", "school_year"),
    ItemDef("vocational.training", "i"),
    ItemDef("vocational.job_counselling", "i"),
    ItemDef("hardship.initial_allowance", "k"),
    ItemDef("hardship.loan_referral", "k"),
)
ITEM_BY_KEY: dict[str, ItemDef] = {item.key: item for item in ITEMS}
ITEM_KEYS: frozenset[str] = frozenset(ITEM_BY_KEY)

#: the article every item of a regime cites for its group
GROUP_ARTICLE: dict[Regime, str] = {
    Regime.LAW_53_2024: "L53-2024:37",
    Regime.LAW_66_2011: "L66-2011:32",
}

#: the content articles each item cites besides its group article (brief §3 table)
CONTENT_CITES: dict[Regime, dict[str, tuple[str, ...]]] = {
    Regime.LAW_53_2024: {
        "essential_needs.food": ("L53-2024:38", "ND162-2025:17"),
        "essential_needs.personal_items": ("L53-2024:38", "ND162-2025:17"),
        "medical.health_check": ("L53-2024:39",),
        "medical.treatment": ("L53-2024:39",),
        "medical.medicines": ("L53-2024:39",),
        "medical.health_insurance": ("L53-2024:39",),
        "medical.health_insurance_card": ("L53-2024:39",),
        "interpretation": ("L53-2024:40",),
        "legal_support": ("L53-2024:41",),
        "legal_aid": ("L53-2024:41", "TGPL-2017:7"),
        "travel.fare": ("L53-2024:42",),
        "travel.food": ("L53-2024:42",),
        "psychological": ("L53-2024:43",),
        "education.tuition_exemption": ("ND162-2025:24",),
        "education.books_and_supplies": ("ND162-2025:24",),
        "vocational.training": ("ND162-2025:24",),
        "vocational.job_counselling": ("ND162-2025:25",),
        "hardship.initial_allowance": ("ND162-2025:24",),
        "hardship.loan_referral": ("ND162-2025:25",),
    },
    Regime.LAW_66_2011: {
        "essential_needs.food": ("ND09-2013:19",),
        "essential_needs.personal_items": ("ND09-2013:19",),
        "medical.health_check": ("ND09-2013:20",),
        "medical.treatment": ("ND09-2013:20",),
        "medical.medicines": ("ND09-2013:20",),
        "medical.health_insurance": ("ND09-2013:20",),
        "medical.health_insurance_card": ("ND09-2013:20", "TT84-2019"),
        "interpretation": (),
        "legal_support": (),
        "legal_aid": ("ND09-2013:22", "TGPL-2017:7"),
        "travel.fare": ("ND09-2013:19",),
        "travel.food": ("ND09-2013:19",),
        "psychological": ("ND09-2013:21",),
        "education.tuition_exemption": ("ND09-2013:23",),
        "education.books_and_supplies": ("ND09-2013:23",),
        "vocational.training": ("ND09-2013:23",),
        "vocational.job_counselling": (),
        "hardship.initial_allowance": ("ND09-2013:23",),
        "hardship.loan_referral": (),
    },
}

#: groups whose application is time-barred under the 2011 regime (brief §3.9)
TIME_BARRED_GROUPS: frozenset[str] = frozenset({"h", "i", "k"})

#: this system's policy, not law (brief §3): they never make an item need a legal check
JOB_COUNSELLING_MIN_AGE = 15
LOAN_REFERRAL_MIN_AGE = 18
#: "under 18" is the law's own definition of a child who may accompany a victim
ADULT_AGE = 18
