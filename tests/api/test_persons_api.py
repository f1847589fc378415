"""The identity vault through the HTTP API: personal data only to a role that needs it, in the
person's province, for a stated purpose; every read audited; nothing readable at rest.

Every test runs on SQLite and on PostgreSQL (the `client` fixture's database).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from cases import accounts
from cases.models import AuditLog
from cases.unit_of_work import UnitOfWork
from cases.vault import PURPOSES, normalise_name
from tests.api.conftest import SAMPLE_PERSON, Account, intake_body

API = "/api/v1"
MINOR_PERSON = {"full_name": "Trần Văn Nhỏ", "id_number": "001215000888"}
MINOR_FACTS = {
    "nationality": "vietnamese",
    "location": "in_vietnam",
    "birth_date": "2015-05-01",
    "sex": "male",
}

AccountFactory = Callable[..., Account]


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: these tests are about the vault, not password hashing."""
    monkeypatch.setattr(
        accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def intake(account: AccountFactory) -> Account:
    return account("intake_officer")


@pytest.fixture
def received(client: TestClient, intake: Account) -> dict[str, str]:
    """A person and an accompanying minor received in the sample province: their person ids."""
    body = intake_body()
    body["accompanying"] = [{"person": dict(MINOR_PERSON), "facts": dict(MINOR_FACTS)}]
    created = client.post(f"{API}/cases", json=body, headers=intake.headers)
    assert created.status_code == 201, created.text
    ids = created.json()

    def person_id(case_id: str) -> str:
        response = client.get(f"{API}/cases/{case_id}", headers=intake.headers)
        assert response.status_code == 200, response.text
        return str(response.json()["person_id"])

    return {"person": person_id(ids["id"]), "minor": person_id(ids["companions"][0])}


def read(client: TestClient, who: Account, person_id: str, purpose: str | None) -> Any:
    params = {} if purpose is None else {"purpose": purpose}
    return client.get(f"{API}/persons/{person_id}", params=params, headers=who.headers)


def reads_audited() -> list[tuple[str, str | None, str | None]]:
    """(actor, person id, purpose) of every `person.read` audit row, oldest first."""
    with UnitOfWork(write=False) as uow:
        rows = uow.session.scalars(
            select(AuditLog).where(AuditLog.action == "person.read").order_by(AuditLog.id)
        ).all()
        assert all(row.subject_type == "person" for row in rows)
        return [(row.actor, row.subject_id, row.purpose) for row in rows]


def assert_error(response: Any, status: int, error: str, field: str, rule: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {
        "error": error,
        "detail": response.json()["detail"],
        "field": field,
        "rule": rule,
    }


def test_the_roles_that_need_it_read_the_record_for_a_purpose(
    client: TestClient, intake: Account, account: AccountFactory, received: dict[str, str]
) -> None:
    readers = [intake, account("approver"), account("followup_worker"), account("approver", None)]
    purposes = ["intake_verification", "decision_document", "follow_up", "audit_investigation"]
    for who, purpose in zip(readers, purposes, strict=True):
        response = read(client, who, received["person"], purpose)
        assert response.status_code == 200, response.text
        assert response.json() == {"id": received["person"], **SAMPLE_PERSON}
    minor = read(client, intake, received["minor"], "referral")
    assert minor.status_code == 200, minor.text
    assert minor.json() == {
        "id": received["minor"],
        "full_name": MINOR_PERSON["full_name"],
        "aliases": [],
        "id_number": MINOR_PERSON["id_number"],
        "address": None,
        "phone": None,
        "health_notes": None,
    }
    expected = [
        (who.username, received["person"], purpose)
        for who, purpose in zip(readers, purposes, strict=True)
    ]
    assert reads_audited() == [*expected, (intake.username, received["minor"], "referral")]


def test_every_purpose_code_is_accepted(
    client: TestClient, intake: Account, received: dict[str, str]
) -> None:
    for purpose in sorted(PURPOSES):
        assert read(client, intake, received["person"], purpose).status_code == 200, purpose
    assert [purpose for _, _, purpose in reads_audited()] == sorted(PURPOSES)


def test_a_read_without_a_known_purpose_is_refused_and_not_audited(
    client: TestClient, intake: Account, received: dict[str, str]
) -> None:
    missing = read(client, intake, received["person"], None)
    assert_error(missing, 422, "RequestValidationFailed", "purpose", "missing")
    empty = read(client, intake, received["person"], "")
    assert_error(empty, 422, "RequestValidationFailed", "purpose", "string_too_short")
    unknown = read(client, intake, received["person"], "curiosity")
    assert_error(unknown, 422, "InvalidInput", "purpose", "unknown_value")
    assert SAMPLE_PERSON["full_name"] not in missing.text + empty.text + unknown.text
    assert reads_audited() == []


def test_roles_without_the_need_and_other_provinces_are_refused(
    client: TestClient, account: AccountFactory, received: dict[str, str]
) -> None:
    for who in (account("auditor"), account("admin"), account("auditor", None)):
        response = read(client, who, received["person"], "audit_investigation")
        assert_error(response, 403, "RoleNotAllowed", "role", "role")
        assert SAMPLE_PERSON["full_name"] not in response.text
    for role in ("intake_officer", "approver", "followup_worker"):
        response = read(client, account(role, "nghe-an"), received["person"], "follow_up")
        assert_error(response, 403, "OutsideProvince", "province", "province_scope")
        assert SAMPLE_PERSON["full_name"] not in response.text
    assert reads_audited() == []


def test_an_unknown_person_is_404_and_no_token_is_401(
    client: TestClient, intake: Account, received: dict[str, str]
) -> None:
    response = read(client, intake, "00000000-0000-0000-0000-000000000000", "follow_up")
    assert_error(response, 404, "NotFound", "person_id", "not_found")
    response = client.get(f"{API}/persons/{received['person']}", params={"purpose": "follow_up"})
    assert_error(response, 401, "AuthenticationFailed", "authorization", "token")
    assert response.headers["www-authenticate"] == "Bearer"
    assert SAMPLE_PERSON["full_name"] not in response.text
    assert reads_audited() == []


def test_the_person_table_holds_no_plaintext(received: dict[str, str]) -> None:
    columns = ("full_name", "aliases", "id_number", "address", "phone", "health_notes")
    with UnitOfWork(write=False) as uow:
        rows = uow.session.execute(
            text(f"SELECT id, match_key, {', '.join(columns)} FROM person")
        ).all()
    assert {row[0] for row in rows} == {received["person"], received["minor"]}
    secrets = [
        *(v for v in SAMPLE_PERSON.values() if isinstance(v, str)),
        *SAMPLE_PERSON["aliases"],
        *MINOR_PERSON.values(),
        normalise_name(str(SAMPLE_PERSON["full_name"])),
        normalise_name(MINOR_PERSON["full_name"]),
    ]
    for row in rows:
        stored = b"".join(
            bytes(value) if isinstance(value, bytes | memoryview) else str(value or "").encode()
            for value in row
        )
        for secret in secrets:
            assert secret.encode("utf-8") not in stored, secret
        assert row[2] is not None  # the full name is stored, encrypted
        assert len(row[1]) == 64  # a keyed hash, not the name
