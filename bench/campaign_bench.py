"""The recalculation campaign end to end on PostgreSQL (design §8): N decided calculations,
a provincial rate change, one flow run of `flows.campaign.recalculate` on Prefect's temporary
server, then the batch approval.

1. A fresh PostgreSQL database (`vongtay_bench_campaign_<hex>`, dropped at the end) is migrated with
   `cases.migrate.upgrade` and seeded in bulk through SQLAlchemy Core (not through the API):
   one system account, and per case a `person` (one encrypted placeholder name, reused), a
   `case` in stage `referred`, its facts (version 1, from `bench.cases.generate_cases`) and an
   issued `benefit_calculation` whose totals are what `compute_frame` gives under the shipped
   rates.
2. A new value of `food_per_day_vnd` in the province `sample` from 2026-01-01 (75,000 VND) is
   entered as a `rate_value` row.
3. Prefect's temporary server is started (timed on its own), then the campaign runs as one flow
   run, timed end to end: read, recompute, deltas written.
4. Another approver approves the whole batch with `cases.campaigns.approve` (timed).
5. Checks: 200 random changed calculations recomputed one by one with `benefits_rules.compute`
   give the stored new totals, and no calculation decided before the change has a delta.

Run: .venv/bin/python -m bench.campaign_bench [--cases 100000] [--chunk 5000]
Needs PostgreSQL on 127.0.0.1:5432 (user postgres, database `test` for the admin connection).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from cryptography.fernet import Fernet
from psycopg import sql

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
DB_PREFIX = "vongtay_bench_campaign_"
CHANGED_ON = date(2026, 1, 1)
NEW_FOOD_RATE = 75_000
TARGET_CAMPAIGN_S = 60.0
SAMPLE_CHECKS = 200
INSERT_BATCH = 10_000


# --- the throwaway database ---------------------------------------------------------------------


def create_database() -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    name = f"{DB_PREFIX}{uuid.uuid4().hex[:16]}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(url: str) -> None:
    """Drop a database made by `create_database` (and nothing else)."""
    name = url.rsplit("/", 1)[-1]
    if not name.startswith(DB_PREFIX):
        raise ValueError(f"refusing to drop {name!r}")
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def timed(label: str, figures: dict[str, float]) -> Iterator[None]:
    """Time the block and keep the seconds under `label`."""
    start = time.perf_counter()
    try:
        yield
    finally:
        figures[label] = time.perf_counter() - start


# --- the seed -----------------------------------------------------------------------------------


def _iso_dates(series: pd.Series) -> list[str | None]:
    text = np.datetime_as_string(series.to_numpy().astype("datetime64[D]"), unit="D")
    return [None if value == "NaT" else str(value) for value in text.tolist()]


def _ints(series: pd.Series) -> list[int | None]:
    return [None if value is pd.NA else int(value) for value in series.astype(object).tolist()]


def facts_json(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The generated frame as the facts the case file stores (`Facts.to_dict`'s form: ISO
    dates, nested `stay`/`travel`/`costs`, absent optional facts left out)."""
    col: dict[str, list[Any]] = {}
    for name in ("birth_date", "received_on", "identified_on", "stay.from", "stay.to"):
        col[name] = _iso_dates(frame[name])
    for name in ("travel.date", "application_date"):
        col[name] = _iso_dates(frame[name])
    for name in (
        "costs.health_check_vnd",
        "costs.treatment_vnd",
        "costs.interpretation_vnd",
        "travel.fare_vnd",
        "travel.journey_days",
        "vocational_course_cost_vnd",
    ):
        col[name] = _ints(frame[name])
    for name in (
        "status",
        "accompanies_status",
        "nationality",
        "location",
        "sex",
        "province",
        "home_province",
        "extension_days",
        "insured",
        "needs_interpreter",
        "returning_home",
        "continues_school",
        "poor_household",
        "refused",
    ):
        col[name] = frame[name].tolist()
    out: list[dict[str, Any]] = []
    for i in range(len(frame)):
        facts: dict[str, Any] = {
            "status": col["status"][i],
            "nationality": col["nationality"][i],
            "location": col["location"][i],
            "birth_date": col["birth_date"][i],
            "sex": col["sex"][i],
            "province": col["province"][i],
            "received_on": col["received_on"][i],
            "extension_days": int(col["extension_days"][i]),
            "insured": bool(col["insured"][i]),
            "needs_interpreter": bool(col["needs_interpreter"][i]),
            "returning_home": bool(col["returning_home"][i]),
            "continues_school": bool(col["continues_school"][i]),
            "poor_household": bool(col["poor_household"][i]),
            "refused": list(col["refused"][i]),
        }
        for name in ("accompanies_status", "home_province", "identified_on"):
            if col[name][i] is not None:
                facts[name] = col[name][i]
        if col["stay.from"][i] is not None:
            stay = {"from": col["stay.from"][i]}
            if col["stay.to"][i] is not None:
                stay["to"] = col["stay.to"][i]
            facts["stay"] = stay
        costs = {
            sub: col[f"costs.{sub}"][i]
            for sub in ("health_check_vnd", "treatment_vnd", "interpretation_vnd")
            if col[f"costs.{sub}"][i] is not None
        }
        if costs:
            facts["costs"] = costs
        if col["travel.fare_vnd"][i] is not None:
            travel: dict[str, Any] = {
                "fare_vnd": col["travel.fare_vnd"][i],
                "journey_days": col["travel.journey_days"][i],
            }
            if col["travel.date"][i] is not None:
                travel["date"] = col["travel.date"][i]
            facts["travel"] = travel
        for name in ("vocational_course_cost_vnd", "application_date"):
            if col[name][i] is not None:
                facts[name] = col[name][i]
        out.append(facts)
    return out


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), INSERT_BATCH):
        yield rows[start : start + INSERT_BATCH]


