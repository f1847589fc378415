"""`compute_frame`: the same rules as `compute`, for many cases at once, vectorised.

Rows that the vectorised checks cannot vouch for (a wrong type, a date out of order, an unknown
province, a parameter gap...) are computed one by one with the scalar `compute`, which reports
the exact field and rule. So the vectorised path only has to be right for valid facts, and the
test suite holds it to that: it must give the same items as `compute` on every golden case and
on thousands of random valid cases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from benefits_rules.catalogue import (
    ADULT_AGE,
    CONTENT_CITES,
    GROUP_ARTICLE,
    GROUPS,
    ITEMS,
    JOB_COUNSELLING_MIN_AGE,
    LOAN_REFERRAL_MIN_AGE,
    TIME_BARRED_GROUPS,
    ItemStatus,
    Regime,
)
from benefits_rules.civil import add_months, ages_on
from benefits_rules.engine import compute
from benefits_rules.entitlement import groups_of
from benefits_rules.errors import FactsError, ParameterNotInForce
from benefits_rules.facts import (
    ACCOMPANIED_STATUSES,
    FACT_NAMES,
    LOCATIONS,
    NATIONALITIES,
    NESTED_FACTS,
    SEXES,
    STATUSES,
)
from benefits_rules.frame_columns import (
    BoolArray,
    Column,
    IntArray,
    read_dates,
    read_enum,
    read_flags,
    read_ints,
    read_present,
    read_refused,
)
from benefits_rules.parameters import Parameter, national_parameters
from benefits_rules.provinces import registry as province_registry
from benefits_rules.rates import schedule_for
from benefits_rules.schedules import RateSchedule

OUTPUT_COLUMNS = (
    "case_id",
    "key",
    "group",
    "status",
    "amount_vnd",
    "quantity",
    "needs_legal_check",
    "cites",
    "regime",
    "error_field",
    "error_rule",
)
ITEM_KEYS_ORDERED = tuple(item.key for item in ITEMS)
STATUS_NAMES = tuple(str(s) for s in ItemStatus)
_S = {status: i for i, status in enumerate(ItemStatus)}
REGIMES = (Regime.LAW_53_2024, Regime.LAW_66_2011)  # regime code 0 = 2024 law, 1 = 2011 law
_KNOWN_COLUMNS = {"case_id", "as_of"} | {
    f"{name}.{sub}" if name in NESTED_FACTS else name
    for name in FACT_NAMES
    for sub in (NESTED_FACTS.get(name) or ("",))
}
_KNOWN_COLUMNS = {c.rstrip(".") for c in _KNOWN_COLUMNS}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _to_date(days: int) -> date:
    return date.fromordinal(int(days) + _EPOCH_ORDINAL)


# --- parameters and rates as arrays ---------------------------------------------------------


@dataclass(slots=True)
class _ParamArrays:
    """A parameter looked up for every row: value index, value, confirmed.

    Each field is an array with one entry per row, or a numpy scalar that broadcasts when the
    parameter has one value over the whole batch.
    """

    index: Any  # -1 before the first value
    value: Any  # 0 where the value is null or not a number
    is_null: Any
    confirmed: Any
    param: Parameter


@dataclass(slots=True)
class _RateTable:
    """Every schedule slot's rates, day by day over the batch's date range."""

    d0: int
    value: IntArray  # [slot, day]
    present: BoolArray
    confirmed: BoolArray
    under53: BoolArray
    cum_value: IntArray  # [slot, day + 1], food sums over a range of days
    cum_present: IntArray
    cum_unconfirmed: IntArray
    cum_under53: IntArray


def _rate_table(slots: list[RateSchedule], key: str, d0: int, length: int) -> _RateTable:
    n = len(slots)
    value = np.zeros((n, length), np.int64)
    present = np.zeros((n, length), np.bool_)
    confirmed = np.zeros((n, length), np.bool_)
    under53 = np.zeros((n, length), np.bool_)
    for s, schedule in enumerate(slots):
        series = schedule.series.get(key)
        if series is None:
            continue
        starts = [v.toordinal() - _EPOCH_ORDINAL - d0 for v in series.dates]
        for i, rate in enumerate(series.values):
            lo = max(starts[i], 0)
            hi = min(starts[i + 1], length) if i + 1 < len(starts) else length
            if lo >= hi:
                continue
            if rate.value is None:
                present[s, lo:hi] = False
                continue
            value[s, lo:hi] = rate.value
            present[s, lo:hi] = True
            confirmed[s, lo:hi] = rate.confirmed
            under53[s, lo:hi] = rate.under == Regime.LAW_53_2024
    zeros = np.zeros((n, 1), np.int64)
    return _RateTable(
        d0,
        value,
        present,
        confirmed,
        under53,
        np.concatenate([zeros, np.cumsum(value * present, axis=1)], axis=1),
        np.concatenate([zeros, np.cumsum(present, axis=1)], axis=1),
        np.concatenate([zeros, np.cumsum(present & ~confirmed, axis=1)], axis=1),
        np.concatenate([zeros, np.cumsum(present & under53, axis=1)], axis=1),
    )


@dataclass(slots=True)
class _RateAt:
    """One rate looked up for every row on one day per row."""

    value: IntArray
    present: BoolArray
    doubtful: BoolArray  # unconfirmed, or made under the other regime


def _rate_at(table: _RateTable, slot: IntArray, days: IntArray, regime53: BoolArray) -> _RateAt:
    flat = slot * table.value.shape[1] + (days - table.d0)
    present = table.present.reshape(-1)[flat]
    doubtful = present & (
        ~table.confirmed.reshape(-1)[flat] | (table.under53.reshape(-1)[flat] != regime53)
    )
    return _RateAt(table.value.reshape(-1)[flat], present, doubtful)


# --- the batch, as typed arrays -------------------------------------------------------------


@dataclass(slots=True)
class _Batch:
    """The valid rows' facts as arrays (dates in days since 1970)."""

    m: int
    as_of: IntArray
    status: IntArray
    minor: BoolArray
    accompanies: IntArray
    nationality: IntArray
    location: IntArray
    birth: IntArray
    identified: Column
    stay_from: Column
    stay_to: Column
    extension: IntArray
    insured: BoolArray
    needs_interpreter: BoolArray
    health_check: Column
    treatment: Column
    interpretation: Column
    travel: BoolArray
    fare: IntArray
    journey: IntArray
    travel_date: Column
    returning: BoolArray
    school: BoolArray
    poor: BoolArray
    course: Column
    application: Column
    refused: IntArray
    override: Column


