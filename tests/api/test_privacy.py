"""No personal data outside the vault: a full journey through the API, with every log record (at
DEBUG, SQL statements and their parameters included), every response body and header and every
URL captured, shows neither the person's name (with or without diacritics), nor their ID number,
address, phone or health notes, nor those of the minor who came with them. The one exception is
the vault read made for a stated purpose, which must show the name.

Errors raised by input that holds personal data do not echo it either.

Every test runs on SQLite and on PostgreSQL (the `client` fixture's database).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from cases import accounts
from cases.models import Base
from cases.unit_of_work import UnitOfWork
from cases.vault import normalise_name
from tests.api.conftest import SAMPLE_PERSON, Account, intake_body

API = "/api/v1"
MINOR_PERSON = {
    "full_name": "Lê Đức Nhỏ Bé",
    "id_number": "001215000888",
    "address": "Xóm Núi Đá, xã Thử Nghiệm",
    "phone": "0987000888",
    "health_notes": "Sốt nhẹ khi đến",
}
MINOR_FACTS = {
    "nationality": "vietnamese",
    "location": "in_vietnam",
    "birth_date": "2015-05-01",
    "sex": "male",
    "stay": {"from": "2025-10-01"},
}
PERSONAL_FIELDS = ("full_name", "id_number", "address", "phone", "health_notes")
#: the loggers a deployment would show, besides the root logger
LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "sqlalchemy", "httpx", "fastapi")

AccountFactory = Callable[..., Account]


def secrets() -> dict[str, str]:
    """Every personal value of both people, as typed and in the diacritic-free form."""
    out: dict[str, str] = {}
    for who, person in (("person", SAMPLE_PERSON), ("minor", MINOR_PERSON)):
        for name in PERSONAL_FIELDS:
            value = str(person[name])
            out[f"{who}.{name}"] = value
            out[f"{who}.{name} (normalised)"] = normalise_name(value)
    return out


def leaks(text: str) -> list[str]:
    """Which personal values `text` holds, as typed or without diacritics, in any case or
    spacing."""
    flat = normalise_name(text)
    return [
        label
        for label, value in secrets().items()
        if value in text or normalise_name(value) in flat
    ]


class Capture(logging.Handler):
    """Keeps every record it sees, formatted with its exception and its raw arguments."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> Iterator[tuple[str, str]]:
        for record in self.records:
            assert self.formatter is not None
            yield record.name, f"{self.formatter.format(record)} {record.args!r}"


@dataclass
class Seen:
    """What the client saw: every URL requested and every response."""

    urls: list[str] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: these tests are about personal data, not password hashing."""
    monkeypatch.setattr(
        accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[Capture]:
    """Every log record at DEBUG, from the root logger and the named loggers, while the test
    runs (caplog restores the levels afterwards)."""
    handler = Capture()
    caplog.set_level(logging.DEBUG)
    targets = [logging.getLogger(), *(logging.getLogger(name) for name in LOGGERS)]
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
        assert not logging.getLogger(name).disabled, name
    for logger in targets:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in targets:
            logger.removeHandler(handler)


@pytest.fixture
def seen(client: TestClient) -> Iterator[Seen]:
    """Record every request's URL and every response (read in full) the client makes."""
    record = Seen()

    def on_request(request: httpx.Request) -> None:
        record.urls.append(str(request.url))

    def on_response(response: httpx.Response) -> None:
        response.read()
        record.responses.append(response)

    client.event_hooks = {"request": [on_request], "response": [on_response]}
    yield record
    client.event_hooks = {"request": [], "response": []}


def is_vault_read(response: httpx.Response) -> bool:
    return response.request.url.path.startswith(f"{API}/persons/") and bool(
        response.request.url.params.get("purpose")
    )