def seed(url: str, n: int, figures: dict[str, float]) -> tuple[str, str]:
    """Seed `n` issued calculations; returns (system account id, approver account id)."""
    from sqlalchemy import create_engine, insert

    from bench.cases import generate_cases
    from benefits_rules import compute_frame, regime_for, rule_version
    from cases.accounts import SYSTEM_USERNAME
    from cases.models import Base, BenefitCalculation, Case, CaseFact, Person, UserAccount
    from cases.vault import Vault, seal_person

    with timed("seed: generate and compute old totals", figures):
        frame = generate_cases(n, seed=20261125)
        calc_ids = [str(uuid.uuid4()) for _ in range(n)]
        frame["case_id"] = calc_ids
        items = compute_frame(frame)
        errors = int(items["error_field"].notna().sum())
        if errors:
            raise RuntimeError(f"compute_frame refused {errors} generated cases")
        granted = items[items["status"] == "granted"]
        totals = granted.groupby("case_id", sort=False)["amount_vnd"].sum()
        regimes = items.groupby("case_id", sort=False, observed=True)["regime"].first()
        facts = facts_json(frame)
        as_of = [d.date() for d in frame["as_of"]]

    system_id, approver_id = str(uuid.uuid4()), str(uuid.uuid4())
    vault = Vault(Fernet.generate_key())
    placeholder = seal_person(vault, full_name="Người mẫu (bench)", birth_date=date(2000, 1, 1))
    now = datetime.now(UTC)
    version = rule_version()
    users = [
        {
            "id": system_id,
            "username": SYSTEM_USERNAME,
            "password_hash": "!",
            "role": "approver",
            "province": None,
            "display_name": None,
            "active": True,
        },
        {
            "id": approver_id,
            "username": "bench-approver",
            "password_hash": "!",
            "role": "approver",
            "province": None,
            "display_name": None,
            "active": True,
        },
    ]
    persons: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    fact_rows: list[dict[str, Any]] = []
    calcs: list[dict[str, Any]] = []
    with timed("seed: build rows", figures):
        for i, calc_id in enumerate(calc_ids):
            person_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
            f = facts[i]
            total = int(totals.get(calc_id, 0))
            # a case with no item at all (no support due) has no row to read its regime from
            regime = (
                str(regimes[calc_id]) if calc_id in regimes.index else str(regime_for(f, as_of[i]))
            )
            persons.append(
                {
                    "id": person_id,
                    "match_key": hashlib.sha256(person_id.encode()).hexdigest(),
                    "full_name": placeholder.full_name,
                }
            )
            cases.append(
                {
                    "id": case_id,
                    "person_id": person_id,
                    "accompanies_case_id": None,
                    "province": "sample",
                    "facility": "bench shelter",
                    "stage": "referred",
                    "status": f["status"],
                    "nationality": f["nationality"],
                    "birth_year_month": f["birth_date"][:7],
                    "regime": regime,
                    "identified_on": f.get("identified_on"),
                    "version": 3,
                    "created_by": system_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            fact_rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "case_id": case_id,
                    "version": 1,
                    "facts": f,
                    "reason": "intake",
                    "created_by": system_id,
                    "created_at": now,
                }
            )
            calcs.append(
                {
                    "id": calc_id,
                    "case_id": case_id,
                    "fact_version": 1,
                    "as_of": as_of[i],
                    "state": "issued",
                    "kind": "full",
                    "regime": regime,
                    "input_hash": hashlib.sha256(calc_id.encode()).hexdigest(),
                    "rule_version": version,
                    "parameter_versions": {},
                    "items": [],
                    "trace": [],
                    "total_vnd": total,
                    "needs_legal_check": [],
                    "uses_sample_rates": True,
                    "approvals_required": 1,
                    "granted_discretionary": [],
                    "approved_total_vnd": total,
                    "replaces_id": None,
                    "version": 2,
                    "proposed_by": system_id,
                    "created_at": now,
                }
            )
    engine = create_engine(url)
    try:
        with timed("seed: bulk INSERT (SQLAlchemy Core)", figures), engine.begin() as conn:
            conn.execute(insert(UserAccount), users)
            tables: list[tuple[type[Base], list[dict[str, Any]]]] = [
                (Person, persons),
                (Case, cases),
                (CaseFact, fact_rows),
                (BenefitCalculation, calcs),
            ]
            for table, rows in tables:
                for batch in _batches(rows):
                    conn.execute(insert(table), batch)
        # fresh statistics, as after autovacuum: without them the planner joins and sorts
        # every remaining row for each chunk (minutes instead of seconds at 100,000)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return system_id, approver_id


