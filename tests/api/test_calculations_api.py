"""Support decisions through the API (design §2, §4): proposals, their trace, and the
maker-checker rules of approval. Every refusal names its own error and changes nothing.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.api.conftest import Account, intake_body, reset_caches

CASES = "/api/v1/cases"
ERROR_KEYS = {"error", "detail", "field", "rule"}
#: the sample province's identified case of `intake_body` on this day: 9,033,600 VND, of which
#: two lines (health insurance, initial allowance) rest on unconfirmed law
FULL_AS_OF = "2025-11-30"
#: the same case waiting for identification: 1,200,000 VND, nothing unconfirmed
WAITING_AS_OF = "2025-10-10"
CERTIFICATE = {"issuer": "Công an tỉnh", "number": "7/GCN", "date": "2025-10-20"}


def _error(response: Response, status: int, error: str, rule: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == error, body
    if rule is not None:
        assert body["rule"] == rule, body
    return body


def _case(client: TestClient, intake: Account, **facts: object) -> str:
    response = client.post(CASES, json=intake_body(**facts), headers=intake.headers)
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


def _verify(client: TestClient, intake: Account, case_id: str) -> None:
    response = client.post(
        f"{CASES}/{case_id}/verification",
        json={"notified_on": "2025-10-02", "result": "needs_identification"},
        headers=intake.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "awaiting_verification"


def _identify(client: TestClient, intake: Account, case_id: str) -> None:
    response = client.post(
        f"{CASES}/{case_id}/identification",
        json={"result": "victim", "certificate": CERTIFICATE},
        headers=intake.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "identified"


def _identified_case(client: TestClient, intake: Account, **facts: object) -> str:
    case_id = _case(client, intake, **facts)
    _verify(client, intake, case_id)
    _identify(client, intake, case_id)
    return case_id


def _propose(
    client: TestClient,
    who: Account,
    case_id: str,
    as_of: str | None = FULL_AS_OF,
    key: str | None = None,
) -> Response:
    headers = {**who.headers, **({"Idempotency-Key": key} if key else {})}
    body = {"as_of": as_of} if as_of else {}
    return client.post(f"{CASES}/{case_id}/calculations", json=body, headers=headers)


def _proposal(
    client: TestClient, who: Account, case_id: str, as_of: str = FULL_AS_OF
) -> dict[str, Any]:
    response = _propose(client, who, case_id, as_of)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _decide(
    client: TestClient,
    who: Account,
    case_id: str,
    calculation_id: str,
    decision: str = "approve",
    *,
    acknowledge: bool = True,
    note: str | None = "legal basis checked with the department",
    granted: list[str] | None = None,
    key: str | None = None,
) -> Response:
    body: dict[str, Any] = {
        "calculation_id": calculation_id,
        "decision": decision,
        "acknowledge_unconfirmed": acknowledge,
        "granted_discretionary": granted or [],
    }
    if note is not None:
        body["note"] = note
    headers = {**who.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(f"{CASES}/{case_id}/approvals", json=body, headers=headers)


def _get(client: TestClient, who: Account, case_id: str, calculation_id: str) -> dict[str, Any]:
    response = client.get(f"{CASES}/{case_id}/calculations/{calculation_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _unchanged(client: TestClient, who: Account, case_id: str, calc: dict[str, Any]) -> None:
    """The calculation is still a proposal without approvals, exactly as it was proposed."""
    now = _get(client, who, case_id, calc["id"])
    assert now["state"] == "proposed"
    assert now["approvals"] == 0
    assert now["approved_total_vnd"] is None
    assert now["granted_discretionary"] == []
    assert now == calc


@pytest.fixture
def low_threshold(configured: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """A second approver is needed above 5,000,000 VND: the sample full support (9,033,600)
    needs two, the waiting-period support (1,200,000) one."""
    monkeypatch.setenv("VONGTAY_SECOND_APPROVAL_THRESHOLD_VND", "5000000")
    reset_caches()
    return 5_000_000


@pytest.fixture
def threshold(configured: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Set the second-approval threshold for the rest of the test."""

    def set_threshold(vnd: int) -> None:
        monkeypatch.setenv("VONGTAY_SECOND_APPROVAL_THRESHOLD_VND", str(vnd))
        reset_caches()

    return set_threshold