def check_nothing_leaked(
    captured: Capture,
    caplog: pytest.LogCaptureFixture,
    seen: Seen,
    allowed_vault_reads: int = 0,
) -> None:
    names = {name for name, _ in captured.texts()}
    assert any(name.startswith("sqlalchemy.engine") for name in names), names
    assert "httpx" in names, names
    for name, text in captured.texts():
        assert not leaks(text), (name, leaks(text), text[:500])
    assert caplog.records and not leaks(caplog.text), leaks(caplog.text)
    assert seen.urls and len(seen.responses) == len(seen.urls)
    for url in seen.urls:
        assert not leaks(url) and not leaks(unquote(url)), url
    vault_reads = 0
    for response in seen.responses:
        where = f"{response.request.method} {response.request.url}"
        assert response.status_code < 500, (where, response.text)
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
        assert not leaks(headers), (where, leaks(headers))
        if is_vault_read(response) and response.status_code == 200:
            vault_reads += 1
            continue
        assert not leaks(response.text), (where, leaks(response.text))
    assert vault_reads == allowed_vault_reads


def check_database_outside_the_vault() -> None:
    """Every row of every table but `person` (which holds ciphertext) is free of the values."""
    with UnitOfWork(write=False) as uow:
        for table in Base.metadata.sorted_tables:
            if table.name == "person":
                continue
            for row in uow.session.execute(select(table)).all():
                assert not leaks(repr(tuple(row))), (table.name, leaks(repr(tuple(row))))


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_full_journey_shows_personal_data_only_to_the_purposed_vault_read(
    client: TestClient,
    account: AccountFactory,
    caplog: pytest.LogCaptureFixture,
    captured: Capture,
    seen: Seen,
) -> None:
    intake = account("intake_officer")
    approvers = [account("approver"), account("approver")]
    worker = account("followup_worker")
    body = intake_body()
    body["accompanying"] = [{"person": dict(MINOR_PERSON), "facts": dict(MINOR_FACTS)}]
    created = ok(client.post(f"{API}/cases", json=body, headers=intake.headers), 201)
    case_id, minor_id = created["id"], created["companions"][0]
    case = f"{API}/cases/{case_id}"
    ok(
        client.post(
            f"{case}/verification",
            json={"notified_on": "2025-10-02", "result": "needs_identification"},
            headers=intake.headers,
        )
    )
    identified = ok(
        client.post(
            f"{case}/identification",
            json={
                "result": "victim",
                "certificate": {"issuer": "Công an tỉnh", "number": "7/GCN", "date": "2025-10-20"},
            },
            headers=intake.headers,
        )
    )
    assert identified["stage"] == "identified"
    calculation = ok(
        client.post(f"{case}/calculations", json={"as_of": "2025-11-30"}, headers=intake.headers),
        201,
    )
    for approver in approvers[: calculation["approvals_required"]]:
        decided = ok(
            client.post(
                f"{case}/approvals",
                json={
                    "calculation_id": calculation["id"],
                    "decision": "approve",
                    "acknowledge_unconfirmed": True,
                    "note": "checked against the brief",
                },
                headers=approver.headers,
            ),
            201,
        )
    assert decided["calculation_state"] == "approved"
    ok(
        client.post(
            f"{case}/refusals",
            json={"items": ["psychological"], "note": "declines counselling for now"},
            headers=worker.headers,
        ),
        201,
    )
    for path in ("", "/facts", "/events", "/duplicates", "/calculations"):
        ok(client.get(f"{case}{path}", headers=intake.headers))
    ok(client.get(f"{case}/calculations/{calculation['id']}/trace", headers=approvers[0].headers))
    ok(client.get(f"{API}/cases/{minor_id}", headers=intake.headers))
    ok(client.get(f"{API}/cases", headers=intake.headers))
    ok(client.get(f"{API}/deadlines", headers=intake.headers))
    person_id = ok(client.get(case, headers=intake.headers))["person_id"]
    record = ok(
        client.get(
            f"{API}/persons/{person_id}",
            params={"purpose": "decision_document"},
            headers=approvers[0].headers,
        )
    )
    assert record["full_name"] == SAMPLE_PERSON["full_name"]
    vault_read = seen.responses[-1]
    assert is_vault_read(vault_read) and str(SAMPLE_PERSON["full_name"]) in vault_read.text
    closed = ok(client.post(f"{case}/close", json={"reason": "went home"}, headers=worker.headers))
    assert closed["stage"] == "closed"
    ok(client.get(f"{case}/events", headers=intake.headers))
    check_nothing_leaked(captured, caplog, seen, allowed_vault_reads=1)
    check_database_outside_the_vault()


