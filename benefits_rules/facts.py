"""The facts of a case (law brief §4) and their validation.

Validation is written out by hand, in the brief's order, because the contract is precise: the
*first* broken rule is reported, with the fact's dotted path and one of the brief's rule ids,
and nothing is computed. A generic schema library would report its own order and words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from benefits_rules.calendar import age_on
from benefits_rules.catalogue import ADULT_AGE, ITEM_KEYS, Regime
from benefits_rules.errors import FactsError
from benefits_rules.provinces import in_force_on as province_in_force_on
from benefits_rules.provinces import is_known as province_is_known

STATUSES = ("victim", "undergoing_identification", "accompanying_minor")
ACCOMPANIED_STATUSES = ("victim", "undergoing_identification")
NATIONALITIES = ("vietnamese", "stateless_resident", "foreign")
LOCATIONS = ("in_vietnam", "abroad")
SEXES = ("female", "male")

#: every fact name, in the brief's order, with the names a nested fact may hold
FACT_NAMES: tuple[str, ...] = (
    "status",
    "accompanies_status",
    "nationality",
    "location",
    "birth_date",
    "sex",
    "province",
    "home_province",
    "received_on",
    "identified_on",
    "stay",
    "extension_days",
    "insured",
    "needs_interpreter",
    "costs",
    "travel",
    "returning_home",
    "continues_school",
    "poor_household",
    "vocational_course_cost_vnd",
    "application_date",
    "refused",
    "regime_override",
)
NESTED_FACTS: dict[str, tuple[str, ...]] = {
    "stay": ("from", "to"),
    "costs": ("health_check_vnd", "treatment_vnd", "interpretation_vnd"),
    "travel": ("fare_vnd", "journey_days", "date"),
    "regime_override": ("regime", "reason"),
}
_KNOWN = frozenset(FACT_NAMES)
_KNOWN_NESTED = {name: frozenset(subs) for name, subs in NESTED_FACTS.items()}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Stay:
    """A stay in Viet Nam; `to` None while the person is still there."""

    start: date
    end: date | None


@dataclass(frozen=True, slots=True)
class Travel:
    """The journey home: actual ordinary fare, days on the road, and its date if known."""

    fare_vnd: int
    journey_days: int
    on: date | None


@dataclass(frozen=True, slots=True)
class Costs:
    """Actual costs paid on the person's behalf, in VND."""

    health_check_vnd: int | None = None
    treatment_vnd: int | None = None
    interpretation_vnd: int | None = None


@dataclass(frozen=True, slots=True)
class RegimeOverride:
    """An approver's choice of regime for one case, with the reason printed in the decision."""

    regime: Regime
    reason: str


@dataclass(frozen=True, slots=True)
class Facts:
    """Validated facts of one case. Holds no name, ID number or address by design."""

    status: str
    accompanies_status: str | None
    nationality: str
    location: str
    birth_date: date
    sex: str
    province: str
    home_province: str | None
    received_on: date
    identified_on: date | None
    stay: Stay | None
    extension_days: int
    insured: bool
    needs_interpreter: bool
    costs: Costs
    travel: Travel | None
    returning_home: bool
    continues_school: bool
    poor_household: bool
    vocational_course_cost_vnd: int | None
    application_date: date | None
    refused: tuple[str, ...]
    regime_override: RegimeOverride | None

    @property
    def rates_home_province(self) -> str:
        """Where rates for support applied for at home come from (defaults to `province`)."""
        return self.home_province or self.province

    @property
    def entitled_status(self) -> str:
        """The status whose groups apply: a minor follows the person they came with."""
        if self.status == "accompanying_minor" and self.accompanies_status:
            return self.accompanies_status
        return self.status

    def to_dict(self) -> dict[str, Any]:
        """The facts as plain JSON-able data, optional facts left out when absent.

        This is the canonical form: it is what the input hash is computed over and what the
        case file stores, so two equal cases always hash alike.
        """
        out: dict[str, Any] = {
            "status": self.status,
            "nationality": self.nationality,
            "location": self.location,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "province": self.province,
            "received_on": self.received_on.isoformat(),
            "extension_days": self.extension_days,
            "insured": self.insured,
            "needs_interpreter": self.needs_interpreter,
            "returning_home": self.returning_home,
            "continues_school": self.continues_school,
            "poor_household": self.poor_household,
            "refused": list(self.refused),
        }
        if self.accompanies_status is not None:
            out["accompanies_status"] = self.accompanies_status
        if self.home_province is not None:
            out["home_province"] = self.home_province
        if self.identified_on is not None:
            out["identified_on"] = self.identified_on.isoformat()
        if self.stay is not None:
            stay: dict[str, str] = {"from": self.stay.start.isoformat()}
            if self.stay.end is not None:
                stay["to"] = self.stay.end.isoformat()
            out["stay"] = stay
        costs = {
            name: value
            for name, value in (
                ("health_check_vnd", self.costs.health_check_vnd),
                ("treatment_vnd", self.costs.treatment_vnd),
                ("interpretation_vnd", self.costs.interpretation_vnd),
            )
            if value is not None
        }
        if costs:
            out["costs"] = costs
        if self.travel is not None:
            travel: dict[str, Any] = {
                "fare_vnd": self.travel.fare_vnd,
                "journey_days": self.travel.journey_days,
            }
            if self.travel.on is not None:
                travel["date"] = self.travel.on.isoformat()
            out["travel"] = travel
        if self.vocational_course_cost_vnd is not None:
            out["vocational_course_cost_vnd"] = self.vocational_course_cost_vnd
        if self.application_date is not None:
            out["application_date"] = self.application_date.isoformat()
        if self.regime_override is not None:
            out["regime_override"] = {
                "regime": str(self.regime_override.regime),
                "reason": self.regime_override.reason,
            }
        return out


