"""A schemathesis run against the app's own OpenAPI document (in-process, over ASGI): whatever
a client sends that the schema allows, or nearly allows, the server never answers 5xx.

Bounded (15 examples per operation, derandomised so a failure reproduces) and on SQLite only,
to stay well under a minute. Authenticated with a valid bearer token of the national account
that may use each route: an approver for approvals, rates and the approvers' decisions on
facts, an intake officer for the rest. Half of the generated case ids are swapped for a real
case (identified, with a proposal), so the generated bodies reach the use cases, not only 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from tests.api.conftest import Account, intake_body

CASES = "/api/v1/cases"


@dataclass
class World:
    """What the generated requests run against: who asks, and ids that exist."""

    intake: dict[str, str]
    approver: dict[str, str]
    case_id: str
    calculation_id: str
    person_id: str


@pytest.fixture
def world(client: TestClient, account: Callable[..., Account]) -> World:
    intake = account("intake_officer", None)
    created = client.post(CASES, json=intake_body(), headers=intake.headers)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    for path, body in (
        ("verification", {"notified_on": "2025-10-02", "result": "needs_identification"}),
        (
            "identification",
            {
                "result": "victim",
                "certificate": {"issuer": "Công an tỉnh", "number": "7/GCN", "date": "2025-10-20"},
            },
        ),
    ):
        response = client.post(f"{CASES}/{case_id}/{path}", json=body, headers=intake.headers)
        assert response.status_code == 200, response.text
    proposed = client.post(
        f"{CASES}/{case_id}/calculations", json={"as_of": "2025-11-30"}, headers=intake.headers
    )
    assert proposed.status_code == 201, proposed.text
    person_id = client.get(f"{CASES}/{case_id}", headers=intake.headers).json()["person_id"]
    approver = account("approver", None)
    return World(intake.headers, approver.headers, case_id, proposed.json()["id"], person_id)


APPROVER_ROUTES = ("/approvals", "/rates/", "/regime-override", "/stay-extension")
#: no 5xx; and every answer is one the schema declares, in the declared shape
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: logging out would revoke the token the rest of the run uses; test_auth_api covers it
SKIPPED = {("POST", "/api/v1/auth/logout")}


def _real_ids(case: Case, world: World) -> None:
    """Swap about half of the generated ids for ids that exist (decided by the generated
    value, so the run stays reproducible)."""
    real = {
        "case_id": world.case_id,
        "calculation_id": world.calculation_id,
        "person_id": world.person_id,
    }
    parameters = case.path_parameters or {}
    for name, value in list(parameters.items()):
        if name in real and len(str(value)) % 2 == 0:
            parameters[name] = real[name]
    body = case.body
    if isinstance(body, dict) and "calculation_id" in body and len(str(body)) % 2 == 0:
        body["calculation_id"] = world.calculation_id


def _run(operation: APIOperation, mode: GenerationMode, world: World) -> None:
    headers = world.approver if any(p in operation.path for p in APPROVER_ROUTES) else world.intake

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=15,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case) -> None:
        _real_ids(case, world)
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_server_error(configured: str, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    failures: list[str] = []
    ran = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    # closing the real case ends what the other operations can do with it: close it last
    operations.sort(key=lambda operation: operation.path.endswith("/close"))
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            ran += 1
            try:
                _run(operation, mode, world)
            # schemathesis raises a FailureGroup (an exception group); report them all
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    assert ran >= 2 * 25, "the schema lost operations"
    assert not failures, "\n\n".join(failures)


def test_an_offset_beyond_any_database_is_422_not_500(
    client: TestClient, account: Callable[..., Account]
) -> None:
    """The first server error the run found: an offset no database integer holds. On both
    databases."""
    intake = account("intake_officer", None)
    response = client.get(f"{CASES}?offset=99999999999999999999", headers=intake.headers)
    assert response.status_code == 422
    assert (response.json()["error"], response.json()["field"]) == (
        "RequestValidationFailed",
        "offset",
    )


def test_a_nul_character_is_never_a_server_error(
    configured: str, client: TestClient, account: Callable[..., Account]
) -> None:
    """Found by a run on PostgreSQL, whose text columns refuse NUL: a 500 then. SQLite stores
    it; PostgreSQL now answers 422 and stores nothing."""
    postgres = configured.startswith("postgresql")
    intake = account("intake_officer", None)
    created = client.post(CASES, json=intake_body(), headers=intake.headers)
    case_id = created.json()["id"]
    closed = client.post(
        f"{CASES}/{case_id}/close", json={"reason": "a\x00b"}, headers=intake.headers
    )
    got = client.get(f"{CASES}/a%00b", headers=intake.headers)
    login = client.post("/api/v1/auth/token", data={"username": "a\x00b", "password": "x"})
    if postgres:
        for response in (closed, got, login):
            assert response.status_code == 422, response.text
            assert response.json()["rule"] == "unstorable_value"
        stage = client.get(f"{CASES}/{case_id}", headers=intake.headers).json()["stage"]
        assert stage == "received"
    else:
        assert (closed.status_code, got.status_code, login.status_code) == (200, 404, 401)