# --- proposals ------------------------------------------------------------------------------------


def test_no_proposal_in_the_received_stage(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = _case(client, intake)
    body = _error(_propose(client, intake, case_id), 409, "TransitionNotAllowed", "lifecycle")
    assert body["field"] == "stage"
    listed = client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers)
    assert listed.json() == []
    assert client.get(f"{CASES}/{case_id}", headers=intake.headers).json()["stage"] == "received"


def test_a_proposal_while_awaiting_verification_is_the_waiting_support(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = _case(client, intake)
    _verify(client, intake, case_id)
    calc = _proposal(client, intake, case_id, WAITING_AS_OF)
    assert calc["kind"] == "waiting"
    assert calc["state"] == "proposed"
    assert calc["case_id"] == case_id
    assert calc["as_of"] == WAITING_AS_OF
    assert calc["regime"] == "LAW_53_2024"
    assert calc["total_vnd"] == 1_200_000
    assert (calc["approvals"], calc["approvals_required"]) == (0, 1)
    item = next(i for i in calc["items"] if i["key"] == "essential_needs.food")
    assert item["status"] == "granted"
    assert item["amount_vnd"] == 10 * 70_000
    assert item["cites"]


def test_a_proposal_once_identified_is_the_full_support(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    assert calc["kind"] == "full"
    assert calc["total_vnd"] == 9_033_600
    assert calc["total_vnd"] == sum(i["amount_vnd"] or 0 for i in calc["items"])
    flagged = {i["key"] for i in calc["items"] if i["needs_legal_check"]}
    assert (
        flagged
        == set(calc["needs_legal_check"])
        == {
            "medical.health_insurance",
            "hardship.initial_allowance",
        }
    )
    case = client.get(f"{CASES}/{case_id}", headers=intake.headers).json()
    assert case["regime"] == "LAW_53_2024"


def test_a_proposal_without_as_of_is_for_today(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = _identified_case(client, intake)
    response = _propose(client, intake, case_id, as_of=None)
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "full"


def test_a_new_proposal_supersedes_the_open_one(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _case(client, intake)
    _verify(client, intake, case_id)
    first = _proposal(client, intake, case_id, WAITING_AS_OF)
    _identify(client, intake, case_id)
    second = _proposal(client, intake, case_id)
    listed = client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers).json()
    assert [(c["id"], c["state"]) for c in listed] == [
        (first["id"], "superseded"),
        (second["id"], "proposed"),
    ]
    refused = _decide(client, approver, case_id, first["id"])
    _error(refused, 409, "TransitionNotAllowed", "lifecycle")


def test_a_proposal_for_a_future_date_is_422(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = _identified_case(client, intake)
    body = _error(_propose(client, intake, case_id, "2999-01-01"), 422, "InvalidInput")
    assert (body["field"], body["rule"]) == ("as_of", "not_after_today")
    assert client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers).json() == []


def test_amounts_beyond_what_the_database_holds_are_422_not_500(
    client: TestClient, account: Callable[..., Account]
) -> None:
    """Facts are integers without an upper bound; a fare of 10^19 VND once overflowed the
    64-bit amount columns (a 500). Found by the schemathesis run."""
    intake = account("intake_officer")
    travel = {"fare_vnd": 10**19, "date": "2025-11-01", "journey_days": 2}
    case_id = _identified_case(client, intake, travel=travel)
    response = _propose(client, intake, case_id)
    body = _error(response, 422, "InvalidInput", "amount_out_of_range")
    assert body["field"] == "facts"
    assert client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers).json() == []


@pytest.mark.parametrize(
    ("as_of", "field", "rule"),
    [
        # once a 500: the engine has no law for that day (found by the schemathesis run)
        ("2000-01-01", "as_of", "no_law_in_force"),
        ("2025-09-30", "facts.received_on", "not_after_as_of"),
    ],
    ids=["before-any-law", "before-intake"],
)
def test_a_proposal_for_a_day_before_the_case_is_422(
    client: TestClient, account: Callable[..., Account], as_of: str, field: str, rule: str
) -> None:
    intake = account("intake_officer")
    case_id = _identified_case(client, intake)
    body = _error(_propose(client, intake, case_id, as_of), 422, "InvalidInput", rule)
    assert body["field"] == field
    assert client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers).json() == []


def test_a_malformed_as_of_is_422_in_the_error_shape(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = _identified_case(client, intake)
    body = _error(_propose(client, intake, case_id, "30/11/2025"), 422, "RequestValidationFailed")
    assert body["field"] == "as_of"


def test_list_one_and_trace(client: TestClient, account: Callable[..., Account]) -> None:
    intake, auditor = account("intake_officer"), account("auditor", None)
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    listed = client.get(f"{CASES}/{case_id}/calculations", headers=auditor.headers)
    assert listed.status_code == 200
    assert listed.json() == [calc]
    assert _get(client, auditor, case_id, calc["id"]) == calc
    response = client.get(
        f"{CASES}/{case_id}/calculations/{calc['id']}/trace", headers=auditor.headers
    )
    assert response.status_code == 200, response.text
    trace = response.json()
    assert trace["calculation_id"] == calc["id"]
    assert "Law 53/2024" in trace["regime_reason"]
    assert [line["key"] for line in trace["trace"]] == [item["key"] for item in calc["items"]]
    food = next(line for line in trace["trace"] if line["key"] == "essential_needs.food")
    assert food["rule"]
    rate = next(u for u in food["used"] if u["name"] == "rate:sample:food_per_day_vnd")
    assert rate["value"] == 70_000
    assert rate["citation"]
    for line in trace["trace"]:
        assert line["rule"], line["key"]
        for used in line["used"]:
            assert used["citation"], (line["key"], used["name"])
    assert trace["parameter_versions"]


def test_unknown_calculations_are_404(client: TestClient, account: Callable[..., Account]) -> None:
    intake = account("intake_officer")
    case_id = _identified_case(client, intake)
    other_case = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    base = f"{CASES}/{case_id}/calculations"
    for path in (f"{base}/no-such-id", f"{base}/no-such-id/trace"):
        _error(client.get(path, headers=intake.headers), 404, "NotFound")
    # a calculation is found only under its own case
    misplaced = client.get(
        f"{CASES}/{other_case}/calculations/{calc['id']}", headers=intake.headers
    )
    _error(misplaced, 404, "NotFound")
    _error(
        client.get(f"{CASES}/no-such-case/calculations", headers=intake.headers), 404, "NotFound"
    )
    _error(_propose(client, intake, "no-such-case"), 404, "NotFound")
    approver = account("approver")
    _error(_decide(client, approver, case_id, "no-such-id"), 404, "NotFound")
    _error(_decide(client, approver, other_case, calc["id"]), 404, "NotFound")
    _unchanged(client, intake, case_id, calc)


def test_a_case_of_another_province_is_out_of_reach(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    stranger = account("intake_officer", "nghe-an")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    _error(_propose(client, stranger, case_id), 403, "OutsideProvince", "province_scope")
    listed = client.get(f"{CASES}/{case_id}/calculations", headers=stranger.headers)
    _error(listed, 403, "OutsideProvince")
    _unchanged(client, intake, case_id, calc)


# --- maker-checker --------------------------------------------------------------------------------


def test_approving_your_own_proposal_is_403_and_changes_nothing(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, approver, case_id)
    body = _error(_decide(client, approver, case_id, calc["id"]), 403, "SelfApproval")
    assert body["rule"] == "maker_checker"
    # returning your own proposal is a decision on it too
    _error(_decide(client, approver, case_id, calc["id"], "return"), 403, "SelfApproval")
    _unchanged(client, approver, case_id, calc)


def test_approving_outside_your_province_is_403_and_changes_nothing(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    elsewhere = account("approver", "nghe-an")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    body = _error(_decide(client, elsewhere, case_id, calc["id"]), 403, "OutsideProvince")
    assert body["rule"] == "province_scope"
    _unchanged(client, intake, case_id, calc)


@pytest.mark.parametrize("role", ["intake_officer", "followup_worker", "auditor", "admin"])
def test_only_approvers_decide(
    client: TestClient, account: Callable[..., Account], role: str
) -> None:
    intake = account("intake_officer")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    other = account(role)
    body = _error(_decide(client, other, case_id, calc["id"]), 403, "RoleNotAllowed")
    assert body["rule"] == "role"
    _unchanged(client, intake, case_id, calc)


def test_unconfirmed_law_needs_an_acknowledgement(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    assert calc["needs_legal_check"]
    silent = _decide(client, approver, case_id, calc["id"], acknowledge=False)
    body = _error(silent, 422, "LegalCheckNotAcknowledged", "acknowledge_unconfirmed")
    assert body["field"] == "acknowledge_unconfirmed"
    for key in calc["needs_legal_check"]:
        assert key in body["detail"]
    _unchanged(client, intake, case_id, calc)


@pytest.mark.parametrize("note", [None, "", "   "], ids=["none", "empty", "blank"])
def test_an_acknowledgement_needs_a_note(
    client: TestClient, account: Callable[..., Account], note: str | None
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    response = _decide(client, approver, case_id, calc["id"], note=note)
    body = _error(response, 422, "LegalCheckNotAcknowledged", "acknowledgement_note")
    assert body["field"] == "note"
    _unchanged(client, intake, case_id, calc)
    # the same approver may then approve properly: the refusal left no decision behind
    approved = _decide(client, approver, case_id, calc["id"], note="checked with the department")
    assert approved.status_code == 201, approved.text
    assert approved.json()["calculation_state"] == "approved"


def test_support_without_unconfirmed_law_is_approved_without_acknowledgement(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _case(client, intake)
    _verify(client, intake, case_id)
    calc = _proposal(client, intake, case_id, WAITING_AS_OF)
    assert calc["needs_legal_check"] == []
    response = _decide(client, approver, case_id, calc["id"], acknowledge=False, note=None)
    assert response.status_code == 201, response.text
    assert response.json()["approved_total_vnd"] == 1_200_000


def test_a_refused_approval_leaves_no_event_or_approval(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    elsewhere = account("approver", "nghe-an")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, approver, case_id)
    events = client.get(f"{CASES}/{case_id}/events", headers=intake.headers).json()
    assert _decide(client, approver, case_id, calc["id"]).status_code == 403
    assert _decide(client, elsewhere, case_id, calc["id"]).status_code == 403
    assert _decide(client, intake, case_id, calc["id"]).status_code == 403
    other = account("approver")
    assert _decide(client, other, case_id, calc["id"], acknowledge=False).status_code == 422
    assert _decide(client, other, case_id, calc["id"], note=None).status_code == 422
    assert client.get(f"{CASES}/{case_id}/events", headers=intake.headers).json() == events
    _unchanged(client, intake, case_id, calc)


def test_a_returned_proposal_is_superseded_by_the_next(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    returned = _decide(
        client, approver, case_id, calc["id"], "return", acknowledge=False, note="stay dates?"
    )
    assert returned.status_code == 201, returned.text
    body = returned.json()
    assert body["decision"] == "return"
    assert body["calculation_state"] == "returned"
    assert body["approved_total_vnd"] is None
    assert _get(client, intake, case_id, calc["id"])["state"] == "returned"
    # a returned proposal cannot be approved
    late = _decide(client, account("approver"), case_id, calc["id"])
    _error(late, 409, "TransitionNotAllowed", "lifecycle")
    again = _proposal(client, intake, case_id)
    states = {
        c["id"]: c["state"]
        for c in client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers).json()
    }
    assert states == {calc["id"]: "superseded", again["id"]: "proposed"}
    approved = _decide(client, approver, case_id, again["id"])
    assert approved.status_code == 201, approved.text
    assert approved.json()["calculation_state"] == "approved"


def test_approving_an_approved_calculation_is_409(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, first, second = account("intake_officer"), account("approver"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    approved = _decide(client, first, case_id, calc["id"])
    assert approved.status_code == 201, approved.text
    assert approved.json()["id"] != calc["id"]  # the approval's own id
    assert approved.json() == {
        "id": approved.json()["id"],
        "calculation_id": calc["id"],
        "decision": "approve",
        "calculation_state": "approved",
        "approvals": 1,
        "approvals_required": 1,
        "approved_total_vnd": calc["total_vnd"],
    }
    for who in (second, first):
        _error(_decide(client, who, case_id, calc["id"]), 409, "TransitionNotAllowed", "lifecycle")
    _error(_decide(client, second, case_id, calc["id"], "return"), 409, "TransitionNotAllowed")
    after = _get(client, intake, case_id, calc["id"])
    assert (after["state"], after["approvals"]) == ("approved", 1)
    assert after["approved_total_vnd"] == calc["total_vnd"]


# --- the second approver --------------------------------------------------------------------------


def test_over_the_threshold_a_second_approver_is_needed(
    low_threshold: int, client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    first, second = account("approver"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    assert calc["total_vnd"] > low_threshold
    assert (calc["approvals"], calc["approvals_required"]) == (0, 2)
    one = _decide(client, first, case_id, calc["id"])
    assert one.status_code == 201, one.text
    assert one.json()["calculation_state"] == "proposed"
    assert (one.json()["approvals"], one.json()["approvals_required"]) == (1, 2)
    assert one.json()["approved_total_vnd"] is None
    assert one.json()["id"] != calc["id"]
    # the same approver twice is not two approvers
    twice = _decide(client, first, case_id, calc["id"], note="again")
    _error(twice, 409, "Conflict", "one_decision_per_approver")
    halfway = _get(client, intake, case_id, calc["id"])
    assert (halfway["state"], halfway["approvals"]) == ("proposed", 1)
    two = _decide(client, second, case_id, calc["id"])
    assert two.status_code == 201, two.text
    assert two.json()["id"] not in (calc["id"], one.json()["id"])  # one id per approval
    assert two.json()["calculation_state"] == "approved"
    assert (two.json()["approvals"], two.json()["approvals_required"]) == (2, 2)
    assert two.json()["approved_total_vnd"] == calc["total_vnd"]
    final = _get(client, intake, case_id, calc["id"])
    assert (final["state"], final["approvals"]) == ("approved", 2)


def test_the_proposer_cannot_be_the_second_approver(
    low_threshold: int, client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    proposer, first = account("approver"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, proposer, case_id)
    assert _decide(client, first, case_id, calc["id"]).status_code == 201
    _error(_decide(client, proposer, case_id, calc["id"]), 403, "SelfApproval")
    assert _get(client, intake, case_id, calc["id"])["state"] == "proposed"


def test_under_the_threshold_one_approver_is_enough(
    low_threshold: int, client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _case(client, intake)
    _verify(client, intake, case_id)
    calc = _proposal(client, intake, case_id, WAITING_AS_OF)
    assert calc["total_vnd"] <= low_threshold
    assert calc["approvals_required"] == 1
    response = _decide(client, approver, case_id, calc["id"])
    assert response.json()["calculation_state"] == "approved"


def test_a_second_approver_may_return_what_the_first_approved(
    low_threshold: int, client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    first, second = account("approver"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    assert _decide(client, first, case_id, calc["id"]).status_code == 201
    returned = _decide(client, second, case_id, calc["id"], "return", note="amount too high?")
    assert returned.status_code == 201, returned.text
    assert returned.json()["calculation_state"] == "returned"
    assert returned.json()["approved_total_vnd"] is None


# --- discretionary lines --------------------------------------------------------------------------


def _foreign_case(client: TestClient, intake: Account) -> tuple[str, dict[str, Any]]:
    case_id = _identified_case(client, intake, nationality="foreign")
    calc = _proposal(client, intake, case_id)
    return case_id, calc


def test_a_foreign_victim_gets_discretionary_lines(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    _case_id, calc = _foreign_case(client, intake)
    discretionary = {i["key"] for i in calc["items"] if i["status"] == "discretionary"}
    assert {"essential_needs.food", "essential_needs.personal_items"} <= discretionary
    assert calc["total_vnd"] == 0  # nothing is paid until an approver grants it


def test_a_granted_discretionary_line_is_paid_and_the_others_are_not(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id, calc = _foreign_case(client, intake)
    amounts = {i["key"]: i["amount_vnd"] for i in calc["items"]}
    response = _decide(client, approver, case_id, calc["id"], granted=["essential_needs.food"])
    assert response.status_code == 201, response.text
    assert response.json()["calculation_state"] == "approved"
    assert response.json()["approved_total_vnd"] == amounts["essential_needs.food"] == 4_270_000
    after = _get(client, intake, case_id, calc["id"])
    assert after["granted_discretionary"] == ["essential_needs.food"]
    assert after["approved_total_vnd"] == 4_270_000


def test_nothing_granted_pays_nothing(client: TestClient, account: Callable[..., Account]) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id, calc = _foreign_case(client, intake)
    response = _decide(client, approver, case_id, calc["id"])
    assert response.status_code == 201, response.text
    assert response.json()["approved_total_vnd"] == 0


def test_two_approvers_pay_only_what_both_granted(
    threshold: Callable[[int], None], client: TestClient, account: Callable[..., Account]
) -> None:
    threshold(1_000_000)
    intake = account("intake_officer")
    first, second = account("approver"), account("approver")
    case_id, calc = _foreign_case(client, intake)
    # nothing is payable yet, but what could be granted (4,770,000) is over the threshold
    assert calc["approvals_required"] == 2
    both = ["essential_needs.food", "essential_needs.personal_items"]
    one = _decide(client, first, case_id, calc["id"], granted=both)
    assert one.json()["calculation_state"] == "proposed"
    two = _decide(client, second, case_id, calc["id"], granted=["essential_needs.food"])
    assert two.status_code == 201, two.text
    assert two.json()["calculation_state"] == "approved"
    assert two.json()["approved_total_vnd"] == 4_270_000
    assert _get(client, intake, case_id, calc["id"])["granted_discretionary"] == [
        "essential_needs.food"
    ]


def test_granting_a_line_that_is_not_discretionary_is_422(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    for key in ("essential_needs.food", "no.such.item"):
        response = _decide(client, approver, case_id, calc["id"], granted=[key])
        body = _error(response, 422, "InvalidInput", "not_discretionary")
        assert body["field"] == "granted_discretionary"
    _unchanged(client, intake, case_id, calc)


# --- idempotency ----------------------------------------------------------------------------------


def test_a_repeated_proposal_with_its_key_returns_the_first_answer(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = _identified_case(client, intake)
    first = _propose(client, intake, case_id, key="propose-1")
    again = _propose(client, intake, case_id, key="propose-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    listed = client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers).json()
    assert [c["id"] for c in listed] == [first.json()["id"]]
    assert listed[0]["state"] == "proposed"
    # the same key for a different request is refused, and changes nothing
    other = _propose(client, intake, case_id, as_of="2025-11-29", key="propose-1")
    _error(other, 422, "IdempotencyKeyReused", "idempotency_key_reused")
    assert len(client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers).json()) == 1
    # a new key is a new proposal
    assert _propose(client, intake, case_id, key="propose-2").json()["id"] != first.json()["id"]


def test_a_repeated_approval_with_its_key_returns_the_first_answer(
    low_threshold: int, client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _identified_case(client, intake)
    calc = _proposal(client, intake, case_id)
    first = _decide(client, approver, case_id, calc["id"], key="approve-1")
    again = _decide(client, approver, case_id, calc["id"], key="approve-1")
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert (first.json()["approvals"], first.json()["calculation_state"]) == (1, "proposed")
    assert _get(client, intake, case_id, calc["id"])["approvals"] == 1
    # without the key, the repeat is a second decision by the same approver
    _error(_decide(client, approver, case_id, calc["id"]), 409, "Conflict")


def test_keys_belong_to_their_account(client: TestClient, account: Callable[..., Account]) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = _identified_case(client, intake)
    mine = _propose(client, intake, case_id, key="shared-key")
    theirs = _propose(client, approver, case_id, key="shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_an_idempotency_key_over_128_characters_is_422(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = _identified_case(client, intake)
    response = _propose(client, intake, case_id, key="k" * 129)
    body = _error(response, 422, "RequestValidationFailed")
    assert body["field"] == "Idempotency-Key"
    assert client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers).json() == []