# --- value checks: each returns the clean value or raises FactsError(field, rule) ----------


def _date(field: str, raw: Any) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and _ISO_DATE.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise FactsError(field, "invalid_type", "must be an ISO date YYYY-MM-DD")


def _choice(field: str, raw: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(raw, str):
        raise FactsError(field, "invalid_type", "must be text")
    if raw not in allowed:
        raise FactsError(field, "unknown_value", f"must be one of {', '.join(allowed)}")
    return raw


def _flag(field: str, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise FactsError(field, "invalid_type", "must be true or false")
    return raw


def _vnd(field: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise FactsError(field, "integer_vnd")
    if raw < 0:
        raise FactsError(field, "not_negative")
    return raw


def _count(field: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise FactsError(field, "invalid_type", "must be a whole number")
    if raw < 0:
        raise FactsError(field, "not_negative")
    return raw


def _not_after(field: str, day: date, as_of: date) -> date:
    if day > as_of:
        raise FactsError(field, "not_after_as_of")
    return day


def _mapping(field: str, raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise FactsError(field, "invalid_type", "must be a mapping")
    return raw


def _province(field: str, raw: Any, received_on: date | None) -> str:
    if not isinstance(raw, str):
        raise FactsError(field, "invalid_type", "must be a province slug")
    if not province_is_known(raw):
        raise FactsError(field, "unknown_value", "not a province of the registry")
    if received_on is not None and not province_in_force_on(raw, received_on):
        raise FactsError(field, "province_not_in_force")
    return raw


def _get(raw: Mapping[str, Any], name: str) -> Any:
    """A fact's value; an explicit null counts as absent."""
    return raw.get(name)


def _check_unknown_facts(raw: Mapping[str, Any]) -> None:
    for name in raw:
        if name not in _KNOWN:
            raise FactsError(str(name), "unknown_fact")
        subs = _KNOWN_NESTED.get(name)
        value = raw[name]
        if subs is not None and isinstance(value, Mapping):
            for sub in value:
                if sub not in subs:
                    raise FactsError(f"{name}.{sub}", "unknown_fact")


def _peek_received_on(raw: Mapping[str, Any]) -> date | None:
    """received_on if it is valid, so province checks can run in the brief's order."""
    value = _get(raw, "received_on")
    try:
        return None if value is None else _date("received_on", value)
    except FactsError:
        return None


def validate_facts(raw: Mapping[str, Any] | Facts, as_of: date, cutover: date) -> Facts:
    """Check raw facts against law brief §4 and return them typed, or raise `FactsError`.

    `cutover` is the day Law 53/2024 took effect, passed in so that a regime override can be
    refused when the regime chosen did not yet exist on `as_of`. Re-validating a `Facts`
    object is allowed because the date checks depend on `as_of`.
    """
    if isinstance(raw, Facts):
        raw = raw.to_dict()
    if not isinstance(raw, Mapping):
        raise FactsError("facts", "invalid_type", "facts must be a mapping")
    _check_unknown_facts(raw)

    def required(name: str) -> Any:
        value = _get(raw, name)
        if value is None:
            raise FactsError(name, "required")
        return value

    status = _choice("status", required("status"), STATUSES)
    accompanies = _get(raw, "accompanies_status")
    if status == "accompanying_minor" and accompanies is None:
        raise FactsError("accompanies_status", "required")
    if accompanies is not None:
        accompanies = _choice("accompanies_status", accompanies, ACCOMPANIED_STATUSES)
    if status != "accompanying_minor":
        accompanies = None
    nationality = _choice("nationality", required("nationality"), NATIONALITIES)
    location = _choice("location", required("location"), LOCATIONS)
    birth_date = _not_after("birth_date", _date("birth_date", required("birth_date")), as_of)
    if status == "accompanying_minor" and age_on(birth_date, as_of) >= ADULT_AGE:
        raise FactsError("status", "under_18_required")
    sex = _choice("sex", required("sex"), SEXES)
    received_peek = _peek_received_on(raw)
    province = _province("province", required("province"), received_peek)
    home_raw = _get(raw, "home_province")
    home_province = (
        None if home_raw is None else _province("home_province", home_raw, received_peek)
    )
    received_on = _not_after("received_on", _date("received_on", required("received_on")), as_of)

    identified_on = None
    if (value := _get(raw, "identified_on")) is not None:
        identified_on = _not_after("identified_on", _date("identified_on", value), as_of)
        if identified_on < received_on:
            raise FactsError("identified_on", "not_before_received_on")

    stay = None
    if (value := _get(raw, "stay")) is not None:
        stay_raw = _mapping("stay", value)
        start_raw = stay_raw.get("from")
        if start_raw is None:
            raise FactsError("stay.from", "required")
        start = _not_after("stay.from", _date("stay.from", start_raw), as_of)
        if start < received_on:
            raise FactsError("stay.from", "not_before_received_on")
        end = None
        if (end_raw := stay_raw.get("to")) is not None:
            end = _not_after("stay.to", _date("stay.to", end_raw), as_of)
            if end < start:
                raise FactsError("stay.to", "not_before_stay_from")
        stay = Stay(start, end)

    extension_raw = _get(raw, "extension_days")
    extension_days = 0 if extension_raw is None else _count("extension_days", extension_raw)
    insured = _flag_default(raw, "insured", True)
    needs_interpreter = _flag_default(raw, "needs_interpreter", False)

    costs = Costs()
    if (value := _get(raw, "costs")) is not None:
        costs_raw = _mapping("costs", value)
        found: dict[str, int | None] = {}
        for name in NESTED_FACTS["costs"]:
            item = costs_raw.get(name)
            found[name] = None if item is None else _vnd(f"costs.{name}", item)
        costs = Costs(**found)

    travel = None
    if (value := _get(raw, "travel")) is not None:
        travel_raw = _mapping("travel", value)
        fare = travel_raw.get("fare_vnd")
        if fare is None:
            raise FactsError("travel.fare_vnd", "required")
        fare_vnd = _vnd("travel.fare_vnd", fare)
        days = travel_raw.get("journey_days")
        if days is None:
            raise FactsError("travel.journey_days", "required")
        journey_days = _count("travel.journey_days", days)
        on = None
        if (on_raw := travel_raw.get("date")) is not None:
            on = _not_after("travel.date", _date("travel.date", on_raw), as_of)
        travel = Travel(fare_vnd, journey_days, on)

    returning_home = _flag_default(raw, "returning_home", False)
    continues_school = _flag_default(raw, "continues_school", False)
    poor_household = _flag_default(raw, "poor_household", False)
    course_raw = _get(raw, "vocational_course_cost_vnd")
    course = None if course_raw is None else _vnd("vocational_course_cost_vnd", course_raw)
    application_date = None
    if (value := _get(raw, "application_date")) is not None:
        application_date = _not_after("application_date", _date("application_date", value), as_of)

    refused: tuple[str, ...] = ()
    if (value := _get(raw, "refused")) is not None:
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise FactsError("refused", "invalid_type", "must be a list of item keys")
        for i, key in enumerate(value):
            if not isinstance(key, str):
                raise FactsError(f"refused.{i}", "invalid_type", "must be an item key")
            if key not in ITEM_KEYS:
                raise FactsError(f"refused.{i}", "unknown_value", "not an item key")
        refused = tuple(value)

    override = None
    if (value := _get(raw, "regime_override")) is not None:
        override_raw = _mapping("regime_override", value)
        regime_raw = override_raw.get("regime")
        if regime_raw is None:
            raise FactsError("regime_override.regime", "required")
        regime = Regime(_choice("regime_override.regime", regime_raw, tuple(Regime)))
        reason = override_raw.get("reason")
        if reason is None:
            raise FactsError("regime_override.reason", "required")
        if not isinstance(reason, str) or not reason.strip():
            raise FactsError("regime_override.reason", "invalid_type", "must be non-empty text")
        if regime is Regime.LAW_53_2024 and as_of < cutover:
            raise FactsError("regime_override.regime", "regime_not_in_force")
        override = RegimeOverride(regime, reason)

    return Facts(
        status=status,
        accompanies_status=accompanies,
        nationality=nationality,
        location=location,
        birth_date=birth_date,
        sex=sex,
        province=province,
        home_province=home_province,
        received_on=received_on,
        identified_on=identified_on,
        stay=stay,
        extension_days=extension_days,
        insured=insured,
        needs_interpreter=needs_interpreter,
        costs=costs,
        travel=travel,
        returning_home=returning_home,
        continues_school=continues_school,
        poor_household=poor_household,
        vocational_course_cost_vnd=course,
        application_date=application_date,
        refused=refused,
        regime_override=override,
    )


def _flag_default(raw: Mapping[str, Any], name: str, default: bool) -> bool:
    value = _get(raw, name)
    return default if value is None else _flag(name, value)
