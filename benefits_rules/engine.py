"""`compute`: the support one person is entitled to on one date, with a trace of why.

Each item of law brief §3 has a small rule function below. A rule decides whether the item
appears and, if so, its amount, quantity and every parameter or rate it used; `_finish` then
applies the statuses (refusal, time bar, missing rate, discretionary) and the legal-check flag
the same way for every item, so that those cross-cutting rules live in one place.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from benefits_rules.calendar import add_months, age_on
from benefits_rules.catalogue import (
    ADULT_AGE,
    CONTENT_CITES,
    GROUP_ARTICLE,
    ITEMS,
    JOB_COUNSELLING_MIN_AGE,
    LOAN_REFERRAL_MIN_AGE,
    TIME_BARRED_GROUPS,
    ItemDef,
    ItemStatus,
    Regime,
)
from benefits_rules.entitlement import RegimeChoice, groups_for, select_regime
from benefits_rules.facts import Facts, validate_facts
from benefits_rules.parameters import ParameterSet, ParamValue, national_parameters
from benefits_rules.rates import RatesArg, schedule_for
from benefits_rules.result import Calculation, Item, Period, Trace, UsedValue
from benefits_rules.schedules import RateSchedule, RateValue, shipped_schedules

__version__ = "0.1.0"


@dataclass(slots=True)
class _Draft:
    """What a rule found for one item before statuses and flags are applied."""

    rule: str
    amount_vnd: int | None = None
    quantity: int | None = None
    used: list[UsedValue] = field(default_factory=list)
    missing_rate: bool = False
    legal_check: bool = False
    periods: tuple[Period, ...] = ()
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Case:
    """Everything the item rules read, resolved once per calculation."""

    facts: Facts
    as_of: date
    regime: Regime
    params: ParameterSet
    province_rates: RateSchedule
    home_rates: RateSchedule
    age: int
    in_vietnam_stay: bool

    def param(self, name: str, rule: str) -> ParamValue:
        return self.params.at(name, self.as_of, rule)

    def regime_param(self, name: str, rule: str) -> ParamValue:
        return self.params.at(f"{self.regime}.{name}", self.as_of, rule)


# --- the item rules: each returns None when the item does not appear ----------------------

Rule = Callable[[_Case], _Draft | None]


def _food(case: _Case) -> _Draft | None:
    stay = case.facts.stay
    if stay is None or not case.in_vietnam_stay:
        return None
    end = stay.end or case.as_of
    stay_days = (end - stay.start).days + 1
    cap = case.regime_param("food_cap_days", "essential_needs.food")
    extension = case.facts.extension_days if case.regime is Regime.LAW_53_2024 else 0
    assert isinstance(cap.value, int)
    paid = min(stay_days, cap.value + extension)
    draft = _Draft(
        rule=(
            f"first min(stay days, {cap.value} + extension {extension}) of the stay, each day at "
            "the province's food rate in force that day"
        ),
        quantity=paid,
        used=[cap],
    )
    if extension:
        draft.notes.append(f"extension decision: {extension} days")
    if paid <= 0:
        draft.amount_vnd = 0
        return draft
    periods, missing = _price_days(case.province_rates, "food_per_day_vnd", stay.start, paid, draft)
    draft.periods = tuple(periods)
    if missing:
        draft.missing_rate = True
    else:
        draft.amount_vnd = sum(p.amount_vnd or 0 for p in periods)
    return draft


def _price_days(
    schedule: RateSchedule, key: str, start: date, days: int, draft: _Draft
) -> tuple[list[Period], bool]:
    """Split `days` days from `start` into runs of one rate each (None where no rate)."""
    series = schedule.series.get(key)
    last = start + timedelta(days=days - 1)
    if series is None:
        return [Period(start, last, days, None, None, None)], True
    periods: list[Period] = []
    missing = False
    dates = series.dates
    values = series.values
    cursor = start
    i = bisect.bisect_right(dates, cursor) - 1
    while cursor <= last:
        next_change = dates[i + 1] if i + 1 < len(dates) else None
        run_end = last if next_change is None or next_change > last else next_change - timedelta(1)
        run_days = (run_end - cursor).days + 1
        current = values[i] if i >= 0 else None
        if current is None or current.value is None:
            missing = True
            periods.append(Period(cursor, run_end, run_days, None, None, None))
        else:
            draft.used.append(current)
            periods.append(
                Period(
                    cursor,
                    run_end,
                    run_days,
                    current.value,
                    current.value * run_days,
                    current.cite,
                )
            )
        cursor = run_end + timedelta(1)
        i += 1
    return periods, missing


def _personal_items(case: _Case) -> _Draft | None:
    stay = case.facts.stay
    if stay is None or not case.in_vietnam_stay:
        return None
    rate = case.province_rates.at("personal_items_vnd", stay.start)
    if rate is None:
        return _Draft(
            rule="personal items given in kind: the province has no flat sum on the first stay day",
            notes=["in kind (Decree 09/2013 Art. 19(2)(b); Decree 162/2025 Art. 17)"],
        )
    return _Draft(
        rule="the province's flat sum for personal items in force on the first stay day, once",
        amount_vnd=rate.value,
        used=[rate],
    )


def _medicines(case: _Case) -> _Draft | None:
    stay = case.facts.stay
    if stay is None or not case.in_vietnam_stay:
        return None
    rate = case.province_rates.at("medicines_flat_vnd", stay.start)
    if rate is None:
        return None
    return _Draft(
        rule="the province's flat sum for ordinary medicines on the first stay day, once",
        amount_vnd=rate.value,
        used=[rate],
    )


def _actual_cost(attribute: str, what: str) -> Rule:
    def rule(case: _Case) -> _Draft | None:
        cost = getattr(case.facts.costs, attribute)
        if cost is None:
            return None
        return _Draft(rule=f"actual cost of the {what}", amount_vnd=cost)

    return rule


def _health_insurance(case: _Case) -> _Draft | None:
    facts = case.facts
    if (
        case.regime is not Regime.LAW_53_2024
        or facts.status != "victim"
        or facts.nationality == "foreign"
        or facts.insured
    ):
        return None
    key = "medical.health_insurance"
    base = case.param("health_insurance.base_salary_vnd", key)
    per_mille = case.param("health_insurance.contribution_per_mille", key)
    share = case.param("health_insurance.state_share_percent", key)
    months = case.param("health_insurance.first_year_months", key)
    assert isinstance(base.value, int) and isinstance(per_mille.value, int)
    assert isinstance(share.value, int) and isinstance(months.value, int)
    # round half up in integers: the contribution is whole VND per month
    monthly = (base.value * per_mille.value * share.value + 50_000) // 100_000
    return _Draft(
        rule=(
            f"{months.value} months × round(base salary {base.value} × {per_mille.value}‰ "
            f"× {share.value}%) = {months.value} × {monthly}"
        ),
        amount_vnd=months.value * monthly,
        quantity=months.value,
        used=[base, per_mille, share, months],
    )


def _health_insurance_card(case: _Case) -> _Draft | None:
    facts = case.facts
    if (
        case.regime is not Regime.LAW_66_2011
        or facts.status != "victim"
        or facts.stay is None
        or not case.in_vietnam_stay
        or facts.insured
    ):
        return None
    card = case.regime_param("free_health_insurance_card", "medical.health_insurance_card")
    if card.value is not True:
        return None
    return _Draft(rule="a free health-insurance card while in the facility", used=[card])


def _interpretation(case: _Case) -> _Draft | None:
    if not case.facts.needs_interpreter:
        return None
    cost = case.facts.costs.interpretation_vnd
    if cost is None:
        return _Draft(rule="interpretation provided as a service")
    return _Draft(rule="actual cost of interpretation", amount_vnd=cost)


def _service(what: str) -> Rule:
    def rule(case: _Case) -> _Draft | None:
        return _Draft(rule=what)

    return rule


def _legal_aid(case: _Case) -> _Draft | None:
    if case.regime is Regime.LAW_53_2024:
        return _Draft(rule="free legal aid, no means test (Legal Aid Law Art. 7(6a))")
    return _Draft(
        rule="referral for legal aid; the centre applies the financial-difficulty test of 2017"
    )


def _travel_fare(case: _Case) -> _Draft | None:
    travel = case.facts.travel
    if travel is None:
        return None
    return _Draft(rule="actual ordinary public-transport fare", amount_vnd=travel.fare_vnd)


def _travel_food(case: _Case) -> _Draft | None:
    travel = case.facts.travel
    if travel is None:
        return None
    on = travel.on or case.as_of
    days = travel.journey_days
    draft = _Draft(rule="journey days (at most the province's maximum) × food rate per day")
    max_days = case.province_rates.at("travel_food_max_days", on)
    if max_days is not None:
        assert max_days.value is not None
        days = min(days, max_days.value)
        draft.used.append(max_days)
    draft.quantity = days
    rate: UsedValue | None = case.province_rates.at("travel_food_per_day_vnd", on)
    if rate is None and case.regime is Regime.LAW_66_2011:
        floor = case.params.at("LAW_66_2011.travel_food_min_per_day_vnd", on, "travel.food")
        if floor.value is not None:
            rate = floor
            draft.notes.append("no provincial rate: the national minimum of Circular 84/2019")
    if rate is None:
        draft.missing_rate = True
        return draft
    assert isinstance(rate.value, int)
    draft.used.append(rate)
    draft.amount_vnd = days * rate.value
    return draft


def _school_condition(case: _Case, rule: str) -> ParamValue | None:
    facts = case.facts
    if case.age >= ADULT_AGE or not facts.continues_school:
        return None
    needs_poor = case.regime_param("education_requires_poor_household", rule)
    if needs_poor.value is True and not facts.poor_household:
        return None
    return needs_poor


def _tuition(case: _Case) -> _Draft | None:
    condition = _school_condition(case, "education.tuition_exemption")
    if condition is None:
        return None
    return _Draft(rule="tuition exemption for a minor who continues school", used=[condition])


def _books(case: _Case) -> _Draft | None:
    key = "education.books_and_supplies"
    condition = _school_condition(case, key)
    if condition is None:
        return None
    years = case.regime_param("school_support_years", key)
    assert isinstance(years.value, int)
    draft = _Draft(
        rule=f"{years.value} school year(s) × the yearly book and supply rate",
        quantity=years.value,
        used=[condition, years],
    )
    rate = case.home_rates.at("school_supplies_per_year_vnd", case.as_of)
    if rate is None:
        draft.missing_rate = True
        return draft
    assert rate.value is not None
    draft.used.append(rate)
    draft.amount_vnd = years.value * rate.value
    return draft


def _vocational_training(case: _Case) -> _Draft | None:
    cost = case.facts.vocational_course_cost_vnd
    if cost is None:
        return None
    cap = case.home_rates.at("vocational_training_cap_vnd", case.as_of)
    if cap is None:
        return _Draft(
            rule="the course cost; no cap is set, so the cost is paid in full pending a check",
            amount_vnd=cost,
            legal_check=True,
            notes=["no cap in the schedule: the cap is set by the circular or the province"],
        )
    assert cap.value is not None
    return _Draft(
        rule="the course cost, at most the cap", amount_vnd=min(cost, cap.value), used=[cap]
    )


def _job_counselling(case: _Case) -> _Draft | None:
    if case.regime is not Regime.LAW_53_2024 or case.age < JOB_COUNSELLING_MIN_AGE:
        return None
    return _Draft(
        rule="free job counselling and placement",
        notes=[f"policy: from age {JOB_COUNSELLING_MIN_AGE} (the Labour Code's working age)"],
    )


def _hardship(case: _Case) -> _Draft | None:
    facts = case.facts
    if not facts.returning_home:
        return None
    key = "hardship.initial_allowance"
    needs_poor = case.regime_param("hardship_requires_poor_household", key)
    if needs_poor.value is True and not facts.poor_household:
        return None
    draft = _Draft(rule="one-off initial hardship allowance on return home", used=[needs_poor])
    rate = case.home_rates.at("initial_hardship_allowance_vnd", case.as_of)
    if rate is None:
        draft.missing_rate = True
        return draft
    draft.used.append(rate)
    draft.amount_vnd = rate.value
    return draft


def _loan_referral(case: _Case) -> _Draft | None:
    facts = case.facts
    if (
        case.regime is not Regime.LAW_53_2024
        or case.age < LOAN_REFERRAL_MIN_AGE
        or facts.nationality != "vietnamese"
        or not facts.returning_home
    ):
        return None
    return _Draft(
        rule="referral to the Vietnam Bank for Social Policies for a preferential loan",
        notes=[f"policy: from age {LOAN_REFERRAL_MIN_AGE}"],
    )


RULES: dict[str, Rule] = {
    "essential_needs.food": _food,
    "essential_needs.personal_items": _personal_items,
    "medical.health_check": _actual_cost("health_check_vnd", "health check at reception"),
    "medical.treatment": _actual_cost("treatment_vnd", "examination and treatment"),
    "medical.medicines": _medicines,
    "medical.health_insurance": _health_insurance,
    "medical.health_insurance_card": _health_insurance_card,
    "interpretation": _interpretation,
    "legal_support": _service("legal counselling, provided as a service"),
    "legal_aid": _legal_aid,
    "travel.fare": _travel_fare,
    "travel.food": _travel_food,
    "psychological": _service("psychological support, provided as a service"),
    "education.tuition_exemption": _tuition,
    "education.books_and_supplies": _books,
    "vocational.training": _vocational_training,
    "vocational.job_counselling": _job_counselling,
    "hardship.initial_allowance": _hardship,
    "hardship.loan_referral": _loan_referral,
}


# --- statuses, flags and citations, the same for every item ------------------------------


def _time_barred(case: _Case) -> tuple[bool, ParamValue | None, date | None]:
    """Brief §3.9: under the 2011 regime, h/i/k must be applied for within 12 months."""
    facts = case.facts
    if case.regime is not Regime.LAW_66_2011 or facts.identified_on is None:
        return False, None, None
    window = case.regime_param("application_window_months", "time_bar")
    assert isinstance(window.value, int)
    last_day = add_months(facts.identified_on, window.value)
    applied = facts.application_date or case.as_of
    return applied > last_day, window, last_day


def _cites(case: _Case, item: ItemDef, used: list[UsedValue] | tuple[()]) -> tuple[str, ...]:
    cites = [GROUP_ARTICLE[case.regime], *CONTENT_CITES[case.regime][item.key]]
    for value in used:
        cite = value.cite
        if cite not in cites:
            cites.append(cite)
    return tuple(cites)


def _finish(
    case: _Case,
    item: ItemDef,
    draft: _Draft,
    discretionary: bool,
    barred: tuple[bool, ParamValue | None, date | None],
) -> Item:
    key = item.key
    if item.group in TIME_BARRED_GROUPS and barred[0]:
        window = barred[1]
        assert window is not None and barred[2] is not None
        return Item(
            key,
            item.group,
            ItemStatus.time_barred,
            0,
            None,
            item.unit,
            _cites(case, item, [window]),
            False,
            Trace(
                rule=f"applied after {barred[2].isoformat()}, {window.value} months "
                "after identification: too late under Decree 09/2013 Art. 23",
                used=(window,),
            ),
        )
    if key in case.facts.refused:
        return Item(
            key,
            item.group,
            ItemStatus.refused,
            0,
            None,
            item.unit,
            _cites(case, item, []),
            False,
            Trace(rule="refused by the person; withdrawing the refusal restores it"),
        )
    if draft.missing_rate:
        status = ItemStatus.rate_required
        amount = None
    else:
        status = ItemStatus.discretionary if discretionary else ItemStatus.granted
        amount = draft.amount_vnd
    flagged = draft.legal_check
    regime = case.regime
    for value in draft.used:
        if not value.confirmed or (isinstance(value, RateValue) and value.under != regime):
            flagged = True
            break
    if discretionary:
        draft.notes.append(
            "case by case (Law 53/2024 Art. 37(4)): paid only if the approver grants it"
        )
    return Item(
        key,
        item.group,
        status,
        amount,
        draft.quantity,
        item.unit,
        _cites(case, item, draft.used),
        flagged,
        Trace(draft.rule, tuple(draft.used), draft.periods, tuple(draft.notes)),
    )


def _input_hash(facts: Facts, as_of: date, rates: RatesArg) -> str:
    payload: dict[str, Any] = {"as_of": as_of.isoformat(), "facts": facts.to_dict()}
    if rates is not None:
        payload["rates"] = rates
    encoded = json.dumps(payload, sort_keys=True, default=_json_default, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return repr(value)
    raise TypeError(f"cannot hash a {type(value).__name__}")


def rule_version() -> str:
    """Identifies the rules and data a result came from: code version plus data hashes."""
    return f"{__version__}+p{national_parameters().version}.r{shipped_schedules().version}"


def compute(facts: Mapping[str, Any] | Facts, as_of: date, rates: RatesArg = None) -> Calculation:
    """Compute the support one person is entitled to on `as_of`, with a full trace.

    `facts` is a mapping in the form of law brief §4 or a `Facts`; invalid facts raise
    `FactsError` naming the field and the rule, and nothing is computed. `rates` replaces the
    province's schedule (see `benefits_rules.rates`). `as_of` is the day the support is
    decided: a recalculation keeps it, so ages and time bars do not drift.
    """
    params = national_parameters()
    cutover = params.at("regime.cutover_date", as_of, "regime")
    assert isinstance(cutover.value, date)
    valid = validate_facts(facts, as_of, cutover.value)
    choice = select_regime(valid, as_of, params)
    return _compute_valid(valid, as_of, rates, params, choice)


def check_facts(facts: Mapping[str, Any] | Facts, as_of: date) -> Facts:
    """Validate facts as `compute` would on `as_of`, without computing: the case file checks
    facts when they are recorded, so a bad fact is refused at the door, not at decision time."""
    cutover = national_parameters().at("regime.cutover_date", as_of, "regime")
    assert isinstance(cutover.value, date)
    return validate_facts(facts, as_of, cutover.value)


def regime_for(facts: Mapping[str, Any] | Facts, as_of: date) -> Regime:
    """The regime a case falls under on `as_of` (Law 53/2024 Art. 63, or the override)."""
    return select_regime(check_facts(facts, as_of), as_of, national_parameters()).regime


def _compute_valid(
    facts: Facts,
    as_of: date,
    rates: RatesArg,
    params: ParameterSet,
    choice: RegimeChoice,
) -> Calculation:
    regime = choice.regime
    province_rates = schedule_for(facts.province, regime, rates)
    home = facts.rates_home_province
    home_rates = province_rates if home == facts.province else schedule_for(home, regime, rates)
    case = _Case(
        facts=facts,
        as_of=as_of,
        regime=regime,
        params=params,
        province_rates=province_rates,
        home_rates=home_rates,
        age=age_on(facts.birth_date, as_of),
        in_vietnam_stay=facts.location == "in_vietnam",
    )
    groups, discretionary = groups_for(facts, regime)
    barred = _time_barred(case)
    items: list[Item] = []
    total = 0
    versions: dict[str, str] = {choice.cutover.name: choice.cutover.since.isoformat()}
    for item_def in ITEMS:
        if item_def.group not in groups:
            continue
        draft = RULES[item_def.key](case)
        if draft is None:
            continue
        item = _finish(case, item_def, draft, discretionary, barred)
        items.append(item)
        if item.status is ItemStatus.granted and item.amount_vnd is not None:
            total += item.amount_vnd
        for used in item.trace.used:
            name = used.cite if isinstance(used, RateValue) else used.name
            versions[name] = used.since.isoformat()
    uses_sample = province_rates.sample or home_rates.sample
    return Calculation(
        as_of=as_of,
        regime=regime,
        regime_cites=("L53-2024:63",),
        regime_reason=choice.reason,
        regime_override_reason=choice.override_reason,
        items=tuple(items),
        total_vnd=total,
        parameter_versions=versions,
        rule_version=rule_version(),
        input_hash=_input_hash(facts, as_of, rates),
        uses_sample_rates=uses_sample,
        facts=facts.to_dict(),
    )
