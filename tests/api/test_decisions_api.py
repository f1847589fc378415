"""Decision documents through the API: issuing, numbering, replacement, copies, downloads."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cases.models import AuditLog, BenefitCalculation, Decision
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import SAMPLE_PERSON, Account, intake_body

CERTIFICATE = {"issuer": "Công an tỉnh Mẫu", "number": "15/GCN-CA", "date": "2025-10-20"}


def _approved_case(
    client: TestClient, intake: Account, approver: Account, as_of: str = "2025-11-30"
) -> tuple[str, str]:
    case_id = client.post("/api/v1/cases", json=intake_body(), headers=intake.headers).json()["id"]
    client.post(
        f"/api/v1/cases/{case_id}/verification",
        json={
            "notified_on": "2025-10-02",
            "result": "documents_present",
            "certificate": CERTIFICATE,
        },
        headers=intake.headers,
    )
    calc = client.post(
        f"/api/v1/cases/{case_id}/calculations", json={"as_of": as_of}, headers=intake.headers
    ).json()
    approved = client.post(
        f"/api/v1/cases/{case_id}/approvals",
        json={
            "calculation_id": calc["id"],
            "decision": "approve",
            "acknowledge_unconfirmed": True,
            "note": "checked",
        },
        headers=approver.headers,
    )
    assert approved.status_code == 201, approved.text
    return case_id, calc["id"]


def _text(body: bytes) -> str:
    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_issuing_numbers_decisions_per_issuer_and_year_without_gaps(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    first, _ = _approved_case(client, intake, approver)
    second, _ = _approved_case(client, intake, approver)
    one = client.post(f"/api/v1/cases/{first}/decisions", headers=approver.headers)
    two = client.post(f"/api/v1/cases/{second}/decisions", headers=approver.headers)
    assert one.status_code == 201 and two.status_code == 201, (one.text, two.text)
    numbers = [one.json()["number"].split("-")[1], two.json()["number"].split("-")[1]]
    assert numbers == ["01", "02"]
    assert one.json()["reference"] == "01/QĐ-SYT" and two.json()["reference"] == "02/QĐ-SYT"


def test_issuing_again_returns_the_stored_decision_and_takes_no_number(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id, _ = _approved_case(client, intake, approver)
    first = client.post(f"/api/v1/cases/{case_id}/decisions", headers=approver.headers).json()
    again = client.post(f"/api/v1/cases/{case_id}/decisions", headers=approver.headers).json()
    assert again == first
    other, _ = _approved_case(client, intake, approver)
    assert (
        client.post(f"/api/v1/cases/{other}/decisions", headers=approver.headers).json()[
            "reference"
        ]
        == "02/QĐ-SYT"
    )


def test_a_crash_while_issuing_stores_nothing_and_skips_no_number(
    client: TestClient, account: Callable[..., Account], monkeypatch: pytest.MonkeyPatch
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id, calc_id = _approved_case(client, intake, approver)
    import cases.decisions as decisions

    real = decisions.render_decision

    def crash(view: Any) -> bytes:
        raise RuntimeError("the process died while rendering")

    monkeypatch.setattr(decisions, "render_decision", crash)
    assert (
        client.post(f"/api/v1/cases/{case_id}/decisions", headers=approver.headers).status_code
        == 500
    )
    with UnitOfWork(write=False) as uow:
        assert uow.session.scalars(select(Decision)).all() == []
        assert uow.session.get(BenefitCalculation, calc_id).state == "approved"  # type: ignore[union-attr]
    monkeypatch.setattr(decisions, "render_decision", real)
    issued = client.post(f"/api/v1/cases/{case_id}/decisions", headers=approver.headers)
    assert issued.json()["reference"] == "01/QĐ-SYT"


def test_only_an_approved_calculation_is_issued_and_only_by_an_approver(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = client.post("/api/v1/cases", json=intake_body(), headers=intake.headers).json()["id"]
    refused = client.post(f"/api/v1/cases/{case_id}/decisions", headers=approver.headers)
    assert refused.status_code == 409 and refused.json()["error"] == "TransitionNotAllowed"
    approved_case, _ = _approved_case(client, intake, approver)
    by_intake = client.post(f"/api/v1/cases/{approved_case}/decisions", headers=intake.headers)
    assert by_intake.status_code == 403 and by_intake.json()["error"] == "RoleNotAllowed"
    elsewhere = account("approver", "nghe-an")
    outside = client.post(f"/api/v1/cases/{approved_case}/decisions", headers=elsewhere.headers)
    assert outside.status_code == 403 and outside.json()["error"] == "OutsideProvince"


def test_the_document_and_the_partner_copy(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id, _ = _approved_case(client, intake, approver)
    issued = client.post(f"/api/v1/cases/{case_id}/decisions", headers=approver.headers).json()
    official = client.get(
        f"/api/v1/cases/{case_id}/decisions/{issued['number']}.docx", headers=approver.headers
    )
    assert official.status_code == 200
    assert (
        official.headers["content-type"]
        == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    disposition = official.headers["content-disposition"]
    assert "QD-01-SYT" in disposition
    for secret in (SAMPLE_PERSON["full_name"], SAMPLE_PERSON["id_number"], "Mẫu Thử"):
        assert secret not in disposition
    assert hashlib.sha256(official.content).hexdigest() == issued["sha256"]
    text = _text(official.content)
    assert SAMPLE_PERSON["full_name"] in text and SAMPLE_PERSON["id_number"] in text
    assert "MẪU – không có giá trị pháp lý" in text  # computed from the sample schedule
    partner = client.get(
        f"/api/v1/cases/{case_id}/decisions/{issued['number']}.docx?copy=partner",
        headers=approver.headers,
    )
    partner_text = _text(partner.content)
    assert SAMPLE_PERSON["full_name"] in partner_text
    for secret in (
        SAMPLE_PERSON["id_number"],
        SAMPLE_PERSON["address"],
        SAMPLE_PERSON["health_notes"],
        SAMPLE_PERSON["phone"],
    ):
        assert str(secret) not in partner_text
    with UnitOfWork(write=False) as uow:
        downloads = uow.session.scalars(
            select(AuditLog).where(AuditLog.action == "decision.downloaded")
        ).all()
        assert [row.detail["copy"] for row in downloads] == ["official", "partner"]
        assert all(row.actor == approver.username for row in downloads)
    listed = client.get(f"/api/v1/cases/{case_id}/decisions", headers=intake.headers).json()
    assert listed == [issued]
    assert (
        client.get(
            f"/api/v1/cases/{case_id}/decisions/1999-07.docx", headers=approver.headers
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/cases/{case_id}/decisions/nonsense.docx", headers=approver.headers
        ).status_code
        == 404
    )


def test_reissuing_after_a_recomputation_names_the_decision_it_replaces(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id, first_calc = _approved_case(client, intake, approver)
    first = client.post(f"/api/v1/cases/{case_id}/decisions", headers=approver.headers).json()
    calc = client.post(
        f"/api/v1/cases/{case_id}/calculations",
        json={"as_of": "2025-12-15"},
        headers=intake.headers,
    ).json()
    client.post(
        f"/api/v1/cases/{case_id}/approvals",
        json={
            "calculation_id": calc["id"],
            "decision": "approve",
            "acknowledge_unconfirmed": True,
            "note": "recomputed",
        },
        headers=approver.headers,
    )
    second = client.post(f"/api/v1/cases/{case_id}/decisions", headers=approver.headers).json()
    assert second["replaces"] == first["number"]
    body = client.get(
        f"/api/v1/cases/{case_id}/decisions/{second['number']}.docx", headers=approver.headers
    ).content
    assert first["reference"] in _text(body)
    calcs = {
        c["id"]: c["state"]
        for c in client.get(f"/api/v1/cases/{case_id}/calculations", headers=intake.headers).json()
    }
    assert calcs[first_calc] == "replaced" and calcs[calc["id"]] == "issued"


def test_closing_a_case_cancels_its_running_clocks(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    case_id = client.post("/api/v1/cases", json=intake_body(), headers=intake.headers).json()["id"]
    client.post(
        f"/api/v1/cases/{case_id}/verification",
        json={"notified_on": "2025-10-02", "result": "needs_identification"},
        headers=intake.headers,
    )
    before = {
        d["kind"]: d["state"]
        for d in client.get(f"/api/v1/cases/{case_id}", headers=intake.headers).json()["deadlines"]
    }
    assert before["stay_limit"] in ("open", "warned", "breached")
    closed = client.post(
        f"/api/v1/cases/{case_id}/close",
        json={"reason": "left the shelter"},
        headers=intake.headers,
    )
    after = {d["kind"]: d["state"] for d in closed.json()["deadlines"]}
    assert after["initial_verification"] == before["initial_verification"]  # the record stays
    if before["stay_limit"] != "breached":
        assert after["stay_limit"] == "cancelled"
    running = client.get("/api/v1/deadlines?state=open", headers=intake.headers).json()
    assert all(d["case_id"] != case_id for d in running)
