# mypy: disallow-subclassing-any=False
# OpenFisca names a variable after its class (snake_case) and calls its formulas
# as plain functions of (person, period, parameters), hence N801 and N805.
# ruff: noqa: N801, N805
"""OpenFisca peer of the cash items, the yardstick for ``benefits_rules`` speed.

A small OpenFisca-core model built entirely in code: one ``person`` entity,
the parameters of the 2024 law with the demo ``sample`` province's rates as a
``ParameterNode`` built from a dict, and four cash variables computed from
the same frame columns as our own engine:

* ``essential_needs.food``: food during a shelter stay, each paid day priced
  at the daily rate in force on that day;
* ``travel.food``: food during the journey home;
* ``hardship.initial_allowance``: the one-off hardship allowance;
* ``education.books_and_supplies``: school books and supplies.

Case facts are ``ETERNITY`` input variables (dates as OpenFisca ``date``
variables; a missing date is a ``False`` ``has_*`` flag); the cash items are
``DAY`` variables, calculated for one day: ``as_of`` for one person, the
latest ``as_of`` of the frame for a batch. Their formulas are dated
``2025-07-01``, when the 2024 law came into force.

Run ``python -m bench.openfisca_model`` to time "build plus calculate" for one
person and for 100,000 persons.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import DAY, ETERNITY, Period, period
from openfisca_core.populations import Population
from openfisca_core.simulations import Simulation, SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

__all__ = [
    "OUTPUTS",
    "build_system",
    "simulate",
    "simulate_one",
]

#: Output key (our dotted item name) -> OpenFisca variable name.
OUTPUTS: Final[dict[str, str]] = {
    "essential_needs.food": "essential_needs_food",
    "travel.food": "travel_food",
    "hardship.initial_allowance": "hardship_initial_allowance",
    "education.books_and_supplies": "education_books_and_supplies",
}

#: The demo province whose rates are modelled.
PROVINCE: Final = "sample"

#: When the 2024 law came into force: the start of every formula and parameter.
LAW_IN_FORCE: Final = "2025-07-01"

PARAMETERS: Final[dict[str, Any]] = {
    "law": {
        "description": "Law on Prevention and Combat of Human Trafficking (2024) and its decree",
        "essential_needs": {
            "max_paid_days": {
                "description": "Days of food paid during a stay, before extensions",
                "values": {LAW_IN_FORCE: 120},
            },
        },
        "travel": {
            "max_food_days": {
                "description": "Journey days for which food is paid",
                "values": {LAW_IN_FORCE: 5},
            },
        },
        "education": {
            "books_and_supplies_years": {
                "description": "School years for which books and supplies are paid",
                "values": {LAW_IN_FORCE: 2},
            },
        },
    },
    "provinces": {
        PROVINCE: {
            "description": "Demo province rates",
            "food_per_day_vnd": {
                "description": "Food in a shelter, per day",
                "unit": "currency-VND",
                "values": {LAW_IN_FORCE: 70_000, "2026-07-01": 80_000},
            },
            "travel_food_per_day_vnd": {
                "description": "Food during the journey home, per day",
                "unit": "currency-VND",
                "values": {LAW_IN_FORCE: 100_000},
            },
            "initial_hardship_allowance_vnd": {
                "description": "One-off hardship allowance on returning home",
                "unit": "currency-VND",
                "values": {LAW_IN_FORCE: 3_000_000},
            },
            "books_and_supplies_per_year_vnd": {
                "description": "School books and supplies, per school year",
                "unit": "currency-VND",
                "values": {LAW_IN_FORCE: 1_200_000},
            },
        },
    },
}

IntArray = npt.NDArray[np.int64]
DayArray = npt.NDArray[np.datetime64]
BoolArray = npt.NDArray[np.bool_]
ParametersAt = Callable[[Any], Any]

Person = build_entity(
    key="person",
    plural="persons",
    label="Person",
    doc="A person supported by the programme: a victim, a person undergoing "
    "identification or an accompanying minor.",
    is_person=True,
)


# --- enumerations --------------------------------------------------------------


class Status(Enum):
    victim = "Victim"
    undergoing_identification = "Undergoing identification"
    accompanying_minor = "Accompanying minor"


class Nationality(Enum):
    vietnamese = "Vietnamese"
    stateless_resident = "Stateless person residing in Viet Nam"
    foreign = "Foreign national"


class Location(Enum):
    in_vietnam = "In Viet Nam"
    abroad = "Abroad"


# --- input variables (case facts) ------------------------------------------------


class as_of(Variable):
    value_type = datetime.date
    entity = Person
    definition_period = ETERNITY
    label = "Day the entitlements are computed for"


class status(Variable):
    value_type = Enum
    possible_values = Status
    default_value = Status.victim
    entity = Person
    definition_period = ETERNITY
    label = "Status in the support process"


class nationality(Variable):
    value_type = Enum
    possible_values = Nationality
    default_value = Nationality.vietnamese
    entity = Person
    definition_period = ETERNITY
    label = "Nationality"


class location(Variable):
    value_type = Enum
    possible_values = Location
    default_value = Location.in_vietnam
    entity = Person
    definition_period = ETERNITY
    label = "Where the person is"


class birth_date(Variable):
    value_type = datetime.date
    entity = Person
    definition_period = ETERNITY
    label = "Date of birth"


class has_stay(Variable):
    value_type = bool
    entity = Person
    definition_period = ETERNITY
    label = "The person has (had) a shelter stay"


class stay_from(Variable):
    value_type = datetime.date
    entity = Person
    definition_period = ETERNITY
    label = "First day of the stay"


class has_stay_to(Variable):
    value_type = bool
    entity = Person
    definition_period = ETERNITY
    label = "The stay has ended"


class stay_to(Variable):
    value_type = datetime.date
    entity = Person
    definition_period = ETERNITY
    label = "Last day of the stay (when it has ended)"


class extension_days(Variable):
    value_type = int
    entity = Person
    definition_period = ETERNITY
    label = "Days of food granted beyond the cap"


class journey_days(Variable):
    value_type = int
    entity = Person
    definition_period = ETERNITY
    label = "Days of the journey home (0 without travel)"


class returning_home(Variable):
    value_type = bool
    entity = Person
    definition_period = ETERNITY
    label = "Returning to the place of residence"


class continues_school(Variable):
    value_type = bool
    entity = Person
    definition_period = ETERNITY
    label = "Continues at school"


# --- computed variables --------------------------------------------------------


def _ymd(days: DayArray) -> tuple[IntArray, IntArray]:
    """Calendar year and month*100+day of each day."""
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    year: IntArray = years.astype(np.int64) + 1970
    month: IntArray = months.astype(np.int64) - (years.astype(np.int64) * 12) + 1
    day: IntArray = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month * 100 + day


class age(Variable):
    value_type = int
    entity = Person
    definition_period = DAY
    label = "Age in full years on as_of"

    def formula(person: Population, period: Period) -> IntArray:
        birth_year, birth_md = _ymd(person("birth_date", period))
        year, md = _ymd(person("as_of", period))
        result: IntArray = year - birth_year - (md < birth_md)
        return result


class stay_days(Variable):
    value_type = int
    entity = Person
    definition_period = DAY
    label = "Days of the stay, first and last included (to as_of while open)"

    def formula(person: Population, period: Period) -> IntArray:
        end = np.where(
            person("has_stay_to", period), person("stay_to", period), person("as_of", period)
        )
        days: IntArray = (end - person("stay_from", period)).astype(np.int64) + 1
        counted = person("has_stay", period) & (person("location", period) == Location.in_vietnam)
        result: IntArray = np.where(counted, np.maximum(days, 0), 0)
        return result


class food_paid_days(Variable):
    value_type = int
    entity = Person
    definition_period = DAY
    label = "Stay days with food paid: the first days, up to the cap plus extensions"

    def formula_2025_07_01(
        person: Population, period: Period, parameters: ParametersAt
    ) -> IntArray:
        cap = parameters(period).law.essential_needs.max_paid_days
        result: IntArray = np.minimum(
            person("stay_days", period), cap + person("extension_days", period)
        )
        return result


class essential_needs_food(Variable):
    value_type = int
    entity = Person
    definition_period = DAY
    unit = "currency-VND"
    label = "Food during a shelter stay, each paid day at the rate in force on that day"

    def formula_2025_07_01(
        person: Population, period: Period, parameters: ParametersAt
    ) -> IntArray:
        paid_days = person("food_paid_days", period).astype(np.int64)
        first = person("stay_from", period)
        after_last = first + paid_days.astype("timedelta64[D]")  # exclusive end
        # The rate's history: split the paid days at every change of rate.
        system = person.simulation.tax_benefit_system
        rate = system.parameters.provinces.children[PROVINCE].food_per_day_vnd
        starts = sorted(value.instant_str for value in rate.values_list)
        total = np.zeros(person.count, dtype=np.int64)
        for index, start in enumerate(starts):
            segment_start = np.datetime64(start, "D")
            segment_end = (
                np.datetime64(starts[index + 1], "D") if index + 1 < len(starts) else after_last
            )
            days = np.minimum(after_last, segment_end) - np.maximum(first, segment_start)
            in_segment = np.maximum(days.astype(np.int64), 0)
            daily = parameters(start).provinces[PROVINCE].food_per_day_vnd
            total += in_segment * int(daily)
        result: IntArray = np.where(paid_days > 0, total, 0)
        return result


class travel_food(Variable):
    value_type = int
    entity = Person
    definition_period = DAY
    unit = "currency-VND"
    label = "Food during the journey home"

    def formula_2025_07_01(
        person: Population, period: Period, parameters: ParametersAt
    ) -> IntArray:
        at = parameters(period)
        days = np.minimum(person("journey_days", period), at.law.travel.max_food_days)
        result: IntArray = days * at.provinces[PROVINCE].travel_food_per_day_vnd
        return result


class hardship_initial_allowance(Variable):
    value_type = int
    entity = Person
    definition_period = DAY
    unit = "currency-VND"
    label = "One-off hardship allowance for a victim returning home"

    def formula_2025_07_01(
        person: Population, period: Period, parameters: ParametersAt
    ) -> IntArray:
        eligible = (
            person("returning_home", period)
            & (person("status", period) == Status.victim)
            & (person("nationality", period) != Nationality.foreign)
        )
        amount = parameters(period).provinces[PROVINCE].initial_hardship_allowance_vnd
        result: IntArray = np.where(eligible, amount, 0)
        return result


class education_books_and_supplies(Variable):
    value_type = int
    entity = Person
    definition_period = DAY
    unit = "currency-VND"
    label = "School books and supplies for a minor who continues at school"

    def formula_2025_07_01(
        person: Population, period: Period, parameters: ParametersAt
    ) -> IntArray:
        at = parameters(period)
        person_status = person("status", period)
        eligible = (
            (person("age", period) < 18)
            & person("continues_school", period)
            & ((person_status == Status.victim) | (person_status == Status.accompanying_minor))
            & (person("nationality", period) != Nationality.foreign)
        )
        amount = (
            at.law.education.books_and_supplies_years
            * at.provinces[PROVINCE].books_and_supplies_per_year_vnd
        )
        result: IntArray = np.where(eligible, amount, 0)
        return result


VARIABLES: Final[tuple[type[Variable], ...]] = (
    as_of,
    status,
    nationality,
    location,
    birth_date,
    has_stay,
    stay_from,
    has_stay_to,
    stay_to,
    extension_days,
    journey_days,
    returning_home,
    continues_school,
    age,
    stay_days,
    food_paid_days,
    essential_needs_food,
    travel_food,
    hardship_initial_allowance,
    education_books_and_supplies,
)


def build_system() -> TaxBenefitSystem:
    """The tax-benefit system: one entity, the parameters and the variables."""
    system = TaxBenefitSystem([Person])
    system.parameters = ParameterNode("", data=PARAMETERS)
    system.add_variables(*VARIABLES)
    return system


# --- simulation ----------------------------------------------------------------

_EPOCH: Final = np.datetime64("1970-01-01", "D")


def _run(system: TaxBenefitSystem, inputs: Mapping[str, Any], day: str) -> dict[str, IntArray]:
    """Build a simulation of ``len(as_of)`` persons, set every input, calculate."""
    simulation: Simulation = SimulationBuilder().build_default_simulation(
        system, len(inputs["as_of"])
    )
    for name, value in inputs.items():
        simulation.set_input(name, ETERNITY, value)
    at = period(day)
    return {
        key: np.asarray(simulation.calculate(name, at), dtype=np.int64)
        for key, name in OUTPUTS.items()
    }


def _days(column: pd.Series) -> DayArray:
    days: DayArray = column.to_numpy(dtype="datetime64[D]")
    return days


def _frame_inputs(cases: pd.DataFrame) -> dict[str, Any]:
    """The model's inputs, as numpy arrays, from the frame columns."""
    as_of_days = _days(cases["as_of"])
    stay_from_days = _days(cases["stay.from"])
    stay_to_days = _days(cases["stay.to"])
    present_from = ~np.isnat(stay_from_days)
    present_to = ~np.isnat(stay_to_days)
    return {
        "as_of": as_of_days,
        "status": cases["status"].to_numpy(dtype=str),
        "nationality": cases["nationality"].to_numpy(dtype=str),
        "location": cases["location"].to_numpy(dtype=str),
        "birth_date": _days(cases["birth_date"]),
        "has_stay": present_from,
        "stay_from": np.where(present_from, stay_from_days, _EPOCH),
        "has_stay_to": present_to,
        "stay_to": np.where(present_to, stay_to_days, _EPOCH),
        "extension_days": cases["extension_days"].to_numpy(dtype=np.int32),
        "journey_days": cases["travel.journey_days"].to_numpy(dtype=np.int32, na_value=0),
        "returning_home": cases["returning_home"].to_numpy(dtype=bool),
        "continues_school": cases["continues_school"].to_numpy(dtype=bool),
    }


