"""What the referral tests share: a case brought through the API to an issued decision (and
referred, as the refer flow would), partners, consent and a referral."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from cases import automation
from cases.policy import today
from tests.api.conftest import Account, intake_body

API = "/api/v1"
CERTIFICATE = {"issuer": "Công an tỉnh Mẫu", "number": "15/GCN-CA", "date": "2025-10-20"}
#: every service a consent may cover
ALL_SERVICES = [
    "vocational_training",
    "employment_service",
    "vbsp_loan",
    "legal_aid",
    "psychological_support",
]


def issued_case(
    client: TestClient, intake: Account, approver: Account, *, refer: bool = True
) -> str:
    """An identified adult with a course cost, so that the decision grants every item a partner
    carries out; its decision issued and, unless `refer` is false, the case referred."""
    body = intake_body(vocational_course_cost_vnd=3_000_000)
    case_id = str(client.post(f"{API}/cases", json=body, headers=intake.headers).json()["id"])
    verified = client.post(
        f"{API}/cases/{case_id}/verification",
        json={
            "notified_on": "2025-10-02",
            "result": "documents_present",
            "certificate": CERTIFICATE,
        },
        headers=intake.headers,
    )
    assert verified.status_code == 200, verified.text
    calc = client.post(
        f"{API}/cases/{case_id}/calculations", json={"as_of": "2025-11-30"}, headers=intake.headers
    ).json()
    approved = client.post(
        f"{API}/cases/{case_id}/approvals",
        json={
            "calculation_id": calc["id"],
            "decision": "approve",
            "acknowledge_unconfirmed": True,
            "note": "checked",
        },
        headers=approver.headers,
    )
    assert approved.status_code == 201, approved.text
    issued = client.post(f"{API}/cases/{case_id}/decisions", headers=approver.headers)
    assert issued.status_code == 201, issued.text
    if refer:
        assert automation.refer(case_id) == "referred"
    return case_id


def add_partner(
    client: TestClient,
    admin: Account,
    slug: str,
    service: str,
    province: str | None = "sample",
) -> dict[str, Any]:
    """Register a partner organisation through the API."""
    body = {"slug": slug, "name": f"Đối tác {slug}", "service": service, "province": province}
    response = client.post(f"{API}/partners", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def give_consent(
    client: TestClient, staff: Account, case_id: str, services: list[str]
) -> dict[str, Any]:
    """Record the person's signed consent for `services`, given today."""
    response = client.post(
        f"{API}/cases/{case_id}/consents",
        json={"services": services, "given_on": today().isoformat(), "method": "signed_form"},
        headers=staff.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def refer(
    client: TestClient,
    staff: Account,
    case_id: str,
    partner: dict[str, Any],
    item_key: str,
    **extra: Any,
) -> dict[str, Any]:
    """Refer the case's item to `partner` (its service), expecting success."""
    body = {
        "service": partner["service"],
        "partner_id": partner["id"],
        "item_key": item_key,
        **extra,
    }
    response = client.post(f"{API}/cases/{case_id}/referrals", json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())
