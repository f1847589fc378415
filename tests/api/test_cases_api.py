"""The case routes through the HTTP API: intake, reads, verification, clocks, identification,
refusals, decisions on facts, closing, duplicates and deadlines, with every error they answer.

Every test runs on SQLite and on PostgreSQL (the `client` fixture's database). Errors are checked
for their one shape and for changing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from cases import accounts, service
from cases.settings import get_settings
from tests.api.conftest import SAMPLE_PERSON, Account, intake_body

API = "/api/v1"
CERTIFICATE = {"issuer": "Công an tỉnh Mẫu", "number": "CERT-4242/GCN", "date": "2025-10-05"}
MINOR_PERSON = {"full_name": "Trần Văn Nhỏ", "id_number": "001215000888"}
MINOR_FACTS = {
    "nationality": "vietnamese",
    "location": "in_vietnam",
    "birth_date": "2015-05-01",
    "sex": "male",
    "stay": {"from": "2025-10-01"},
}

AccountFactory = Callable[..., Account]


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts are made and logged in for every test: cheap argon2 parameters keep that fast
    (the hashing itself is tested with the accounts)."""
    monkeypatch.setattr(
        accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Set the service's "today" (clocks are due relative to it)."""

    def set_day(day: date) -> None:
        monkeypatch.setattr(service, "today", lambda: day)

    return set_day


@pytest.fixture
def intake(account: AccountFactory) -> Account:
    return account("intake_officer")


@pytest.fixture
def approver(account: AccountFactory) -> Account:
    return account("approver")


# --- helpers -------------------------------------------------------------------------------------


def assert_error(
    response: httpx.Response,
    status: int,
    error: str,
    field: str | None = None,
    rule: str | None = None,
) -> dict[str, Any]:
    """The one error shape, with the status, class name, field and rule expected."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail", "field", "rule"}, body
    assert body["error"] == error, body
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert body["field"] == field, body
    if rule is not None:
        assert body["rule"] == rule, body
    return dict(body)


def receive(
    client: TestClient,
    who: Account,
    body: dict[str, Any] | None = None,
    **facts: object,
) -> dict[str, Any]:
    """Receive a person; the 201 answer."""
    response = client.post(f"{API}/cases", json=body or intake_body(**facts), headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def with_minor(**facts: object) -> dict[str, Any]:
    body = intake_body(**facts)
    body["accompanying"] = [{"person": dict(MINOR_PERSON), "facts": dict(MINOR_FACTS)}]
    return body


def get_case(client: TestClient, who: Account, case_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/cases/{case_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def get_facts(client: TestClient, who: Account, case_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/cases/{case_id}/facts", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def event_kinds(client: TestClient, who: Account, case_id: str) -> list[str]:
    response = client.get(f"{API}/cases/{case_id}/events", headers=who.headers)
    assert response.status_code == 200, response.text
    return [e["kind"] for e in response.json()]


def all_case_ids(client: TestClient, who: Account) -> set[str]:
    response = client.get(f"{API}/cases", headers=who.headers)
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()}


def verify(
    client: TestClient,
    who: Account,
    case_id: str,
    result: str = "needs_identification",
    notified_on: str = "2025-10-02",
    certificate: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"notified_on": notified_on, "result": result}
    if certificate is not None:
        body["certificate"] = certificate
    response: httpx.Response = client.post(
        f"{API}/cases/{case_id}/verification", json=body, headers=who.headers
    )
    return response


def identify(
    client: TestClient, who: Account, case_id: str, result: str = "victim"
) -> httpx.Response:
    body: dict[str, Any] = {"result": result}
    if result == "victim":
        body["certificate"] = CERTIFICATE
    response: httpx.Response = client.post(
        f"{API}/cases/{case_id}/identification", json=body, headers=who.headers
    )
    return response


def deadline(case: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [d for d in case["deadlines"] if d["kind"] == kind]
    assert len(found) == 1, case["deadlines"]
    return dict(found[0])


def no_personal_data(text: str) -> None:
    for value in (*SAMPLE_PERSON.values(), *MINOR_PERSON.values()):
        for part in value if isinstance(value, list) else [str(value)]:
            assert str(part) not in text


# --- intake --------------------------------------------------------------------------------------


def test_intake_answers_201_with_ids_only(client: TestClient, intake: Account) -> None:
    response = client.post(f"{API}/cases", json=intake_body(), headers=intake.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "stage", "companions"}
    assert body["stage"] == "received" and body["companions"] == []
    no_personal_data(response.text)
    case = get_case(client, intake, body["id"])
    assert case["stage"] == "received"
    assert case["status"] == "undergoing_identification"
    assert case["province"] == "sample"
    assert case["birth_year_month"] == "1998-04"
    assert case["fact_version"] == 1 and case["open_duplicates"] == 0
    no_personal_data(client.get(f"{API}/cases/{body['id']}", headers=intake.headers).text)


def test_accompanying_minors_open_linked_cases(client: TestClient, intake: Account) -> None:
    created = receive(client, intake, with_minor())
    assert len(created["companions"]) == 1
    minor_id = created["companions"][0]
    main = get_case(client, intake, created["id"])
    minor = get_case(client, intake, minor_id)
    assert main["companions"] == [minor_id]
    assert minor["accompanies_case_id"] == created["id"]
    assert minor["status"] == "accompanying_minor" and minor["stage"] == "received"
    assert minor["person_id"] != main["person_id"]
    facts = get_facts(client, intake, minor_id)["facts"]
    assert facts["province"] == "sample" and facts["received_on"] == "2025-10-01"
    assert facts["accompanies_status"] == "undergoing_identification"
    assert all_case_ids(client, intake) == {created["id"], minor_id}


def test_an_idempotency_key_repeat_returns_the_first_case(
    client: TestClient, intake: Account
) -> None:
    headers = {**intake.headers, "Idempotency-Key": "intake-0001"}
    first = client.post(f"{API}/cases", json=intake_body(), headers=headers)
    again = client.post(f"{API}/cases", json=intake_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert all_case_ids(client, intake) == {first.json()["id"]}


def test_an_idempotency_key_reused_for_another_body_is_refused(
    client: TestClient, intake: Account
) -> None:
    headers = {**intake.headers, "Idempotency-Key": "intake-0002"}
    first = client.post(f"{API}/cases", json=intake_body(), headers=headers)
    assert first.status_code == 201
    other = client.post(f"{API}/cases", json=intake_body(sex="male"), headers=headers)
    assert_error(other, 422, "IdempotencyKeyReused", "Idempotency-Key", "idempotency_key_reused")
    assert all_case_ids(client, intake) == {first.json()["id"]}


def test_regime_override_and_extension_are_not_set_at_intake(
    client: TestClient, intake: Account
) -> None:
    for where, name, value in (
        ("facts", "regime_override", {"regime": "LAW_53_2024", "reason": "director's call"}),
        ("facts", "extension_days", 30),
        ("accompanying.0.facts", "extension_days", 30),
    ):
        body = with_minor()
        facts = body["facts"] if where == "facts" else body["accompanying"][0]["facts"]
        facts[name] = value
        response = client.post(f"{API}/cases", json=body, headers=intake.headers)
        assert_error(response, 422, "InvalidInput", f"{where}.{name}", "not_at_intake")
    assert all_case_ids(client, intake) == set()


def test_invalid_facts_name_the_field_and_the_rule(client: TestClient, intake: Account) -> None:
    for change, field, rule in (
        (
            {"stay": {"from": "2025-10-05", "to": "2025-10-03"}},
            "facts.stay.to",
            "not_before_stay_from",
        ),
        ({"birth_date": None}, "facts.birth_date", "required"),
        ({"birth_date": "10/04/1998"}, "facts.birth_date", "invalid_type"),
        ({"status": "trafficked"}, "facts.status", "unknown_value"),
        ({"stay_until": "2026-01-01"}, "facts.stay_until", "unknown_fact"),
        ({"province": "atlantis"}, "facts.province", "unknown_value"),
        ({"received_on": "2999-01-01"}, "facts.received_on", "not_after_as_of"),
        (
            {"minor": {"birth_date": "1990-01-01"}},
            "accompanying.0.facts.status",
            "under_18_required",
        ),
        ({"minor": {"status": "victim"}}, "accompanying.0.facts.status", "unknown_value"),
    ):
        body = with_minor()
        if "minor" in change:
            body["accompanying"][0]["facts"].update(change["minor"])
        else:
            body["facts"].update(change)
        response = client.post(f"{API}/cases", json=body, headers=intake.headers)
        assert_error(response, 422, "InvalidInput", field, rule)
        no_personal_data(response.text)
    assert all_case_ids(client, intake) == set()


def test_a_malformed_intake_body_names_the_field(client: TestClient, intake: Account) -> None:
    body = intake_body()
    del body["facility"]
    response = client.post(f"{API}/cases", json=body, headers=intake.headers)
    assert_error(response, 422, "RequestValidationFailed", "facility", "missing")
    body = intake_body()
    body["person"] = {**SAMPLE_PERSON, "shoe_size": 38}
    response = client.post(f"{API}/cases", json=body, headers=intake.headers)
    assert_error(response, 422, "RequestValidationFailed", "person.shoe_size", "extra_forbidden")
    response = client.post(
        f"{API}/cases",
        content=b"{not json",
        headers={**intake.headers, "Content-Type": "application/json"},
    )
    assert_error(response, 422, "RequestValidationFailed", rule="json_invalid")
    assert all_case_ids(client, intake) == set()


def test_intake_in_another_province_is_refused(
    client: TestClient, intake: Account, account: AccountFactory
) -> None:
    response = client.post(
        f"{API}/cases", json=intake_body(province="nghe-an"), headers=intake.headers
    )
    assert_error(response, 403, "OutsideProvince", "facts.province", "province_scope")
    national = account("auditor", None)
    assert all_case_ids(client, national) == set()


def test_an_approver_may_not_receive(client: TestClient, approver: Account) -> None:
    response = client.post(f"{API}/cases", json=intake_body(), headers=approver.headers)
    assert_error(response, 403, "RoleNotAllowed", "role", "role")
    assert all_case_ids(client, approver) == set()


def test_without_a_valid_token_every_case_route_answers_401(client: TestClient) -> None:
    some = "00000000-0000-0000-0000-000000000000"
    routes = [
        ("POST", "/cases", intake_body()),
        ("GET", "/cases", None),
        ("GET", f"/cases/{some}", None),
        ("GET", f"/cases/{some}/facts", None),
        ("GET", f"/cases/{some}/events", None),
        ("POST", f"/cases/{some}/verification", {"notified_on": "2025-10-02", "result": "x"}),
        ("POST", f"/cases/{some}/verification/pause", {"clock": "stay_limit", "reason": "r"}),
        ("POST", f"/cases/{some}/verification/resume", {"clock": "stay_limit", "reason": "r"}),
        ("POST", f"/cases/{some}/identification", {"result": "victim"}),
        ("POST", f"/cases/{some}/refusals", {"items": ["travel.fare"]}),
        ("POST", f"/cases/{some}/refusals/withdrawal", {"items": ["travel.fare"]}),
        ("POST", f"/cases/{some}/regime-override", {"regime": "LAW_53_2024", "reason": "r"}),
        ("POST", f"/cases/{some}/stay-extension", {}),
        ("POST", f"/cases/{some}/close", {"reason": "r"}),
        ("GET", f"/cases/{some}/duplicates", None),
        ("POST", f"/cases/{some}/duplicates/{some}", {"decision": "confirm"}),
        ("GET", "/deadlines", None),
        ("GET", f"/persons/{some}?purpose=follow_up", None),
    ]
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        for method, path, body in routes:
            response = client.request(method, f"{API}{path}", json=body, headers=headers)
            where = f"{method} {path} {headers}"
            assert response.status_code == 401, where
            assert response.headers.get("www-authenticate") == "Bearer", where
            assert_error(response, 401, "AuthenticationFailed", "authorization")


def test_a_body_over_the_size_limit_is_refused_with_413(
    client: TestClient, intake: Account
) -> None:
    limit = get_settings().max_body_bytes
    body = intake_body()
    body["facility"] = "x" * (limit + 1)
    response = client.post(f"{API}/cases", json=body, headers=intake.headers)
    assert_error(response, 413, "RequestTooLarge", rule="max_body_bytes")
    # the same body sent in chunks, without a Content-Length to refuse it up front
    payload = httpx.Request("POST", "http://x", json=body).content

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 65536):
            yield payload[start : start + 65536]

    response = client.post(
        f"{API}/cases",
        content=chunks(),
        headers={**intake.headers, "Content-Type": "application/json"},
    )
    assert_error(response, 413, "RequestTooLarge", rule="max_body_bytes")
    assert all_case_ids(client, intake) == set()


# --- reads ---------------------------------------------------------------------------------------


def test_the_case_list_is_scoped_to_the_province(
    client: TestClient, intake: Account, account: AccountFactory
) -> None:
    here = receive(client, intake)["id"]
    nghe_an = account("intake_officer", "nghe-an")
    there = receive(client, nghe_an, province="nghe-an")["id"]
    assert all_case_ids(client, intake) == {here}
    assert all_case_ids(client, nghe_an) == {there}
    assert all_case_ids(client, account("followup_worker", "ha-noi")) == set()
    assert all_case_ids(client, account("auditor", None)) == {here, there}
    assert verify(client, intake, here).status_code == 200

    def stage(name: str) -> set[str]:
        response = client.get(f"{API}/cases", params={"stage": name}, headers=intake.headers)
        assert response.status_code == 200, response.text
        return {c["id"] for c in response.json()}

    assert stage("awaiting_verification") == {here}
    assert stage("received") == set()
    bad = client.get(f"{API}/cases", params={"stage": "archived"}, headers=intake.headers)
    assert_error(bad, 422, "InvalidInput", "stage", "unknown_value")
    response = client.get(f"{API}/cases", params={"limit": 0}, headers=intake.headers)
    assert_error(response, 422, "RequestValidationFailed", "limit", "greater_than_equal")


def test_reading_a_case_unknown_or_of_another_province(
    client: TestClient, intake: Account, account: AccountFactory
) -> None:
    case_id = receive(client, intake)["id"]
    other = account("approver", "nghe-an")
    for path in ("", "/facts", "/events", "/duplicates"):
        unknown = client.get(f"{API}/cases/no-such-case{path}", headers=intake.headers)
        assert_error(unknown, 404, "NotFound", "case_id", "not_found")
        outside = client.get(f"{API}/cases/{case_id}{path}", headers=other.headers)
        assert_error(outside, 403, "OutsideProvince", "province", "province_scope")
    assert get_case(client, account("auditor", None), case_id)["id"] == case_id


def test_facts_and_events_of_a_new_case(client: TestClient, intake: Account) -> None:
    case_id = receive(client, intake)["id"]
    facts = client.get(f"{API}/cases/{case_id}/facts", headers=intake.headers)
    assert facts.status_code == 200
    body = facts.json()
    assert body["case_id"] == case_id and body["version"] == 1 and body["reason"] == "intake"
    assert body["facts"]["birth_date"] == "1998-04-10"
    assert body["facts"]["stay"] == {"from": "2025-10-01"}
    no_personal_data(facts.text)
    events = client.get(f"{API}/cases/{case_id}/events", headers=intake.headers)
    assert events.status_code == 200
    assert [(e["kind"], e["from_stage"], e["to_stage"]) for e in events.json()] == [
        ("received", None, "received")
    ]


# --- verification --------------------------------------------------------------------------------


def test_documents_present_go_straight_to_identified(
    client: TestClient, intake: Account, on_day: Callable[[date], None]
) -> None:
    on_day(date(2025, 10, 6))
    created = receive(client, intake, with_minor())
    response = verify(client, intake, created["id"], "documents_present", "2025-10-03", CERTIFICATE)
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["stage"] == "identified" and case["status"] == "victim"
    assert case["identified_on"] == "2025-10-05"
    assert case["certificate"] == {"issuer": CERTIFICATE["issuer"], "date": "2025-10-05"}
    assert deadline(case, "initial_verification")["state"] == "met"
    for read in (
        response,
        client.get(f"{API}/cases/{created['id']}", headers=intake.headers),
        client.get(f"{API}/cases/{created['id']}/events", headers=intake.headers),
        client.get(f"{API}/cases/{created['id']}/facts", headers=intake.headers),
        client.get(f"{API}/cases", headers=intake.headers),
    ):
        assert CERTIFICATE["number"] not in read.text
    assert get_facts(client, intake, created["id"])["facts"]["identified_on"] == "2025-10-05"
    minor_id = created["companions"][0]
    assert get_case(client, intake, minor_id)["stage"] == "identified"
    assert get_facts(client, intake, minor_id)["facts"]["identified_on"] == "2025-10-05"


def test_needs_identification_starts_the_clocks(
    client: TestClient, intake: Account, on_day: Callable[[date], None]
) -> None:
    for today, state in ((date(2025, 10, 6), "met"), (date(2025, 10, 7), "breached")):
        on_day(today)
        case_id = receive(client, intake)["id"]
        response = verify(client, intake, case_id, "needs_identification", "2025-10-02")
        assert response.status_code == 200, response.text
        case = response.json()
        assert case["stage"] == "awaiting_verification"
        # notified on Thursday 2 October: 3 days end on Sunday the 5th, rolled to Monday the 6th
        initial = deadline(case, "initial_verification")
        assert initial["due"] == "2025-10-06" and initial["state"] == state
        stay = deadline(case, "stay_limit")
        assert stay["state"] == "open" and stay["confirmed"] is True
        # day 1 is the day of arrival (1 October): day 120 is 28 January
        assert stay["due"] == (date(2025, 10, 1) + timedelta(days=119)).isoformat()
        assert stay["due"] == "2026-01-28" and stay["warn_on"] == "2026-01-18"
        assert event_kinds(client, intake, case_id) == ["received", "verification_recorded"]


def test_the_initial_verification_is_recorded_once(
    client: TestClient, intake: Account, on_day: Callable[[date], None]
) -> None:
    for first in ("met", "breached", "documents_present"):
        on_day(date(2025, 10, 6) if first != "breached" else date(2025, 10, 20))
        case_id = receive(client, intake)["id"]
        if first == "documents_present":
            done = verify(client, intake, case_id, "documents_present", "2025-10-03", CERTIFICATE)
        else:
            done = verify(client, intake, case_id)
        assert done.status_code == 200, done.text
        before = get_case(client, intake, case_id)
        for result, certificate in (
            ("needs_identification", None),
            ("documents_present", CERTIFICATE),
        ):
            again = verify(client, intake, case_id, result, "2025-10-03", certificate)
            assert_error(again, 409, "TransitionNotAllowed", "stage", "lifecycle")
        after = get_case(client, intake, case_id)
        assert after["deadlines"] == before["deadlines"], first
        assert after["stage"] == before["stage"], first


def test_verification_errors_change_nothing(
    client: TestClient, intake: Account, account: AccountFactory, on_day: Callable[[date], None]
) -> None:
    on_day(date(2025, 10, 6))
    case_id = receive(client, intake)["id"]
    missing = verify(client, intake, case_id, "documents_present", "2025-10-03")
    assert_error(missing, 422, "InvalidInput", "certificate", "required")
    future = verify(client, intake, case_id, notified_on="2025-10-07")
    assert_error(future, 422, "InvalidInput", "notified_on", "not_after_today")
    later_certificate = {**CERTIFICATE, "date": "2025-10-09"}
    dated = verify(client, intake, case_id, "documents_present", "2025-10-03", later_certificate)
    assert_error(dated, 422, "InvalidInput", "certificate.date", "not_after_today")
    bad = verify(client, intake, case_id, result="maybe")
    assert_error(bad, 422, "RequestValidationFailed", "result", "literal_error")
    other = verify(client, account("intake_officer", "nghe-an"), case_id)
    assert_error(other, 403, "OutsideProvince", "province", "province_scope")
    wrong_role = verify(client, account("approver"), case_id)
    assert_error(wrong_role, 403, "RoleNotAllowed", "role", "role")
    case = get_case(client, intake, case_id)
    assert case["stage"] == "received" and case["deadlines"] == []
    assert event_kinds(client, intake, case_id) == ["received"]


# --- clocks --------------------------------------------------------------------------------------


def test_a_paused_stay_clock_resumes_with_the_days_it_had_left(
    client: TestClient, intake: Account, approver: Account, on_day: Callable[[date], None]
) -> None:
    on_day(date(2025, 10, 10))
    case_id = receive(client, intake)["id"]
    assert verify(client, intake, case_id, notified_on="2025-10-09").status_code == 200
    due = date.fromisoformat(deadline(get_case(client, intake, case_id), "stay_limit")["due"])
    left = (due - date(2025, 10, 10)).days
    paused = client.post(
        f"{API}/cases/{case_id}/verification/pause",
        json={"clock": "stay_limit", "reason": "waiting on the border guard's reply"},
        headers=intake.headers,
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["state"] == "paused"
    assert paused.json()["pause_reason"] == "waiting on the border guard's reply"
    assert deadline(get_case(client, intake, case_id), "stay_limit")["state"] == "paused"
    again = client.post(
        f"{API}/cases/{case_id}/verification/pause",
        json={"clock": "stay_limit", "reason": "again"},
        headers=intake.headers,
    )
    assert_error(again, 409, "TransitionNotAllowed", "clock", "not_running")
    on_day(date(2025, 10, 24))
    resumed = client.post(
        f"{API}/cases/{case_id}/verification/resume",
        json={"clock": "stay_limit", "reason": "the reply came"},
        headers=approver.headers,
    )
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["state"] == "open"
    assert body["due"] == (date(2025, 10, 24) + timedelta(days=left)).isoformat()
    assert body["due"] == (due + timedelta(days=14)).isoformat()
    assert body["warn_on"] == (due + timedelta(days=4)).isoformat()
    kinds = event_kinds(client, intake, case_id)
    assert kinds[-2:] == ["clock_paused", "clock_resumed"]


def test_only_a_running_clock_pauses_and_only_a_paused_one_resumes(
    client: TestClient, intake: Account, account: AccountFactory, on_day: Callable[[date], None]
) -> None:
    on_day(date(2025, 10, 6))
    case_id = receive(client, intake)["id"]
    pause, resume = (f"{API}/cases/{case_id}/verification/{x}" for x in ("pause", "resume"))
    before_verification = client.post(
        pause, json={"clock": "stay_limit", "reason": "r"}, headers=intake.headers
    )
    assert_error(before_verification, 409, "TransitionNotAllowed", "clock", "not_running")
    assert verify(client, intake, case_id).status_code == 200
    for clock in ("initial_verification", "no_such_clock"):
        response = client.post(pause, json={"clock": clock, "reason": "r"}, headers=intake.headers)
        assert_error(response, 409, "TransitionNotAllowed", "clock", "not_running")
    not_paused = client.post(
        resume, json={"clock": "stay_limit", "reason": "r"}, headers=intake.headers
    )
    assert_error(not_paused, 409, "TransitionNotAllowed", "clock", "not_paused")
    no_reason = client.post(pause, json={"clock": "stay_limit"}, headers=intake.headers)
    assert_error(no_reason, 422, "RequestValidationFailed", "reason", "missing")
    worker = client.post(
        pause,
        json={"clock": "stay_limit", "reason": "r"},
        headers=account("followup_worker").headers,
    )
    assert_error(worker, 403, "RoleNotAllowed")
    outside = client.post(
        pause,
        json={"clock": "stay_limit", "reason": "r"},
        headers=account("approver", "nghe-an").headers,
    )
    assert_error(outside, 403, "OutsideProvince")


# --- identification ------------------------------------------------------------------------------


def test_a_victim_is_identified_with_the_companions(
    client: TestClient, intake: Account, on_day: Callable[[date], None]
) -> None:
    on_day(date(2025, 10, 20))
    created = receive(client, intake, with_minor())
    minor_id = created["companions"][0]
    assert verify(client, intake, created["id"]).status_code == 200
    assert get_case(client, intake, minor_id)["stage"] == "received"
    response = identify(client, intake, created["id"])
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["stage"] == "identified" and case["status"] == "victim"
    assert case["identified_on"] == "2025-10-05"
    assert case["certificate"] == {"issuer": CERTIFICATE["issuer"], "date": "2025-10-05"}
    assert CERTIFICATE["number"] not in response.text
    facts = get_facts(client, intake, created["id"])
    assert facts["facts"]["identified_on"] == "2025-10-05"
    assert facts["facts"]["status"] == "victim" and facts["version"] == 2
    minor = get_case(client, intake, minor_id)
    assert minor["stage"] == "identified" and minor["identified_on"] == "2025-10-05"
    minor_facts = get_facts(client, intake, minor_id)["facts"]
    assert minor_facts["identified_on"] == "2025-10-05"
    assert minor_facts["accompanies_status"] == "victim"
    assert event_kinds(client, intake, created["id"])[-1] == "identified"


def test_not_a_victim_ends_identification_for_the_companions_too(
    client: TestClient, intake: Account
) -> None:
    created = receive(client, intake, with_minor())
    assert verify(client, intake, created["id"]).status_code == 200
    response = identify(client, intake, created["id"], "not_victim")
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "not_identified"
    assert response.json()["certificate"] is None
    assert get_case(client, intake, created["companions"][0])["stage"] == "not_identified"
    again = identify(client, intake, created["id"])
    assert_error(again, 409, "TransitionNotAllowed", "stage", "lifecycle")


def test_identification_out_of_order_changes_nothing(
    client: TestClient, intake: Account, account: AccountFactory
) -> None:
    case_id = receive(client, intake)["id"]
    early = identify(client, intake, case_id)
    assert_error(early, 409, "TransitionNotAllowed", "stage", "lifecycle")
    case = get_case(client, intake, case_id)
    assert case["stage"] == "received" and case["identified_on"] is None
    assert get_facts(client, intake, case_id)["version"] == 1
    assert event_kinds(client, intake, case_id) == ["received"]
    assert verify(client, intake, case_id).status_code == 200
    no_certificate = client.post(
        f"{API}/cases/{case_id}/identification", json={"result": "victim"}, headers=intake.headers
    )
    assert_error(no_certificate, 422, "InvalidInput", "certificate", "required")
    outside = identify(client, account("intake_officer", "nghe-an"), case_id)
    assert_error(outside, 403, "OutsideProvince", "province", "province_scope")
    assert get_case(client, intake, case_id)["stage"] == "awaiting_verification"
    unknown = identify(client, intake, "no-such-case")
    assert_error(unknown, 404, "NotFound", "case_id")


# --- refusals ------------------------------------------------------------------------------------


def test_a_refusal_and_its_withdrawal_are_new_fact_versions(
    client: TestClient, intake: Account, account: AccountFactory
) -> None:
    case_id = receive(client, intake)["id"]
    refused = client.post(
        f"{API}/cases/{case_id}/refusals",
        json={"items": ["travel.fare", "psychological"], "note": "prefers to travel alone"},
        headers=account("followup_worker").headers,
    )
    assert refused.status_code == 201, refused.text
    body = refused.json()
    assert body["version"] == 2 and body["facts"]["refused"] == ["psychological", "travel.fare"]
    assert body["reason"].startswith("refusal")
    withdrawn = client.post(
        f"{API}/cases/{case_id}/refusals/withdrawal",
        json={"items": ["travel.fare"]},
        headers=intake.headers,
    )
    assert withdrawn.status_code == 201, withdrawn.text
    assert withdrawn.json()["version"] == 3
    assert withdrawn.json()["facts"]["refused"] == ["psychological"]
    assert get_facts(client, intake, case_id)["facts"]["refused"] == ["psychological"]


def test_refusal_errors_change_nothing(
    client: TestClient, intake: Account, account: AccountFactory
) -> None:
    case_id = receive(client, intake)["id"]
    refusals = f"{API}/cases/{case_id}/refusals"
    unknown = client.post(refusals, json={"items": ["free_car"]}, headers=intake.headers)
    assert_error(unknown, 422, "InvalidInput", "items.0", "unknown_value")
    second = client.post(
        refusals, json={"items": ["travel.fare", "free_car"]}, headers=intake.headers
    )
    assert_error(second, 422, "InvalidInput", "items.1", "unknown_value")
    empty = client.post(refusals, json={"items": []}, headers=intake.headers)
    assert_error(empty, 422, "RequestValidationFailed", "items", "too_short")
    not_refused = client.post(
        f"{refusals}/withdrawal", json={"items": ["travel.fare"]}, headers=intake.headers
    )
    assert_error(not_refused, 422, "InvalidInput", "items", "not_refused")
    auditor = client.post(
        refusals, json={"items": ["travel.fare"]}, headers=account("auditor").headers
    )
    assert_error(auditor, 403, "RoleNotAllowed")
    outside = client.post(
        refusals,
        json={"items": ["travel.fare"]},
        headers=account("followup_worker", "nghe-an").headers,
    )
    assert_error(outside, 403, "OutsideProvince")
    facts = get_facts(client, intake, case_id)
    assert facts["version"] == 1 and "travel.fare" not in facts["facts"].get("refused", [])


# --- decisions on facts --------------------------------------------------------------------------


def test_only_an_approver_overrides_the_regime(
    client: TestClient, intake: Account, approver: Account, account: AccountFactory
) -> None:
    case_id = receive(client, intake)["id"]
    path = f"{API}/cases/{case_id}/regime-override"
    body = {"regime": "LAW_53_2024", "reason": "the exploitation continued after 1 July 2025"}
    refused = client.post(path, json=body, headers=intake.headers)
    assert_error(refused, 403, "RoleNotAllowed", "role", "role")
    outside = client.post(path, json=body, headers=account("approver", "nghe-an").headers)
    assert_error(outside, 403, "OutsideProvince", "province", "province_scope")
    assert get_facts(client, intake, case_id)["version"] == 1
    unknown = client.post(path, json={**body, "regime": "LAW_1999"}, headers=approver.headers)
    assert_error(unknown, 422, "RequestValidationFailed", "regime", "literal_error")
    response = client.post(path, json=body, headers=approver.headers)
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2
    assert response.json()["facts"]["regime_override"] == body
    assert get_facts(client, intake, case_id)["facts"]["regime_override"] == body
    assert event_kinds(client, intake, case_id)[-1] == "override_regime"


def test_a_stay_extension_moves_the_stay_limit(
    client: TestClient,
    intake: Account,
    approver: Account,
    account: AccountFactory,
    on_day: Callable[[date], None],
) -> None:
    on_day(date(2025, 10, 6))
    case_id = receive(client, intake)["id"]
    assert verify(client, intake, case_id).status_code == 200
    before = deadline(get_case(client, intake, case_id), "stay_limit")
    path = f"{API}/cases/{case_id}/stay-extension"
    body = {
        "extension_days": 30,
        "decided_on": "2025-10-06",
        "decided_by": "the facility director",
        "reason": "treatment continues",
    }
    refused = client.post(path, json=body, headers=intake.headers)
    assert_error(refused, 403, "RoleNotAllowed", "role", "role")
    outside = client.post(path, json=body, headers=account("approver", "nghe-an").headers)
    assert_error(outside, 403, "OutsideProvince")
    negative = client.post(path, json={**body, "extension_days": -1}, headers=approver.headers)
    assert_error(negative, 422, "RequestValidationFailed", "extension_days")
    assert get_facts(client, intake, case_id)["version"] == 1
    response = client.post(path, json=body, headers=approver.headers)
    assert response.status_code == 201, response.text
    assert response.json()["facts"]["extension_days"] == 30
    after = deadline(get_case(client, intake, case_id), "stay_limit")
    due = date.fromisoformat(before["due"])
    assert after["due"] == (due + timedelta(days=30)).isoformat() == "2026-02-27"
    assert after["warn_on"] == (due + timedelta(days=20)).isoformat()
    assert after["state"] == "open"


def test_a_stay_extension_granted_while_the_clock_is_paused_counts_after_the_resume(
    client: TestClient, intake: Account, approver: Account, on_day: Callable[[date], None]
) -> None:
    on_day(date(2025, 10, 6))
    case_id = receive(client, intake)["id"]
    assert verify(client, intake, case_id).status_code == 200
    due = date.fromisoformat(deadline(get_case(client, intake, case_id), "stay_limit")["due"])
    clock = {"clock": "stay_limit", "reason": "waiting on the border guard's reply"}
    paused = client.post(
        f"{API}/cases/{case_id}/verification/pause", json=clock, headers=intake.headers
    )
    assert paused.status_code == 200, paused.text
    extended = client.post(
        f"{API}/cases/{case_id}/stay-extension",
        json={
            "extension_days": 30,
            "decided_on": "2025-10-06",
            "decided_by": "the facility director",
            "reason": "treatment continues",
        },
        headers=approver.headers,
    )
    assert extended.status_code == 201, extended.text
    assert deadline(get_case(client, intake, case_id), "stay_limit")["state"] == "paused"
    on_day(date(2025, 10, 16))
    resumed = client.post(
        f"{API}/cases/{case_id}/verification/resume", json=clock, headers=intake.headers
    )
    assert resumed.status_code == 200, resumed.text
    # 10 days paused and 30 days granted
    assert resumed.json()["due"] == (due + timedelta(days=40)).isoformat()


# --- closing -------------------------------------------------------------------------------------


def test_closing_closes_the_companions_and_ends_the_case(
    client: TestClient, intake: Account, approver: Account, account: AccountFactory
) -> None:
    created = receive(client, intake, with_minor())
    case_id, minor_id = created["id"], created["companions"][0]
    assert verify(client, intake, case_id).status_code == 200  # the stay clock runs
    close = f"{API}/cases/{case_id}/close"
    outside = client.post(
        close, json={"reason": "r"}, headers=account("intake_officer", "nghe-an").headers
    )
    assert_error(outside, 403, "OutsideProvince")
    auditor = client.post(close, json={"reason": "r"}, headers=account("auditor").headers)
    assert_error(auditor, 403, "RoleNotAllowed")
    response = client.post(close, json={"reason": "went home with family"}, headers=intake.headers)
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "closed"
    assert get_case(client, intake, minor_id)["stage"] == "closed"
    assert event_kinds(client, intake, minor_id)[-1] == "closed"
    again = client.post(close, json={"reason": "again"}, headers=intake.headers)
    assert_error(again, 409, "TransitionNotAllowed", "stage", "lifecycle")
    minor_again = client.post(
        f"{API}/cases/{minor_id}/close", json={"reason": "again"}, headers=intake.headers
    )
    assert_error(minor_again, 409, "TransitionNotAllowed", "stage", "lifecycle")
    acts = [
        (intake, "verification", {"notified_on": "2025-10-02", "result": "needs_identification"}),
        (intake, "identification", {"result": "not_victim"}),
        (intake, "refusals", {"items": ["travel.fare"]}),
        (approver, "regime-override", {"regime": "LAW_53_2024", "reason": "r"}),
        (
            approver,
            "stay-extension",
            {"extension_days": 3, "decided_on": "2025-10-06", "decided_by": "d", "reason": "r"},
        ),
        (intake, "calculations", {"as_of": "2025-10-20"}),
        (intake, "verification/pause", {"clock": "stay_limit", "reason": "r"}),
        (approver, "verification/resume", {"clock": "stay_limit", "reason": "r"}),
    ]
    for who, route, body in acts:
        acted = client.post(f"{API}/cases/{case_id}/{route}", json=body, headers=who.headers)
        assert_error(acted, 409, "TransitionNotAllowed", "stage")
    withdrawal = client.post(
        f"{API}/cases/{case_id}/refusals/withdrawal",
        json={"items": ["travel.fare"]},
        headers=intake.headers,
    )
    assert_error(withdrawal, 409, "TransitionNotAllowed", "stage")
    assert get_facts(client, intake, case_id)["version"] == 1
    assert event_kinds(client, intake, case_id) == ["received", "verification_recorded", "closed"]
    missing = client.post(close, json={}, headers=intake.headers)
    assert_error(missing, 422, "RequestValidationFailed", "reason", "missing")


# --- duplicates ----------------------------------------------------------------------------------


def _same_person(full_name: str, birth_date: str = "1998-04-10") -> dict[str, Any]:
    body = intake_body(birth_date=birth_date)
    body["person"] = {"full_name": full_name}
    return body


def test_a_second_intake_of_the_same_person_is_a_possible_duplicate(
    client: TestClient, intake: Account, approver: Account, account: AccountFactory
) -> None:
    first = receive(client, intake)["id"]
    unrelated = receive(client, intake, _same_person("Nguyễn Thị Mẫu Thử", "1999-04-10"))["id"]
    second = receive(client, intake, _same_person("  NGUYEN   thi mau  THU "))["id"]
    third = receive(client, intake, _same_person("nguyên thi MÂU thư"))["id"]
    assert get_case(client, intake, unrelated)["open_duplicates"] == 0

    def matches(case_id: str) -> list[tuple[str, str, str]]:
        response = client.get(f"{API}/cases/{case_id}/duplicates", headers=intake.headers)
        assert response.status_code == 200, response.text
        no_personal_data(response.text)
        return sorted((d["case_id"], d["other_case_id"], d["state"]) for d in response.json())

    assert matches(first) == [] and matches(unrelated) == []
    assert matches(second) == [(second, first, "open")]
    assert matches(third) == sorted([(third, first, "open"), (third, second, "open")])
    assert get_case(client, intake, second)["open_duplicates"] == 1

    def decide(case_id: str, other: str, decision: str, who: Account) -> httpx.Response:
        response: httpx.Response = client.post(
            f"{API}/cases/{case_id}/duplicates/{other}",
            json={"decision": decision},
            headers=who.headers,
        )
        return response

    confirmed = decide(second, first, "confirm", intake)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"case_id": second, "other_case_id": first, "state": "confirmed"}
    assert get_case(client, intake, second)["open_duplicates"] == 0
    dismissed = decide(third, first, "dismiss", approver)
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["state"] == "dismissed"
    assert matches(third) == sorted([(third, first, "dismissed"), (third, second, "open")])
    for decision in ("confirm", "dismiss"):
        twice = decide(second, first, decision, intake)
        assert_error(twice, 409, "TransitionNotAllowed", "state", "lifecycle")
    assert matches(second) == [(second, first, "confirmed")]
    assert_error(decide(first, third, "confirm", intake), 404, "NotFound", "other_case_id")
    assert_error(decide(first, "no-such-case", "confirm", intake), 404, "NotFound")
    assert_error(decide("no-such-case", first, "confirm", intake), 404, "NotFound", "case_id")
    assert_error(
        decide(third, second, "confirm", account("followup_worker")), 403, "RoleNotAllowed"
    )
    outside = decide(third, second, "confirm", account("approver", "nghe-an"))
    assert_error(outside, 403, "OutsideProvince")
    bad = decide(third, second, "merge", intake)
    assert_error(bad, 422, "RequestValidationFailed", "decision", "literal_error")
    assert (third, second, "open") in matches(third)
    assert event_kinds(client, intake, second)[-1] == "duplicate_confirmed"


# --- deadlines -----------------------------------------------------------------------------------


def test_the_deadline_list_is_scoped_and_filtered(
    client: TestClient, intake: Account, account: AccountFactory, on_day: Callable[[date], None]
) -> None:
    on_day(date(2025, 10, 10))
    met = receive(client, intake, received_on="2025-10-08", stay={"from": "2025-10-08"})["id"]
    late = receive(client, intake)["id"]
    assert verify(client, intake, met, notified_on="2025-10-08").status_code == 200
    assert verify(client, intake, late, notified_on="2025-10-02").status_code == 200
    nghe_an = account("intake_officer", "nghe-an")
    elsewhere = receive(client, nghe_an, province="nghe-an")["id"]
    assert verify(client, nghe_an, elsewhere, notified_on="2025-10-09").status_code == 200

    def listed(who: Account, **params: str) -> list[tuple[str, str, str]]:
        response = client.get(f"{API}/deadlines", params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        return sorted((d["case_id"], d["kind"], d["state"]) for d in response.json())

    everything = listed(intake)
    assert {case for case, _, _ in everything} == {met, late}
    assert len(everything) == 4
    assert listed(intake, state="breached") == [(late, "initial_verification", "breached")]
    assert listed(intake, state="met") == [(met, "initial_verification", "met")]
    assert listed(intake, state="open") == sorted(
        [(met, "stay_limit", "open"), (late, "stay_limit", "open")]
    )
    assert listed(intake, state="paused") == []
    assert {case for case, _, _ in listed(nghe_an)} == {elsewhere}
    assert {case for case, _, _ in listed(account("auditor", None))} == {met, late, elsewhere}
    soon = listed(intake, due_before="2025-10-09")
    assert soon == [(late, "initial_verification", "breached")]
    response = client.get(f"{API}/deadlines", headers=intake.headers)
    assert [d["due"] for d in response.json()] == sorted(d["due"] for d in response.json())
    bad = client.get(f"{API}/deadlines", params={"state": "late"}, headers=intake.headers)
    assert_error(bad, 422, "InvalidInput", "state", "unknown_value")
    bad_date = client.get(f"{API}/deadlines", params={"due_before": "soon"}, headers=intake.headers)
    assert_error(bad_date, 422, "RequestValidationFailed", "due_before")


def test_facts_recorded_wrongly_are_corrected_by_a_new_version(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = client.post(
        "/api/v1/cases",
        json=intake_body(travel={"fare_vnd": 10**12, "journey_days": 2}),
        headers=intake.headers,
    ).json()["id"]
    fixed = client.post(
        f"/api/v1/cases/{case_id}/facts",
        json={"facts": {"travel": {"fare_vnd": 350000, "journey_days": 2}}, "reason": "typo"},
        headers=intake.headers,
    )
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["version"] == 2
    assert fixed.json()["facts"]["travel"]["fare_vnd"] == 350000
    removed = client.post(
        f"/api/v1/cases/{case_id}/facts",
        json={"facts": {"travel": None}, "reason": "no journey home"},
        headers=intake.headers,
    )
    assert "travel" not in removed.json()["facts"]
    own = client.post(
        f"/api/v1/cases/{case_id}/facts",
        json={"facts": {"refused": ["psychological"]}, "reason": "x"},
        headers=intake.headers,
    )
    assert own.status_code == 422
    assert (own.json()["field"], own.json()["rule"]) == ("facts.refused", "own_decision")
    bad = client.post(
        f"/api/v1/cases/{case_id}/facts",
        json={"facts": {"stay": {"from": "2025-10-05", "to": "2025-10-01"}}, "reason": "x"},
        headers=intake.headers,
    )
    assert bad.status_code == 422
    assert (bad.json()["field"], bad.json()["rule"]) == ("facts.stay.to", "not_before_stay_from")
    assert (
        client.get(f"/api/v1/cases/{case_id}/facts", headers=intake.headers).json()["version"] == 3
    )