def add_rate_change(url: str, system_id: str) -> None:
    """The change the campaign is about: `sample`'s food rate becomes 75,000 VND from 2026."""
    from sqlalchemy import create_engine, insert

    from cases.models import RateValue

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(RateValue),
                [
                    {
                        "id": str(uuid.uuid4()),
                        "province": "sample",
                        "key": "food_per_day_vnd",
                        "since": CHANGED_ON,
                        "value": NEW_FOOD_RATE,
                        "citation": "bench: invented change of the demo rate",
                        "confirmed": True,
                        "under": "LAW_53_2024",
                        "entered_by": system_id,
                        "created_at": datetime.now(UTC),
                    }
                ],
            )
    finally:
        engine.dispose()


FULL_BATCH_ID = "00000000-0000-4000-8000-00000000000b"


def seed_full_batch(url: str, system_id: str) -> int:
    """A second computed campaign with one pending delta per calculation (design §8's
    100,000-line batch), for timing the approval at full size; returns its line count."""
    from sqlalchemy import create_engine, func, insert, literal, select, update

    from cases.models import BenefitCalculation, RecalcCampaign, RecalcDelta

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(RecalcCampaign),
                [
                    {
                        "id": FULL_BATCH_ID,
                        "changed_on": CHANGED_ON,
                        "state": "computed",
                        "cursor": "",
                        "total_cases": 0,
                        "done_cases": 0,
                        "changed_cases": 0,
                        "net_delta_vnd": 0,
                        "started_by": system_id,
                        "created_at": datetime.now(UTC),
                        "version": 1,
                    }
                ],
            )
            conn.execute(
                insert(RecalcDelta).from_select(
                    [
                        "campaign_id",
                        "case_id",
                        "calculation_id",
                        "old_total_vnd",
                        "new_total_vnd",
                        "delta_vnd",
                        "state",
                    ],
                    select(
                        literal(FULL_BATCH_ID),
                        BenefitCalculation.case_id,
                        BenefitCalculation.id,
                        BenefitCalculation.total_vnd,
                        BenefitCalculation.total_vnd + 1000,
                        literal(1000),
                        literal("pending"),
                    ),
                )
            )
            lines = int(
                conn.scalar(
                    select(func.count())
                    .select_from(RecalcDelta)
                    .where(RecalcDelta.campaign_id == FULL_BATCH_ID)
                )
                or 0
            )
            conn.execute(
                update(RecalcCampaign)
                .where(RecalcCampaign.id == FULL_BATCH_ID)
                .values(changed_cases=lines, net_delta_vnd=1000 * lines)
            )
    finally:
        engine.dispose()
    return lines