def simulate(system: TaxBenefitSystem, cases: pd.DataFrame) -> dict[str, IntArray]:
    """The four cash items for every row of ``cases`` (one person per row).

    The simulation is built (every input set) and calculated here, for the day
    of the latest ``as_of``; each person's own ``as_of`` is an input.
    """
    inputs = _frame_inputs(cases)
    day = str(inputs["as_of"].max()) if len(cases) else LAW_IN_FORCE
    return _run(system, inputs, day)


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or value != value


def _day(value: object) -> np.datetime64 | None:
    if _missing(value):
        return None
    day: np.datetime64 = np.datetime64(value, "D")  # type: ignore[call-overload]
    return day


def simulate_one(system: TaxBenefitSystem, case: Mapping[str, object]) -> dict[str, int]:
    """The four cash items for one person (a mapping of the frame's dotted keys)."""
    as_of_day = _day(case["as_of"])
    if as_of_day is None:
        msg = "as_of is required"
        raise ValueError(msg)
    stay_from_day = _day(case.get("stay.from"))
    stay_to_day = _day(case.get("stay.to"))
    journey = case.get("travel.journey_days")
    extension = case.get("extension_days")
    inputs: dict[str, Any] = {
        "as_of": np.array([as_of_day]),
        "status": np.array([case["status"]], dtype=str),
        "nationality": np.array([case["nationality"]], dtype=str),
        "location": np.array([case["location"]], dtype=str),
        "birth_date": np.array([_day(case["birth_date"])], dtype="datetime64[D]"),
        "has_stay": np.array([stay_from_day is not None]),
        "stay_from": np.array([_EPOCH if stay_from_day is None else stay_from_day]),
        "has_stay_to": np.array([stay_to_day is not None]),
        "stay_to": np.array([_EPOCH if stay_to_day is None else stay_to_day]),
        "extension_days": np.array([0 if _missing(extension) else extension], dtype=np.int32),
        "journey_days": np.array([0 if _missing(journey) else journey], dtype=np.int32),
        "returning_home": np.array([bool(case.get("returning_home"))]),
        "continues_school": np.array([bool(case.get("continues_school"))]),
    }
    results = _run(system, inputs, str(as_of_day))
    return {key: int(values[0]) for key, values in results.items()}


# --- timing ----------------------------------------------------------------------


def _main() -> None:
    from bench.cases import generate_cases

    system = build_system()
    one: list[dict[str, object]] = [
        {str(key): value for key, value in row.items()}
        for row in generate_cases(200, seed=7).to_dict(orient="records")
    ]
    for case in one[:20]:  # warm-up
        simulate_one(system, case)
    single: list[float] = []
    for case in one:
        start = time.perf_counter()
        simulate_one(system, case)
        single.append(time.perf_counter() - start)

    cases = generate_cases(100_000, seed=1)
    simulate(system, cases)  # warm-up
    batch: list[float] = []
    for _ in range(5):
        start = time.perf_counter()
        simulate(system, cases)
        batch.append(time.perf_counter() - start)

    print(f"one person:       p50 {statistics.median(single) * 1000:.2f} ms over 200 runs")
    print(f"100,000 persons:  median {statistics.median(batch):.3f} s over 5 runs")
    totals = simulate(system, cases)
    for key, values in totals.items():
        print(f"  {key:30s} total {int(values.sum()):>20,d} VND, paid to {(values > 0).sum():,d}")


if __name__ == "__main__":
    _main()
