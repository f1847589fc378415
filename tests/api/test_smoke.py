"""The journey of design §4 through the HTTP API, end to end, on both databases."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api.conftest import Account, intake_body


def test_the_journey_from_intake_to_an_approved_decision(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    created = client.post("/api/v1/cases", json=intake_body(), headers=intake.headers)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    verified = client.post(
        f"/api/v1/cases/{case_id}/verification",
        json={"notified_on": "2025-10-02", "result": "needs_identification"},
        headers=intake.headers,
    )
    assert verified.json()["stage"] == "awaiting_verification"
    identified = client.post(
        f"/api/v1/cases/{case_id}/identification",
        json={
            "result": "victim",
            "certificate": {"issuer": "Công an tỉnh", "number": "7/GCN", "date": "2025-10-20"},
        },
        headers=intake.headers,
    )
    assert identified.json()["stage"] == "identified"
    calc = client.post(
        f"/api/v1/cases/{case_id}/calculations",
        json={"as_of": "2025-11-30"},
        headers=intake.headers,
    )
    assert calc.status_code == 201, calc.text
    body = calc.json()
    assert body["regime"] == "LAW_53_2024" and body["total_vnd"] > 0
    decided = client.post(
        f"/api/v1/cases/{case_id}/approvals",
        json={
            "calculation_id": body["id"],
            "decision": "approve",
            "acknowledge_unconfirmed": True,
            "note": "checked",
        },
        headers=approver.headers,
    )
    assert decided.status_code == 201, decided.text
    assert decided.json()["calculation_state"] == "approved"
    assert decided.json()["approved_total_vnd"] == body["total_vnd"]
