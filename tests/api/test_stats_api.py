"""`GET /api/v1/stats`: counts safe to publish, by province and year (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cases.accounts import create_user
from cases.models import AuditLog, PartnerOrg
from cases.policy import now, today
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import Account
from tests.api.stats_population import Someone, assert_publishable, many, populate, truth

STATS = "/api/v1/stats"

WOMEN = many(23, sex="female", birth_date=date(1998, 4, 10), groups={"a": 600_000, "e": 400_000})
# the first woman's decision replaced an earlier one, whose money must not count again
WOMEN[0] = Someone(
    sex="female",
    birth_date=date(1998, 4, 10),
    groups={"a": 600_000, "e": 400_000},
    replaced_vnd=999_999,
)
MEN = many(
    15,
    sex="male",
    birth_date=date(2000, 6, 1),
    stage="following_up",
    groups={"a": 2_000_000},
    not_granted={"k": 300_000},  # a discretionary line the approver did not grant
    outcome="stable",
)
# the last man's case is a second reception of the man before him, confirmed by staff
MEN[-1] = Someone(
    sex="male",
    birth_date=date(2000, 6, 1),
    received_on=date(2025, 5, 5),
    stage="following_up",
    groups={"a": 2_000_000},
    outcome="stable",
    same_as=len(WOMEN) + len(MEN) - 2,
)
GIRLS = many(3, birth_date=date(2009, 1, 1), stage="received", regime=None)
CHILDREN = many(
    2,
    birth_date=date(2012, 2, 2),
    stage="closed",
    regime="LAW_66_2011",
    groups={"b": 500_000},
    outcome="re_trafficked",
)
SAMPLE_2025 = [*WOMEN, *MEN, *GIRLS, *CHILDREN]
ELSEWHERE = many(12, province="nghe-an")
LAST_YEAR = many(12, received_on=date(2024, 6, 1))


def _cells(table: dict[str, object]) -> dict[str, tuple[object, object]]:
    return {c["value"]: (c["persons"], c["amount_vnd"]) for c in table["cells"]}  # type: ignore[attr-defined]


def test_the_tables_of_a_province_and_year(
    client: TestClient, account: Callable[..., Account]
) -> None:
    populate([*SAMPLE_2025, *ELSEWHERE, *LAST_YEAR])
    officer = account("intake_officer", "sample")
    response = client.get(STATS, params={"year": 2025}, headers=officer.headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    assert (stats["province"], stats["year"]) == ("sample", 2025)
    assert stats["rule"]["min_cell"] == 11 and stats["rule"]["rounding"] == 5
    assert truth(SAMPLE_2025)["total"]["total"] == 42  # 43 cases, one person received twice
    assert_publishable(stats, SAMPLE_2025)

    # 42 persons, 54,000,000 VND: the replaced decision's 999,999 is not counted
    assert stats["stage"]["total"] == {
        "value": "total",
        "persons": 40,
        "amount_vnd": 54_000_000,
        "suppressed": False,
        "amount_suppressed": False,
    }
    # the 23 identified women are published; the 14 men following up are suppressed too, since
    # the 5 persons in the other stages could otherwise be had by subtraction
    stage = _cells(stats["stage"])
    assert stage["identified"] == (20, 23_000_000)
    assert stage["following_up"] == (None, None) and stage["received"] == (None, None)
    assert [c["value"] for c in stats["stage"]["cells"]] == [
        "received",
        "awaiting_verification",
        "identified",
        "not_identified",
        "referred",
        "following_up",
        "closed",
    ]
    # 14 men (not 15 cases), the money of both of the twice-received man's decisions
    assert _cells(stats["sex"]) == {
        "female": (25, 24_000_000),
        "male": (10, 30_000_000),
    }
    assert _cells(stats["age_band"])["25_34"] == (20, 23_000_000)
    # a granted item counts in its group; the discretionary line nobody granted does not
    groups = _cells(stats["support_group"])
    assert groups["a"] == (35, 43_800_000)
    assert groups["k"] == (None, None) and groups["no_issued_support"] == (None, None)
    assert _cells(stats["outcome"])["no_follow_up_yet"] == (25, 23_000_000)
    assert all(c["suppressed"] for c in stats["regime"]["cells"])

    with UnitOfWork(write=False) as uow:
        rows = uow.session.scalars(select(AuditLog).where(AuditLog.action == "stats.read"))
        assert [(r.actor, r.detail) for r in rows] == [
            (officer.username, {"province": "sample", "year": 2025})
        ]


def _partner(client: TestClient) -> dict[str, str]:
    with UnitOfWork() as uow:
        uow.session.add(
            PartnerOrg(
                slug="trung-tam-nghe",
                name="Trung tâm nghề",
                service="vocational",
                province="sample",
                created_at=now(),
            )
        )
        uow.commit()
    _id, password = create_user("partner-stats", "partner", None, partner="trung-tam-nghe")
    token = client.post(
        "/api/v1/auth/token", data={"username": "partner-stats", "password": password}
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_who_sees_which_province_and_what_is_refused(
    client: TestClient, account: Callable[..., Account]
) -> None:
    populate([*SAMPLE_2025[:20], *ELSEWHERE])
    national = account("auditor", None)
    everywhere = client.get(STATS, params={"year": 2025}, headers=national.headers).json()
    assert everywhere["province"] is None and everywhere["stage"]["total"]["persons"] == 30
    other = client.get(
        STATS, params={"year": 2025, "province": "nghe-an"}, headers=national.headers
    ).json()
    assert other["province"] == "nghe-an" and other["sex"]["total"]["persons"] == 10

    # a year with no case: everything suppressed, nothing shown as zero
    empty = client.get(STATS, params={"year": 2023}, headers=national.headers).json()
    assert empty["stage"]["total"]["persons"] is None
    assert all(c["persons"] is None for c in empty["outcome"]["cells"])

    approver = account("approver", "sample")
    refused = [
        (approver.headers, {"year": 2025, "province": "nghe-an"}, 403, "OutsideProvince", None),
        (_partner(client), {"year": 2025}, 403, "RoleNotAllowed", "role"),
        (approver.headers, {"year": 1999}, 422, "InvalidInput", "year"),
        (approver.headers, {"year": today().year + 1}, 422, "InvalidInput", "year"),
        (approver.headers, {}, 422, "RequestValidationFailed", "year"),
        (national.headers, {"year": 2025, "province": "atlantis"}, 422, "InvalidInput", "province"),
        ({}, {"year": 2025}, 401, "AuthenticationFailed", "authorization"),
    ]
    for headers, params, status, error, field in refused:
        response = client.get(STATS, params=params, headers=headers)
        assert (response.status_code, response.json()["error"]) == (status, error), params
        if field is not None:
            assert response.json()["field"] == field
    with UnitOfWork(write=False) as uow:
        audited = uow.session.scalars(select(AuditLog).where(AuditLog.action == "stats.read"))
        assert len(audited.all()) == 3  # the three answered reads, none of the refusals


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_nobody_under_eleven_in_a_population_of_small_groups(
    client: TestClient, account: Callable[..., Account]
) -> None:
    """Groups just under and over the threshold, and persons received twice: 11 cases of 10
    persons must not be published, 12 cases of 11 persons may be."""
    people: list[Someone] = []
    for stage, count in (("identified", 11), ("referred", 10), ("closed", 12), ("received", 1)):
        people += many(count, stage=stage, sex="male" if count % 2 else "female")
    people.append(Someone(stage="identified", sex="male", same_as=0))  # 12 cases, 11 persons
    people += many(10, stage="following_up", sex="female")
    people.append(Someone(stage="following_up", sex="female", same_as=len(people) - 1))
    populate(people)
    auditor = account("auditor", "sample")
    stats = client.get(STATS, params={"year": 2025}, headers=auditor.headers).json()
    assert_publishable(stats, people)
    assert truth(people)["stage"] == {
        "identified": 11,
        "referred": 10,
        "closed": 12,
        "received": 1,
        "following_up": 10,
    }
    stages = _cells(stats["stage"])
    assert stages["identified"][0] == 10 and stages["closed"][0] == 10
    assert stages["following_up"] == (None, None)  # 11 cases, but 10 persons