def _subset(column: Column, keep: BoolArray | None) -> Column:
    if keep is None:
        return column
    return Column(column.values[keep], column.present[keep], column.bad[keep])


# --- compute_frame ----------------------------------------------------------------------------


def compute_frame(cases: pd.DataFrame, rates: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Compute many cases at once: one output row per (case, item), in input order.

    `cases` has one row per case: `case_id`, `as_of`, and the facts of law brief §4 with
    dotted column names (`stay.from`, `travel.fare_vnd`; `refused` a list). `rates` maps a
    province slug to a schedule (golden form or `RateSchedule`) that replaces the shipped one.
    A case whose facts are invalid gets one row with `error_field` and `error_rule` instead of
    items: a bad row never sinks the batch.
    """
    for required in ("case_id", "as_of"):
        if required not in cases.columns:
            raise ValueError(f"compute_frame: the cases frame needs a {required!r} column")
    n = len(cases)
    if n == 0:
        return _empty_output()
    rates = dict(rates) if rates else None
    params = national_parameters()
    cols = {name: cases[name] for name in cases.columns}
    get = cols.get

    as_of = read_dates(get("as_of"), n)
    status = read_enum(get("status"), n, STATUSES)
    accompanies = read_enum(get("accompanies_status"), n, ACCOMPANIED_STATUSES)
    nationality = read_enum(get("nationality"), n, NATIONALITIES)
    location = read_enum(get("location"), n, LOCATIONS)
    birth = read_dates(get("birth_date"), n)
    sex = read_enum(get("sex"), n, SEXES)
    provinces = list(province_registry())
    province = read_enum(get("province"), n, provinces)
    home = read_enum(get("home_province"), n, provinces)
    received = read_dates(get("received_on"), n)
    identified = read_dates(get("identified_on"), n)
    stay_from = read_dates(get("stay.from"), n)
    stay_to = read_dates(get("stay.to"), n)
    extension = read_ints(get("extension_days"), n)
    insured = read_flags(get("insured"), n)
    interpreter = read_flags(get("needs_interpreter"), n)
    health_check = read_ints(get("costs.health_check_vnd"), n)
    treatment = read_ints(get("costs.treatment_vnd"), n)
    interpretation = read_ints(get("costs.interpretation_vnd"), n)
    fare = read_ints(get("travel.fare_vnd"), n)
    journey = read_ints(get("travel.journey_days"), n)
    travel_date = read_dates(get("travel.date"), n)
    returning = read_flags(get("returning_home"), n)
    school = read_flags(get("continues_school"), n)
    poor = read_flags(get("poor_household"), n)
    course = read_ints(get("vocational_course_cost_vnd"), n)
    application = read_dates(get("application_date"), n)
    refused_bits, refused_bad = read_refused(get("refused"), n, ITEM_KEYS_ORDERED)
    override = read_enum(get("regime_override.regime"), n, tuple(str(r) for r in REGIMES))
    reason_present = read_present(get("regime_override.reason"), n)

    # rows the vectorised path cannot vouch for go to the scalar engine
    suspect = np.zeros(n, np.bool_)
    for column in (
        as_of,
        status,
        accompanies,
        nationality,
        location,
        birth,
        sex,
        province,
        home,
        received,
        identified,
        stay_from,
        stay_to,
        extension,
        insured,
        interpreter,
        health_check,
        treatment,
        interpretation,
        fare,
        journey,
        travel_date,
        returning,
        school,
        poor,
        course,
        application,
        override,
    ):
        suspect |= column.bad
    suspect |= refused_bad
    for name, series in cols.items():
        if name not in _KNOWN_COLUMNS:
            suspect |= read_present(series, n)
    for column in (as_of, status, nationality, location, birth, sex, province, received):
        suspect |= ~column.present
    day = as_of.values
    minor = status.present & (status.values == STATUSES.index("accompanying_minor"))
    suspect |= minor & ~accompanies.present
    for column in (birth, received, identified, stay_from, stay_to, travel_date, application):
        suspect |= column.present & (column.values > day)
    suspect |= identified.present & (identified.values < received.values)
    suspect |= stay_from.present & (stay_from.values < received.values)
    suspect |= stay_to.present & (~stay_from.present | (stay_to.values < stay_from.values))
    for column in (extension, health_check, treatment, interpretation, fare, journey, course):
        suspect |= column.present & (column.values < 0)
    suspect |= (journey.present | travel_date.present) & ~fare.present
    suspect |= fare.present & ~journey.present
    suspect |= override.present != reason_present
    if reason_present.any():
        suspect |= reason_present & ~_reason_ok(get("regime_override.reason"), n)
    suspect |= _provinces_not_in_force(province, home, received, provinces)
    cut_dates, cut_values, _, _ = _param_arrays(params["regime.cutover_date"])
    cut_index = np.searchsorted(cut_dates, day, side="right") - 1
    cutover = cut_values[np.maximum(cut_index, 0)]
    suspect |= cut_index < 0
    suspect |= override.present & (override.values == 0) & (day < cutover)
    ages = ages_on(np.where(birth.present, birth.values, day), day)
    suspect |= minor & (ages >= ADULT_AGE)
    suspect |= _regime_params_missing(params, day)

    any_suspect = bool(suspect.any())
    keep: BoolArray | None = ~suspect if any_suspect else None

    def sel(values: IntArray | BoolArray) -> Any:
        return values if keep is None else values[keep]

    case_ids = cases["case_id"].to_numpy()
    if case_ids.dtype.kind not in "iu":  # integer ids stay integers; anything else is text
        case_ids = cases["case_id"].to_numpy(dtype=object)
    positions = np.arange(n) if keep is None else np.flatnonzero(keep)
    registry = _CiteRegistry()
    parts: list[pd.DataFrame] = []
    if len(positions):
        batch = _Batch(
            m=len(positions),
            as_of=sel(day),
            status=sel(status.values),
            minor=sel(minor),
            accompanies=sel(accompanies.values),
            nationality=sel(nationality.values),
            location=sel(location.values),
            birth=sel(birth.values),
            identified=_subset(identified, keep),
            stay_from=_subset(stay_from, keep),
            stay_to=_subset(stay_to, keep),
            extension=sel(np.where(extension.present, extension.values, 0)),
            insured=sel(np.where(insured.present, insured.values == 1, True)),
            needs_interpreter=sel(interpreter.present & (interpreter.values == 1)),
            health_check=_subset(health_check, keep),
            treatment=_subset(treatment, keep),
            interpretation=_subset(interpretation, keep),
            travel=sel(fare.present),
            fare=sel(fare.values),
            journey=sel(journey.values),
            travel_date=_subset(travel_date, keep),
            returning=sel(returning.present & (returning.values == 1)),
            school=sel(school.present & (school.values == 1)),
            poor=sel(poor.present & (poor.values == 1)),
            course=_subset(course, keep),
            application=_subset(application, keep),
            refused=sel(refused_bits),
            override=_subset(override, keep),
        )
        computed = _compute_batch(
            batch,
            cutover_days=sel(cutover),
            ages=sel(ages),
            province=sel(province.values),
            home=sel(np.where(home.present, home.values, province.values)),
            provinces=provinces,
            rates=rates,
            registry=registry,
        )
        parts.append(_assemble(computed, case_ids, positions))
    if not any_suspect:
        out = parts[0]
        out.pop("_position")
        return out
    parts.append(_scalar_rows(cases, np.flatnonzero(suspect), rates, registry))
    return _merge(parts, registry)


def _merge(parts: list[pd.DataFrame], registry: _CiteRegistry) -> pd.DataFrame:
    """Put vectorised and scalar rows back in input order, with the same categories."""
    cites = pd.Index(registry.tuples, tupleize_cols=False, dtype=object)
    for column in ("error_field", "error_rule"):
        names = sorted({v for part in parts for v in part[column].dropna().unique()})
        for part in parts:
            part[column] = part[column].cat.set_categories(names)
    for part in parts:
        part["cites"] = part["cites"].cat.set_categories(cites)
    out = pd.concat(parts, ignore_index=True)
    order = np.argsort(out.pop("_position").to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def _reason_ok(series: pd.Series[Any] | None, n: int) -> BoolArray:
    if series is None:
        return np.zeros(n, np.bool_)
    values = series.to_numpy(dtype=object)
    return np.fromiter(
        (isinstance(v, str) and bool(v.strip()) for v in values), dtype=np.bool_, count=n
    )


def _provinces_not_in_force(
    province: Column, home: Column, received: Column, provinces: list[str]
) -> BoolArray:
    reg = province_registry()
    lo = np.array(
        [
            (p.valid_from.toordinal() - _EPOCH_ORDINAL) if p.valid_from else -(10**9)
            for p in reg.values()
        ],
        np.int64,
    )
    hi = np.array(
        [(p.valid_to.toordinal() - _EPOCH_ORDINAL) if p.valid_to else 10**9 for p in reg.values()],
        np.int64,
    )
    assert list(reg) == provinces
    day = received.values
    bad = np.zeros(len(day), np.bool_)
    for column in (province, home):
        idx = column.values
        bad |= column.present & received.present & ((day < lo[idx]) | (day > hi[idx]))
    return bad


_REGIME_PARAMS = {
    Regime.LAW_53_2024: (
        "LAW_53_2024.food_cap_days",
        "LAW_53_2024.school_support_years",
        "LAW_53_2024.hardship_requires_poor_household",
        "LAW_53_2024.education_requires_poor_household",
        "health_insurance.base_salary_vnd",
        "health_insurance.contribution_per_mille",
        "health_insurance.state_share_percent",
        "health_insurance.first_year_months",
    ),
    Regime.LAW_66_2011: (
        "LAW_66_2011.food_cap_days",
        "LAW_66_2011.school_support_years",
        "LAW_66_2011.hardship_requires_poor_household",
        "LAW_66_2011.education_requires_poor_household",
        "LAW_66_2011.application_window_months",
        "LAW_66_2011.free_health_insurance_card",
        "LAW_66_2011.travel_food_min_per_day_vnd",
    ),
}


def _regime_params_missing(params: Any, day: IntArray) -> BoolArray:
    """Rows on a date before some parameter's first value: the scalar path says which."""
    first = max(
        params[name].dates[0].toordinal() - _EPOCH_ORDINAL
        for names in _REGIME_PARAMS.values()
        for name in names
        if not name.startswith(("LAW_53_2024.", "health_insurance."))
    )
    return day < first


# --- the items, vectorised --------------------------------------------------------------------


class _CiteRegistry:
    """Citation tuples by code, shared by every item of one call (the output is categorical)."""

    def __init__(self) -> None:
        self.codes: dict[tuple[str, ...], int] = {}
        self.tuples: list[tuple[str, ...]] = []

    def code(self, cites: tuple[str, ...]) -> int:
        found = self.codes.get(cites)
        if found is None:
            found = self.codes[cites] = len(self.tuples)
            self.tuples.append(cites)
        return found


class _Cites:
    """Builds each row's citation tuple from a small signature, without a Python loop per row.

    The signature of a row is a mixed-radix integer over the values that decide its cites
    (regime, which value of each parameter, which province's rate); one tuple is built per
    distinct signature, and every row gets that tuple's code.
    """

    def __init__(self, m: int, registry: _CiteRegistry) -> None:
        # a scalar while every component is one value for the whole batch (the usual case)
        self.sig: Any = np.int64(0)
        self.m = m
        self.parts: list[tuple[int, Callable[[int], list[str]]]] = []
        self.registry = registry
        self.size = 1

    def add(self, codes: IntArray, radix: int, cites_of: Callable[[int], list[str]]) -> None:
        """Fold one component: `codes` in [0, radix) and how a code turns into citation ids."""
        self.sig = self.sig * radix + codes
        self.parts.append((radix, cites_of))
        self.size *= radix

    def _tuple(self, value: int) -> tuple[str, ...]:
        codes = []
        for radix, _ in reversed(self.parts):
            codes.append(value % radix)
            value //= radix
        codes.reverse()
        cites: list[str] = []
        for code, (_, cites_of) in zip(codes, self.parts, strict=True):
            for cite in cites_of(code):
                if cite not in cites:
                    cites.append(cite)
        return tuple(cites)

    def build(self, appear: BoolArray) -> Any:
        """Each row's code in the registry (meaningful where `appear`), or one scalar code."""
        if np.ndim(self.sig) == 0:
            return np.int64(self.registry.code(self._tuple(int(self.sig))))
        if not appear.any():
            return np.zeros(len(appear), np.int64)
        seen = np.zeros(self.size, np.bool_)
        seen[self.sig] = True  # every row's signature: cheaper than selecting the appearing ones
        lut = np.zeros(self.size, np.int64)
        for value in np.flatnonzero(seen).tolist():
            lut[value] = self.registry.code(self._tuple(value))
        return lut[self.sig]


@dataclass(slots=True)
class _Out:
    """Every item's outcome for every valid row, as [item, row] matrices."""

    appear: BoolArray
    amount: IntArray
    amount_na: BoolArray
    quantity: IntArray
    quantity_na: BoolArray
    missing_rate: BoolArray
    flag: BoolArray
    cite: IntArray
    status: npt.NDArray[np.int8]
    regime: IntArray
    registry: _CiteRegistry

    @classmethod
    def empty(cls, m: int, registry: _CiteRegistry) -> _Out:
        k = len(ITEMS)
        return cls(
            appear=np.zeros((k, m), np.bool_),
            amount=np.zeros((k, m), np.int64),
            amount_na=np.ones((k, m), np.bool_),
            quantity=np.zeros((k, m), np.int32),
            quantity_na=np.ones((k, m), np.bool_),
            missing_rate=np.zeros((k, m), np.bool_),
            flag=np.zeros((k, m), np.bool_),
            cite=np.zeros((k, m), np.int32),
            status=np.zeros((k, m), np.int8),
            regime=np.zeros(m, np.int64),
            registry=registry,
        )


_ROW = {item.key: j for j, item in enumerate(ITEMS)}
_CACHE: dict[str, tuple[IntArray, IntArray, BoolArray, BoolArray]] = {}


def _param_arrays(param: Parameter) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
    """A parameter's dates, numeric values, null and confirmed flags, as arrays (cached)."""
    key = f"{id(param)}"
    found = _CACHE.get(key)
    if found is None:
        raw = [v.value for v in param.values]
        found = (
            np.array([d.toordinal() - _EPOCH_ORDINAL for d in param.dates], np.int64),
            np.array(
                [
                    r.toordinal() - _EPOCH_ORDINAL
                    if isinstance(r, date)
                    else int(r)
                    if isinstance(r, int)
                    else 0
                    for r in raw
                ],
                np.int64,
            ),
            np.array([r is None for r in raw], np.bool_),
            np.array([v.confirmed for v in param.values], np.bool_),
        )
        _CACHE[key] = found
    return found


def _compute_batch(
    b: _Batch,
    *,
    cutover_days: IntArray,
    ages: IntArray,
    province: IntArray,
    home: IntArray,
    provinces: list[str],
    rates: dict[str, Any] | None,
    registry: _CiteRegistry,
) -> _Out:
    m = b.m
    out = _Out.empty(m, registry)
    params = national_parameters()
    # regime (code 0: 2024 law, 1: 2011 law)
    reference = np.where(b.identified.present, b.identified.values, b.as_of)
    regime = np.where(reference < cutover_days, 1, 0)
    regime = np.where(b.override.present, b.override.values, regime)
    out.regime = regime
    r53 = regime == 0
    r66 = ~r53

    # groups and discretion from the entitlement matrix, tabulated
    entitled = np.where(b.minor, b.accompanies, b.status)  # codes of victim/undergoing agree
    group_bits, discretionary = _group_table()
    combo = (((regime * 3 + entitled) * 2 + b.minor) * 3 + b.nationality) * 2 + b.location
    bits = group_bits[combo]
    disc = discretionary[combo]

    def has(group: str) -> BoolArray:
        return (bits & (1 << GROUPS.index(group))) != 0

    # schedule slots: (province, regime) pairs, since inline rates take the case's regime
    slot_keys: dict[tuple[int, int], int] = {}
    slot_list: list[RateSchedule] = []

    def slots_for(codes: IntArray) -> IntArray:
        pair = codes * 2 + regime
        seen = np.zeros(len(provinces) * 2, np.bool_)
        seen[pair] = True
        lut = np.zeros(len(provinces) * 2, np.int64)
        for value in np.flatnonzero(seen).tolist():
            key = (value // 2, value % 2)
            if key not in slot_keys:
                slot_keys[key] = len(slot_list)
                slot_list.append(schedule_for(provinces[key[0]], REGIMES[key[1]], rates))
            lut[value] = slot_keys[key]
        return lut[pair]

    prov_slot = slots_for(province)
    home_slot = slots_for(home)
    slot_province = [s.province for s in slot_list]

    # the batch's day range for the rate tables
    stay_start = b.stay_from.values
    travel_on = np.where(b.travel_date.present, b.travel_date.values, b.as_of)
    first_day = np.where(b.stay_from.present, stay_start, b.as_of)
    d0 = int(min(first_day.min(), travel_on.min(), b.as_of.min()))
    length = int(max(b.as_of.max(), travel_on.max())) + 2 - d0
    tables: dict[str, _RateTable] = {}

    def table(key: str) -> _RateTable:
        if key not in tables:
            tables[key] = _rate_table(slot_list, key, d0, length)
        return tables[key]

    # every parameter changes on a handful of dates: place each row's day between them once,
    # then each parameter is a gather from a table of a few entries
    change_days = np.unique(np.concatenate([_param_arrays(params[name])[0] for name in params]))
    buckets: dict[int, IntArray] = {}
    lookups: dict[tuple[str, int], _ParamArrays] = {}

    starts = np.concatenate([[np.iinfo(np.int64).min], change_days])

    def param(name: str, days: IntArray | None = None) -> _ParamArrays:
        """A parameter on each row's day: a gather, or one scalar when it is constant."""
        at = b.as_of if days is None else days
        cache_key = (name, id(at))
        if cache_key not in lookups:
            if id(at) not in buckets:
                bucket = np.searchsorted(change_days, at, side="right")
                buckets[id(at)] = bucket
                buckets[-id(at)] = np.array([bucket.min(), bucket.max()])
            p = params[name]
            dates, numeric, null, confirmed = _param_arrays(p)
            # bucket k holds the days from change_days[k-1]; bucket 0 is before them all
            table = np.searchsorted(dates, starts, side="right") - 1
            low, high = buckets[-id(at)]
            span = table[low : high + 1]
            if (span == span[0]).all():  # one value for the whole batch: broadcast it
                i = span[0]
                safe = max(int(i), 0)
                lookups[cache_key] = _ParamArrays(
                    np.int64(i), numeric[safe], null[safe], confirmed[safe], p
                )
            else:
                index = table[buckets[id(at)]]
                safe_index = np.maximum(index, 0)
                lookups[cache_key] = _ParamArrays(
                    index, numeric[safe_index], null[safe_index], confirmed[safe_index], p
                )
        return lookups[cache_key]

    def regime_param(name: str) -> tuple[_ParamArrays, _ParamArrays]:
        return param(f"LAW_53_2024.{name}"), param(f"LAW_66_2011.{name}")

    all53, all66 = bool(r53.all()), bool(r66.all())
    regime_code: Any = np.int64(0) if all53 else np.int64(1) if all66 else regime

    def pick(pair: tuple[_ParamArrays, _ParamArrays], attr: str) -> Any:
        if all53:
            return getattr(pair[0], attr)
        if all66:
            return getattr(pair[1], attr)
        return np.where(r53, getattr(pair[0], attr), getattr(pair[1], attr))

    def param_cites(p: _ParamArrays) -> Callable[[int], list[str]]:
        values = p.param.values
        return lambda code: [values[code].cite]

    def regime_pair_cites(
        pair: tuple[_ParamArrays, _ParamArrays],
    ) -> tuple[IntArray, int, Callable[[int], list[str]]]:
        """A regime-dependent parameter's value as one cite component."""

        def cites_of(code: int) -> list[str]:
            r, i = divmod(code, 64)
            return [pair[r].param.values[i].cite]

        return regime_code * 64 + np.maximum(pick(pair, "index"), 0), 128, cites_of

    def regime_cites(key: str) -> Callable[[int], list[str]]:
        return lambda code: [GROUP_ARTICLE[REGIMES[code]], *CONTENT_CITES[REGIMES[code]][key]]

    n_slots = len(slot_list) + 1

    def rate_cite(key: str) -> Callable[[int], list[str]]:
        return lambda code: [f"rate:{slot_province[code - 1]}:{key}"] if code else []

    def start(key: str, appear: BoolArray) -> tuple[int, _Cites]:
        j = _ROW[key]
        out.appear[j] = appear
        cites = _Cites(m, out.registry)
        cites.add(regime_code, 2, regime_cites(key))
        return j, cites

    in_vn_stay = b.stay_from.present & (b.location == LOCATIONS.index("in_vietnam"))
    is_victim = b.status == STATUSES.index("victim")
    foreign = b.nationality == NATIONALITIES.index("foreign")
    no = np.zeros(m, np.bool_)

    # essential_needs.food: each paid day at the rate in force that day
    j, cites = start("essential_needs.food", has("a") & in_vn_stay)
    cap = regime_param("food_cap_days")
    end = np.where(b.stay_to.present, b.stay_to.values, b.as_of)
    paid = np.maximum(
        np.minimum(end - stay_start + 1, pick(cap, "value") + np.where(r53, b.extension, 0)), 0
    )
    food = table("food_per_day_vnd")
    lo = np.clip(first_day - d0, 0, length)
    hi = np.clip(lo + paid, 0, length)
    with_rate = food.cum_present[prov_slot, hi] - food.cum_present[prov_slot, lo]
    out.amount[j] = food.cum_value[prov_slot, hi] - food.cum_value[prov_slot, lo]
    out.missing_rate[j] = with_rate < paid
    out.amount_na[j] = out.missing_rate[j]
    out.quantity[j], out.quantity_na[j] = paid, no
    unconfirmed = food.cum_unconfirmed[prov_slot, hi] - food.cum_unconfirmed[prov_slot, lo]
    under53 = food.cum_under53[prov_slot, hi] - food.cum_under53[prov_slot, lo]
    cross = np.where(r53, with_rate - under53, under53)
    out.flag[j] = (unconfirmed > 0) | (cross > 0) | ~pick(cap, "confirmed")
    cites.add(*regime_pair_cites(cap))
    cites.add(np.where(with_rate > 0, prov_slot + 1, 0), n_slots, rate_cite("food_per_day_vnd"))
    out.cite[j] = cites.build(out.appear[j])

    # a flat sum on the first stay day: personal items (else in kind) and medicines
    for key, rate_key, group in (
        ("essential_needs.personal_items", "personal_items_vnd", "a"),
        ("medical.medicines", "medicines_flat_vnd", "b"),
    ):
        rate = _rate_at(table(rate_key), prov_slot, first_day, r53)
        appear = has(group) & in_vn_stay
        if key == "medical.medicines":
            appear &= rate.present
        j, cites = start(key, appear)
        out.amount[j], out.amount_na[j], out.flag[j] = rate.value, ~rate.present, rate.doubtful
        cites.add(np.where(rate.present, prov_slot + 1, 0), n_slots, rate_cite(rate_key))
        out.cite[j] = cites.build(appear)

    # actual costs
    for key, column in (
        ("medical.health_check", b.health_check),
        ("medical.treatment", b.treatment),
    ):
        j, cites = start(key, has("b") & column.present)
        out.amount[j], out.amount_na[j] = column.values, no
        out.cite[j] = cites.build(out.appear[j])

    # medical.health_insurance (2024 law): 12 months of the state-paid contribution
    j, cites = start("medical.health_insurance", has("b") & r53 & is_victim & ~foreign & ~b.insured)
    salary = param("health_insurance.base_salary_vnd")
    per_mille = param("health_insurance.contribution_per_mille")
    share = param("health_insurance.state_share_percent")
    months = param("health_insurance.first_year_months")
    monthly = (salary.value * per_mille.value * share.value + 50_000) // 100_000
    out.amount[j], out.amount_na[j] = months.value * monthly, no
    out.quantity[j], out.quantity_na[j] = months.value, no
    out.flag[j] = ~(salary.confirmed & per_mille.confirmed & share.confirmed & months.confirmed)
    for p in (salary, per_mille, share, months):
        cites.add(np.maximum(p.index, 0), len(p.param.values), param_cites(p))
    out.cite[j] = cites.build(out.appear[j])

    # medical.health_insurance_card (2011 law, from Circular 84/2019)
    card = param("LAW_66_2011.free_health_insurance_card")
    card_on = (card.index >= 0) & ~card.is_null & (card.value == 1)
    j, cites = start(
        "medical.health_insurance_card",
        has("b") & r66 & is_victim & in_vn_stay & ~b.insured & card_on,
    )
    out.flag[j] = ~card.confirmed
    cites.add(np.maximum(card.index, 0), len(card.param.values), param_cites(card))
    out.cite[j] = cites.build(out.appear[j])

    j, cites = start("interpretation", has("c") & b.needs_interpreter)
    out.amount[j], out.amount_na[j] = b.interpretation.values, ~b.interpretation.present
    out.cite[j] = cites.build(out.appear[j])

    for key, group in (("legal_support", "d"), ("legal_aid", "dd"), ("psychological", "g")):
        j, cites = start(key, has(group))
        out.cite[j] = cites.build(out.appear[j])

    j, cites = start("travel.fare", has("e") & b.travel)
    out.amount[j], out.amount_na[j] = b.fare, no
    out.cite[j] = cites.build(out.appear[j])

    # travel.food: journey days (at most the province's maximum) × the rate on the travel day
    j, cites = start("travel.food", has("e") & b.travel)
    max_days = _rate_at(table("travel_food_max_days"), prov_slot, travel_on, r53)
    days = np.where(max_days.present, np.minimum(b.journey, max_days.value), b.journey)
    per_day = _rate_at(table("travel_food_per_day_vnd"), prov_slot, travel_on, r53)
    floor = param("LAW_66_2011.travel_food_min_per_day_vnd", travel_on)
    use_floor = ~per_day.present & r66 & (floor.index >= 0) & ~floor.is_null
    out.missing_rate[j] = ~per_day.present & ~use_floor
    out.amount[j] = days * np.where(per_day.present, per_day.value, floor.value)
    out.amount_na[j] = out.missing_rate[j]
    out.quantity[j], out.quantity_na[j] = days, no
    out.flag[j] = max_days.doubtful | per_day.doubtful | (use_floor & ~floor.confirmed)
    cites.add(
        np.where(max_days.present, prov_slot + 1, 0), n_slots, rate_cite("travel_food_max_days")
    )
    cites.add(
        np.where(per_day.present, prov_slot + 1, 0), n_slots, rate_cite("travel_food_per_day_vnd")
    )
    floor_values = floor.param.values
    cites.add(
        np.where(use_floor, floor.index + 1, 0),
        len(floor_values) + 1,
        lambda code: [floor_values[code - 1].cite] if code else [],
    )
    out.cite[j] = cites.build(out.appear[j])

    # education: a minor who continues school (poor households only where the regime says so)
    needs_poor = regime_param("education_requires_poor_household")
    school_ok = (
        has("h") & (ages < ADULT_AGE) & b.school & ((pick(needs_poor, "value") == 0) | b.poor)
    )
    j, cites = start("education.tuition_exemption", school_ok)
    out.flag[j] = ~pick(needs_poor, "confirmed")
    cites.add(*regime_pair_cites(needs_poor))
    out.cite[j] = cites.build(school_ok)

    j, cites = start("education.books_and_supplies", school_ok)
    years = regime_param("school_support_years")
    supplies = _rate_at(table("school_supplies_per_year_vnd"), home_slot, b.as_of, r53)
    out.missing_rate[j] = ~supplies.present
    out.amount[j], out.amount_na[j] = pick(years, "value") * supplies.value, ~supplies.present
    out.quantity[j], out.quantity_na[j] = pick(years, "value"), no
    out.flag[j] = ~pick(needs_poor, "confirmed") | ~pick(years, "confirmed") | supplies.doubtful
    cites.add(*regime_pair_cites(needs_poor))
    cites.add(*regime_pair_cites(years))
    cites.add(
        np.where(supplies.present, home_slot + 1, 0),
        n_slots,
        rate_cite("school_supplies_per_year_vnd"),
    )
    out.cite[j] = cites.build(school_ok)

    # vocational training: the course cost, at most the cap (no cap: a legal check)
    j, cites = start("vocational.training", has("i") & b.course.present)
    cap_rate = _rate_at(table("vocational_training_cap_vnd"), home_slot, b.as_of, r53)
    out.amount[j] = np.where(
        cap_rate.present, np.minimum(b.course.values, cap_rate.value), b.course.values
    )
    out.amount_na[j] = no
    out.flag[j] = ~cap_rate.present | cap_rate.doubtful
    cites.add(
        np.where(cap_rate.present, home_slot + 1, 0),
        n_slots,
        rate_cite("vocational_training_cap_vnd"),
    )
    out.cite[j] = cites.build(out.appear[j])

    j, cites = start(
        "vocational.job_counselling", has("i") & r53 & (ages >= JOB_COUNSELLING_MIN_AGE)
    )
    out.cite[j] = cites.build(out.appear[j])

    # hardship: the initial allowance (poor households only where the regime says so)
    hard_poor = regime_param("hardship_requires_poor_household")
    j, cites = start(
        "hardship.initial_allowance",
        has("k") & b.returning & ((pick(hard_poor, "value") == 0) | b.poor),
    )
    allowance = _rate_at(table("initial_hardship_allowance_vnd"), home_slot, b.as_of, r53)
    out.missing_rate[j] = ~allowance.present
    out.amount[j], out.amount_na[j] = allowance.value, ~allowance.present
    out.flag[j] = ~pick(hard_poor, "confirmed") | allowance.doubtful
    cites.add(*regime_pair_cites(hard_poor))
    cites.add(
        np.where(allowance.present, home_slot + 1, 0),
        n_slots,
        rate_cite("initial_hardship_allowance_vnd"),
    )
    out.cite[j] = cites.build(out.appear[j])

    vietnamese = b.nationality == NATIONALITIES.index("vietnamese")
    j, cites = start(
        "hardship.loan_referral",
        has("k") & r53 & (ages >= LOAN_REFERRAL_MIN_AGE) & vietnamese & b.returning,
    )
    out.cite[j] = cites.build(out.appear[j])

    window = param("LAW_66_2011.application_window_months")
    _apply_statuses(out, b, regime, regime_code, disc, window, regime_cites)
    return out


def _apply_statuses(
    out: _Out,
    b: _Batch,
    regime: IntArray,
    regime_code: Any,
    disc: BoolArray,
    window: _ParamArrays,
    regime_cites: Callable[[str], Callable[[int], list[str]]],
) -> None:
    """The scalar `_finish` rules: time bar, refusal, missing rate, discretion, in that order."""
    m = b.m
    barred = np.zeros(m, np.bool_)
    may_bar = (regime == 1) & b.identified.present
    if may_bar.any():
        rows = np.flatnonzero(may_bar)
        months = np.broadcast_to(window.value, (m,))[rows]
        last_day = add_months(b.identified.values[rows], months)
        applied = np.where(b.application.present, b.application.values, b.as_of)[rows]
        barred[rows] = applied > last_day
    window_values = window.param.values
    base = np.where(disc, _S[ItemStatus.discretionary], _S[ItemStatus.granted]).astype(np.int8)
    refused_keys = int(np.bitwise_or.reduce(b.refused)) if m else 0
    any_barred = bool(barred.any())
    for j, definition in enumerate(ITEMS):
        appear = out.appear[j]
        missing = out.missing_rate[j]
        status = base
        if missing.any():
            status = np.where(missing, np.int8(_S[ItemStatus.rate_required]), base)
        may_bar = any_barred and definition.group in TIME_BARRED_GROUPS
        if not (refused_keys >> j) & 1 and not may_bar:
            out.status[j] = status
            continue
        stopped = np.zeros(m, np.bool_)
        if (refused_keys >> j) & 1:
            refused = ((b.refused >> j) & 1).astype(np.bool_) & appear
            if refused.any():
                status = np.where(refused, np.int8(_S[ItemStatus.refused]), status)
                cites = _Cites(m, out.registry)
                cites.add(regime_code, 2, regime_cites(definition.key))
                out.cite[j] = np.where(refused, cites.build(refused), out.cite[j])
                stopped |= refused
        if definition.group in TIME_BARRED_GROUPS:
            tb = barred & appear
            if tb.any():
                status = np.where(tb, np.int8(_S[ItemStatus.time_barred]), status)
                cites = _Cites(m, out.registry)
                cites.add(regime_code, 2, regime_cites(definition.key))
                cites.add(
                    np.maximum(window.index, 0),
                    len(window_values),
                    lambda code: [window_values[code].cite],
                )
                out.cite[j] = np.where(tb, cites.build(tb), out.cite[j])
                stopped |= tb
        if stopped.any():
            out.amount[j] = np.where(stopped, 0, out.amount[j])
            out.amount_na[j] &= ~stopped
            out.quantity_na[j] |= stopped
            out.flag[j] &= ~stopped
        out.status[j] = status


_GROUP_TABLE: tuple[IntArray, BoolArray] | None = None


def _group_table() -> tuple[IntArray, BoolArray]:
    """`groups_of` for every combination of codes, so the batch reads it with one gather."""
    global _GROUP_TABLE
    if _GROUP_TABLE is None:
        size = 2 * 3 * 2 * 3 * 2
        bits = np.zeros(size, np.int64)
        disc = np.zeros(size, np.bool_)
        for r, regime in enumerate(REGIMES):
            for s, status in enumerate(STATUSES):
                for minor in (0, 1):
                    for nat_i, nationality in enumerate(NATIONALITIES):
                        for loc_i, location in enumerate(LOCATIONS):
                            combo = (((r * 3 + s) * 2 + minor) * 3 + nat_i) * 2 + loc_i
                            groups, discretionary = groups_of(
                                regime, status, bool(minor), nationality, location
                            )
                            bits[combo] = sum(1 << GROUPS.index(g) for g in groups)
                            disc[combo] = discretionary
        _GROUP_TABLE = (bits, disc)
    return _GROUP_TABLE


# --- output -------------------------------------------------------------------------------------


def _assemble(out: _Out, case_ids: Any, positions: IntArray) -> pd.DataFrame:
    """The long frame in case order, items in catalogue order within a case."""
    k, m = out.appear.shape
    by_case = np.ascontiguousarray(out.appear.T)
    # (case, item) pairs in case-major order without a 2-D nonzero or a division: both are
    # several times slower on a million cells than a repeat and a subtraction
    case_idx = np.repeat(np.arange(m), out.appear.sum(axis=0))
    item_idx = np.flatnonzero(by_case) - case_idx * k
    flat = item_idx * m + case_idx
    rows = case_idx if len(positions) == m and positions[-1] == m - 1 else positions[case_idx]

    def gather(matrix: Any) -> Any:
        return matrix.reshape(-1)[flat]

    cite_categories = pd.Index(out.registry.tuples, tupleize_cols=False, dtype=object)
    groups = np.array([GROUPS.index(item.group) for item in ITEMS], np.int8)
    no_error = np.full(len(flat), -1, np.int8)
    return pd.DataFrame(
        {
            # an explicit object Series: letting pandas infer its string dtype costs more
            # than the rest of the assembly
            "case_id": pd.Series(case_ids[rows], dtype=case_ids.dtype, copy=False),
            "key": _categorical(item_idx.astype(np.int8), categories=list(ITEM_KEYS_ORDERED)),
            "group": _categorical(groups[item_idx], categories=list(GROUPS)),
            "status": _categorical(gather(out.status), categories=list(STATUS_NAMES)),
            "amount_vnd": pd.arrays.IntegerArray(gather(out.amount), gather(out.amount_na)),
            "quantity": pd.arrays.IntegerArray(gather(out.quantity), gather(out.quantity_na)),
            "needs_legal_check": gather(out.flag),
            "cites": _categorical(gather(out.cite), categories=cite_categories),
            "regime": _categorical(
                out.regime.astype(np.int8)[case_idx], categories=[str(r) for r in REGIMES]
            ),
            "error_field": _categorical(no_error, categories=[]),
            "error_rule": _categorical(no_error, categories=[]),
            "_position": rows,
        },
        copy=False,
    )


def _categorical(codes: Any, categories: Any) -> pd.Categorical:
    """A categorical column from integer codes (-1 for missing), without copying the values."""
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _row_facts(row: Mapping[str, Any], float_columns: frozenset[str]) -> dict[str, Any]:
    """A frame row back to nested facts, for the scalar engine (missing values left out).

    A whole number in a float column becomes an int again, as the vectorised readers take
    it: pandas stores an integer column with gaps as floats.
    """
    facts: dict[str, Any] = {}
    for name, value in row.items():
        if name in ("case_id", "as_of"):
            continue
        if isinstance(value, list | tuple | dict):
            pass
        elif (
            value is None
            or value is pd.NaT
            or value is pd.NA
            or (isinstance(value, float) and value != value)
        ):
            continue
        if isinstance(value, pd.Timestamp) and value == value.normalize() and value.tzinfo is None:
            value = value.date()
        elif isinstance(value, np.generic):
            value = value.item()
        if name in float_columns and isinstance(value, float) and value.is_integer():
            value = int(value)
        head, _, tail = name.partition(".")
        if tail:
            facts.setdefault(head, {})
            if isinstance(facts[head], dict):
                facts[head][tail] = value
        else:
            facts[name] = value
    return facts


def _scalar_rows(
    cases: pd.DataFrame,
    rows: IntArray,
    rates: dict[str, Any] | None,
    registry: _CiteRegistry,
) -> pd.DataFrame:
    """The rows the vectorised checks did not vouch for, through the scalar engine."""
    records: list[dict[str, Any]] = []
    scalar_rates = rates or None
    float_columns = frozenset(
        str(name) for name in cases.columns if pd.api.types.is_float_dtype(cases[name].dtype)
    )
    for position in rows.tolist():
        row = cases.iloc[position].to_dict()
        base = {"case_id": row.get("case_id"), "_position": position}
        as_of, problem = _row_as_of(row.get("as_of"))
        if as_of is None:
            records.append({**base, "error_field": "as_of", "error_rule": problem})
            continue
        try:
            calculation = compute(_row_facts(row, float_columns), as_of, scalar_rates)
        except FactsError as exc:
            records.append({**base, "error_field": exc.field, "error_rule": exc.rule})
            continue
        except ParameterNotInForce:
            records.append({**base, "error_field": "as_of", "error_rule": "parameter_not_in_force"})
            continue
        for item in calculation.items:
            records.append(
                {
                    **base,
                    "key": item.key,
                    "group": item.group,
                    "status": str(item.status),
                    "amount_vnd": item.amount_vnd,
                    "quantity": item.quantity,
                    "needs_legal_check": item.needs_legal_check,
                    "cites": registry.code(item.cites),
                    "regime": str(calculation.regime),
                }
            )
    out = pd.DataFrame.from_records(records, columns=[*OUTPUT_COLUMNS, "_position"])
    cite_codes = out["cites"].fillna(-1).to_numpy(np.int64)
    out["cites"] = _categorical(
        cite_codes, categories=pd.Index(registry.tuples, tupleize_cols=False, dtype=object)
    )
    return _typed(out)


def _row_as_of(raw: Any) -> tuple[date | None, str]:
    """A row's `as_of` as a date, or why not."""
    if raw is None or raw is pd.NaT or (isinstance(raw, float) and raw != raw):
        return None, "required"
    if isinstance(raw, pd.Timestamp):
        return (
            (raw.date(), "")
            if raw == raw.normalize() and raw.tzinfo is None
            else (None, "invalid_type")
        )
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw), ""
        except ValueError:
            return None, "invalid_type"
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw, ""
    return None, "invalid_type"


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    out["key"] = pd.Categorical(out["key"], categories=list(ITEM_KEYS_ORDERED))
    out["group"] = pd.Categorical(out["group"], categories=list(GROUPS))
    out["status"] = pd.Categorical(out["status"], categories=list(STATUS_NAMES))
    out["amount_vnd"] = out["amount_vnd"].astype("Int64")
    out["quantity"] = out["quantity"].astype("Int32")
    out["needs_legal_check"] = np.array(
        [value is True or value is np.True_ for value in out["needs_legal_check"]], np.bool_
    )
    out["regime"] = pd.Categorical(out["regime"], categories=[str(r) for r in REGIMES])
    out["error_field"] = out["error_field"].astype("category")
    out["error_rule"] = out["error_rule"].astype("category")
    return out


def _empty_output() -> pd.DataFrame:
    out = pd.DataFrame({column: [] for column in OUTPUT_COLUMNS})
    out["case_id"] = out["case_id"].astype(object)
    out["_position"] = pd.Series([], dtype=np.int64)
    out["cites"] = pd.Categorical([], categories=pd.Index([], dtype=object))
    out = _typed(out)
    out.pop("_position")
    return out