def test_errors_on_input_holding_personal_data_do_not_echo_it(
    client: TestClient,
    account: AccountFactory,
    caplog: pytest.LogCaptureFixture,
    captured: Capture,
    seen: Seen,
) -> None:
    intake = account("intake_officer")
    name = str(SAMPLE_PERSON["full_name"])

    def person(**change: object) -> dict[str, Any]:
        body = intake_body()
        body["person"] = {**SAMPLE_PERSON, **change}
        return body

    minor_invalid = intake_body()
    minor_invalid["accompanying"] = [
        {"person": dict(MINOR_PERSON), "facts": {**MINOR_FACTS, "birth_date": "1990-01-01"}}
    ]
    minor_person_invalid = intake_body()
    minor_person_invalid["accompanying"] = [
        {"person": {**MINOR_PERSON, "phone": [MINOR_PERSON["phone"]]}, "facts": MINOR_FACTS}
    ]
    shape, fact = "RequestValidationFailed", "InvalidInput"
    cases: list[tuple[dict[str, Any], str, str, str]] = [
        (person(full_name=name * 12), shape, "person.full_name", "string_too_long"),
        (person(full_name=[name]), shape, "person.full_name", "string_type"),
        (person(full_name={"given": name}), shape, "person.full_name", "string_type"),
        (
            person(id_number=str(SAMPLE_PERSON["id_number"]) * 5),
            shape,
            "person.id_number",
            "string_too_long",
        ),
        (
            person(address=123, note=SAMPLE_PERSON["address"]),
            shape,
            "person.address",
            "string_type",
        ),
        (
            person(nickname=SAMPLE_PERSON["health_notes"]),
            shape,
            "person.nickname",
            "extra_forbidden",
        ),
        (person(aliases=name), shape, "person.aliases", "list_type"),
        (
            person(health_notes=str(SAMPLE_PERSON["health_notes"]) * 300),
            shape,
            "person.health_notes",
            "string_too_long",
        ),
        (
            intake_body(stay={"from": "2025-10-05", "to": "2025-10-03"}),
            fact,
            "facts.stay.to",
            "not_before_stay_from",
        ),
        (intake_body(status=name), fact, "facts.status", "unknown_value"),
        (intake_body(sex=SAMPLE_PERSON["phone"]), fact, "facts.sex", "unknown_value"),
        (intake_body(province=SAMPLE_PERSON["address"]), fact, "facts.province", "unknown_value"),
        (minor_invalid, fact, "accompanying.0.facts.status", "under_18_required"),
        (minor_person_invalid, shape, "accompanying.0.person.phone", "string_type"),
        (person(full_name="   "), fact, "full_name", "required"),
    ]
    for body, error, where, rule in cases:
        response = client.post(f"{API}/cases", json=body, headers=intake.headers)
        assert response.status_code == 422, (where, response.text)
        assert response.json()["error"] == error, (where, response.text)
        assert (response.json()["field"], response.json()["rule"]) == (where, rule)
        assert not leaks(response.text), (where, response.text)
    truncated = f'{{"person": {{"full_name": "{name}", "address": "{SAMPLE_PERSON["address"]}"'
    response = client.post(
        f"{API}/cases",
        content=truncated.encode(),
        headers={**intake.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.json()["rule"] == "json_invalid"
    # a rejected request leaves no case behind, so nothing was stored either
    assert ok(client.get(f"{API}/cases", headers=intake.headers)) == []
    # a good intake afterwards, so that SQL with the (encrypted) values is in the logs too
    ok(client.post(f"{API}/cases", json=person(), headers=intake.headers), 201)
    check_nothing_leaked(captured, caplog, seen)
    check_database_outside_the_vault()