# --- checks -------------------------------------------------------------------------------------


def check_sample(url: str, campaign_id: str, count: int) -> tuple[int, int, int]:
    """Recompute `count` random changed calculations one by one with `compute` under the new
    rates; returns (checked, mismatches, deltas on calculations decided before the change)."""
    from sqlalchemy import and_, create_engine, func, select

    from benefits_rules import compute
    from benefits_rules.schedules import shipped_schedules
    from cases.models import BenefitCalculation, CaseFact, RecalcDelta

    schedule = shipped_schedules()["sample"].with_value(
        "food_per_day_vnd",
        CHANGED_ON,
        NEW_FOOD_RATE,
        citation="bench check",
        confirmed=True,
        under="LAW_53_2024",
    )
    rates = {"sample": schedule}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    RecalcDelta.new_total_vnd,
                    RecalcDelta.old_total_vnd,
                    BenefitCalculation.as_of,
                    CaseFact.facts,
                )
                .join(BenefitCalculation, BenefitCalculation.id == RecalcDelta.calculation_id)
                .join(
                    CaseFact,
                    and_(
                        CaseFact.case_id == BenefitCalculation.case_id,
                        CaseFact.version == BenefitCalculation.fact_version,
                    ),
                )
                .where(RecalcDelta.campaign_id == campaign_id)
                .order_by(func.random())
                .limit(count)
            ).all()
            before_change = conn.scalar(
                select(func.count())
                .select_from(RecalcDelta)
                .join(BenefitCalculation, BenefitCalculation.id == RecalcDelta.calculation_id)
                .where(
                    RecalcDelta.campaign_id == campaign_id, BenefitCalculation.as_of < CHANGED_ON
                )
            )
    finally:
        engine.dispose()
    mismatches = 0
    for row in rows:
        result = compute(row.facts, row.as_of, rates)
        if result.total_vnd != row.new_total_vnd:
            mismatches += 1
            if mismatches <= 5:
                print(
                    f"  MISMATCH as_of {row.as_of}: stored new {row.new_total_vnd:,}, "
                    f"compute {result.total_vnd:,} (old {row.old_total_vnd:,})"
                )
    return len(rows), mismatches, int(before_change or 0)


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


# --- the run ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Seed, change a rate, run the campaign as one flow run, approve it; print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.chunk < 1:
        parser.error("--cases and --chunk must be positive")

    # a SIGTERM (a timeout) still drops the database and stops the server
    signal.signal(signal.SIGTERM, _terminate)
    figures: dict[str, float] = {}
    prefect_home = Path(tempfile.mkdtemp(prefix="vongtay-bench-prefect-"))
    url = create_database()
    # settings and engines are read once per process: set the environment before any use
    os.environ["VONGTAY_DATABASE_URL"] = url
    os.environ["VONGTAY_VAULT_KEY"] = Fernet.generate_key().decode()
    os.environ["PREFECT_HOME"] = str(prefect_home)
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.pop("PREFECT_API_URL", None)
    server: Any = None
    try:
        from cases.migrate import upgrade

        with timed("migrate", figures):
            upgrade(url)
        print(f"database {url.rsplit('/', 1)[-1]}: migrated in {figures['migrate']:.1f} s")
        system_id, approver_id = seed(url, args.cases, figures)
        seed_s = sum(v for k, v in figures.items() if k.startswith("seed:"))
        print(f"seeded {args.cases:,} issued calculations in {seed_s:.1f} s")
        for key, value in figures.items():
            if key.startswith("seed:"):
                print(f"  {key[6:]}: {value:.2f} s")
        add_rate_change(url, system_id)
        print(
            f"rate change: sample food_per_day_vnd = {NEW_FOOD_RATE:,} VND from {CHANGED_ON} "
            "(confirmed, LAW_53_2024)"
        )

        with timed("import prefect", figures):
            import prefect  # noqa: F401
            from prefect.server.api.server import SubprocessASGIServer

            from flows.campaign import recalculate
        with timed("prefect start", figures):
            server = SubprocessASGIServer()
            server.start(timeout=180)
        print(
            f"Prefect: import {figures['import prefect']:.1f} s, temporary server started in "
            f"{figures['prefect start']:.1f} s (fresh PREFECT_HOME)"
        )

        with timed("campaign", figures):
            result = recalculate(changed_on=CHANGED_ON, chunk_size=args.chunk)
        from cases.campaigns import approve, status

        campaign_id = str(result["campaign_id"])
        done = status(campaign_id)
        campaign_s = figures["campaign"]
        inner = None
        if done.state == "computed":
            from sqlalchemy import create_engine, select

            from cases.models import RecalcCampaign

            engine = create_engine(url)
            try:
                with engine.connect() as conn:
                    row = conn.execute(
                        select(RecalcCampaign.created_at, RecalcCampaign.finished_at).where(
                            RecalcCampaign.id == campaign_id
                        )
                    ).one()
                if row.finished_at is not None:
                    inner = (row.finished_at - row.created_at).total_seconds()
            finally:
                engine.dispose()
        budget = TARGET_CAMPAIGN_S * max(args.cases, 100_000) / 100_000
        verdict = "met" if campaign_s <= budget else "NOT met"
        print(
            f"campaign: one flow run, {done.done_cases:,}/{done.total_cases:,} calculations in "
            f"{campaign_s:.1f} s end to end ({done.done_cases / campaign_s:,.0f} cases/s), "
            f"chunks of {args.chunk:,}"
        )
        if inner is not None:
            print(
                f"  from the campaign's start to its last chunk: {inner:.1f} s "
                f"({done.done_cases / inner:,.0f} cases/s); the rest is the flow run's overhead"
            )
        print(
            f"  state {done.state}; {done.changed_cases:,} changed calculations, "
            f"net delta {done.net_delta_vnd:+,} VND"
        )
        print(f"  target ≤ {TARGET_CAMPAIGN_S:.0f} s for 100,000: {verdict}")

        from cases.accounts import Actor
        from cases.schemas import Role

        approver = Actor(approver_id, "bench-approver", Role.approver, None)
        with timed("approve", figures):
            approved = approve(approver, campaign_id)
        from sqlalchemy import create_engine, func, select

        from cases.models import RecalcDelta

        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                lines = conn.scalar(
                    select(func.count())
                    .select_from(RecalcDelta)
                    .where(RecalcDelta.campaign_id == campaign_id, RecalcDelta.state == "approved")
                )
        finally:
            engine.dispose()
        print(
            f"approval: one action, {lines:,} lines approved in {figures['approve']:.2f} s "
            f"(campaign {approved.state})"
        )
        full_lines = seed_full_batch(url, system_id)
        with timed("approve full", figures):
            approve(approver, FULL_BATCH_ID)
        print(
            f"approval at full size: one action, {full_lines:,} lines (one delta per "
            f"calculation, stored for this figure) approved in {figures['approve full']:.2f} s"
        )

        with timed("check", figures):
            checked, mismatches, before = check_sample(url, campaign_id, SAMPLE_CHECKS)
        print(
            f"check: {checked} random changed calculations recomputed with compute(): "
            f"{mismatches} mismatches; deltas on calculations decided before "
            f"{CHANGED_ON}: {before} ({figures['check']:.1f} s)"
        )
        ok = mismatches == 0 and before == 0 and done.state == "computed"
        return 0 if ok else 1
    finally:
        if server is not None:
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=5)  # the flow's logs, before their server goes
            server.stop()
        if args.keep:
            print(f"kept {url}")
        else:
            drop_database(url)
        shutil.rmtree(prefect_home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
