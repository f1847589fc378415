"""Partner organisations and what their own accounts may do, through the API: an admin
registers partners; a partner reads exactly its service's packet fields of its own live
referrals (audited), never another partner's, nothing once revoked or expired; it reports back
in order. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cases.models import AuditLog, PartnerOrg, ReferralReport
from cases.policy import today
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import SAMPLE_PERSON, Account
from tests.api.referral_journey import API, add_partner, give_consent, issued_case, refer

AccountFactory = Callable[..., Account]


def _error(response: Any) -> tuple[int, str, str | None, str | None]:
    body = response.json()
    return response.status_code, body["error"], body["field"], body["rule"]


def test_an_admin_registers_partners_and_staff_see_those_serving_them(
    client: TestClient, account: AccountFactory
) -> None:
    admin = account("admin", None)
    body = {"slug": "vtc-sample", "name": "Trường nghề Mẫu", "service": "vocational_training"}
    body["province"] = "sample"
    key = {"Idempotency-Key": "partner-1"}
    made = client.post(f"{API}/partners", json=body, headers={**admin.headers, **key})
    assert made.status_code == 201, made.text
    assert (made.json()["slug"], made.json()["province"], made.json()["active"]) == (
        "vtc-sample",
        "sample",
        True,
    )
    again = client.post(f"{API}/partners", json=body, headers={**admin.headers, **key})
    assert again.json() == made.json()
    assert _error(client.post(f"{API}/partners", json=body, headers=admin.headers)) == (
        409,
        "Conflict",
        "slug",
        "unique",
    )
    unknown = client.post(
        f"{API}/partners",
        json={**body, "slug": "x-1", "province": "atlantis"},
        headers=admin.headers,
    )
    assert _error(unknown) == (422, "InvalidInput", "province", "unknown_value")
    bad_slug = client.post(
        f"{API}/partners", json={**body, "slug": "Trường"}, headers=admin.headers
    )
    assert bad_slug.status_code == 422 and bad_slug.json()["field"] == "slug"
    intake = account("intake_officer")
    refused = client.post(f"{API}/partners", json={**body, "slug": "x-2"}, headers=intake.headers)
    assert _error(refused)[:2] == (403, "RoleNotAllowed")
    add_partner(client, admin, "legal-national", "legal_aid", None)
    add_partner(client, admin, "legal-ha-noi", "legal_aid", "ha-noi")
    seen = client.get(f"{API}/partners", headers=intake.headers).json()
    assert [p["slug"] for p in seen] == ["legal-national", "vtc-sample"]
    legal = client.get(f"{API}/partners?service=legal_aid", headers=intake.headers).json()
    assert [p["slug"] for p in legal] == ["legal-national"]
    everywhere = client.get(f"{API}/partners", headers=account("approver", None).headers).json()
    assert len(everywhere) == 3


@pytest.fixture
def bank_referral(
    client: TestClient, account: AccountFactory, partner_account: Callable[..., Account]
) -> tuple[str, dict[str, Any], Account, Account]:
    """A referred case with a live referral to the bank: (case id, referral, staff, banker)."""
    intake, approver, admin = account("intake_officer"), account("approver"), account("admin", None)
    case_id = issued_case(client, intake, approver)
    give_consent(client, intake, case_id, ["vbsp_loan"])
    bank = add_partner(client, admin, "vbsp-sample", "vbsp_loan")
    referral = refer(client, intake, case_id, bank, "hardship.loan_referral")
    return case_id, referral, intake, partner_account("vbsp-sample")


def test_the_partner_reads_exactly_its_packet_and_the_read_is_audited(
    client: TestClient,
    account: AccountFactory,
    partner_account: Callable[..., Account],
    bank_referral: tuple[str, dict[str, Any], Account, Account],
) -> None:
    case_id, referral, _intake, banker = bank_referral
    response = client.get(f"{API}/referrals/{referral['id']}", headers=banker.headers)
    assert response.status_code == 200, response.text
    packet = response.json()
    assert packet["fields"] == {
        "full_name": SAMPLE_PERSON["full_name"],
        "phone": SAMPLE_PERSON["phone"],
        "id_number": SAMPLE_PERSON["id_number"],
        "address": SAMPLE_PERSON["address"],
        "sex": "female",
        "birth_year_month": "1998-04",
        "home_province": "sample",
    }
    assert packet["item"] == {
        "key": "hardship.loan_referral",
        "label": "Giới thiệu vay vốn tại Ngân hàng Chính sách xã hội",
        "amount_vnd": None,
        "status": "granted",
    }
    assert (packet["service"], packet["expires_on"]) == ("vbsp_loan", referral["expires_on"])
    for secret in (SAMPLE_PERSON["health_notes"], *SAMPLE_PERSON["aliases"], case_id):
        assert str(secret) not in response.text
    with UnitOfWork(write=False) as uow:
        reads = uow.session.scalars(
            select(AuditLog).where(AuditLog.action == "referral.packet_read")
        ).all()
        assert [(r.actor, r.purpose, r.detail["referral_id"]) for r in reads] == [
            (banker.username, "referral", referral["id"])
        ]
    # the partner's list holds its own referrals, without the case file
    listed = client.get(f"{API}/referrals", headers=banker.headers).json()
    assert [r["id"] for r in listed] == [referral["id"]] and "case_id" not in listed[0]
    # another partner learns nothing, not even that the referral exists
    admin = account("admin", None)
    add_partner(client, admin, "vbsp-national", "vbsp_loan", None)
    other = partner_account("vbsp-national")
    assert _error(client.get(f"{API}/referrals/{referral['id']}", headers=other.headers)) == (
        404,
        "NotFound",
        "referral_id",
        "not_found",
    )
    report = client.post(
        f"{API}/referrals/{referral['id']}/reports",
        json={"state": "accepted", "on": today().isoformat()},
        headers=other.headers,
    )
    assert report.status_code == 404
    assert client.get(f"{API}/referrals", headers=other.headers).json() == []
    # a partner taken off the register loses access at once
    with UnitOfWork() as uow:
        uow.session.execute(
            update(PartnerOrg).where(PartnerOrg.slug == "vbsp-sample").values(active=False)
        )
        uow.commit()
    for url in (f"{API}/referrals/{referral['id']}", f"{API}/referrals"):
        refused = client.get(url, headers=banker.headers)
        assert _error(refused) == (403, "Forbidden", "partner", "partner_inactive"), url


def test_an_expired_referral_can_no_longer_be_read_but_is_still_reported(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    bank_referral: tuple[str, dict[str, Any], Account, Account],
) -> None:
    _case_id, referral, _intake, banker = bank_referral
    url = f"{API}/referrals/{referral['id']}"
    assert client.get(url, headers=banker.headers).status_code == 200
    import cases.referrals

    expiry = today() + timedelta(days=90)
    assert referral["expires_on"] == expiry.isoformat()
    monkeypatch.setattr(cases.referrals, "today", lambda: expiry)
    assert client.get(url, headers=banker.headers).status_code == 200  # its last day
    monkeypatch.setattr(cases.referrals, "today", lambda: expiry + timedelta(days=1))
    assert _error(client.get(url, headers=banker.headers)) == (
        410,
        "ReferralClosed",
        "referral_id",
        "referral_expired",
    )
    late = client.post(
        f"{url}/reports",
        json={"state": "accepted", "on": today().isoformat()},
        headers=banker.headers,
    )
    assert late.status_code == 201, late.text  # how it went is still reported
    assert late.json()["state"] == "accepted"
    assert _error(client.get(url, headers=banker.headers))[3] == "referral_expired"
    assert client.get(f"{API}/referrals", headers=banker.headers).json()[0]["expired"] is True


def test_the_partner_reports_in_order_and_a_repeat_writes_nothing(
    client: TestClient,
    account: AccountFactory,
    bank_referral: tuple[str, dict[str, Any], Account, Account],
) -> None:
    case_id, referral, intake, banker = bank_referral
    url = f"{API}/referrals/{referral['id']}/reports"
    day = today()

    def post(state: str, on: Any = day, who: Account = banker) -> Any:
        return client.post(url, json={"state": state, "on": on.isoformat()}, headers=who.headers)

    assert _error(post("started")) == (409, "TransitionNotAllowed", "state", "lifecycle")
    assert _error(post("accepted", day + timedelta(days=1))) == (
        422,
        "InvalidInput",
        "on",
        "not_in_future",
    )
    assert _error(post("accepted", day - timedelta(days=1))) == (
        422,
        "InvalidInput",
        "on",
        "not_before_referral",
    )
    assert _error(post("accepted", who=intake))[:2] == (403, "RoleNotAllowed")
    accepted = post("accepted")
    assert accepted.status_code == 201 and accepted.json()["state"] == "accepted"
    assert post("accepted").json() == accepted.json()  # the same report again
    for state in ("started", "completed"):
        assert post(state).json()["state"] == state
    assert _error(post("dropped")) == (409, "TransitionNotAllowed", "state", "lifecycle")
    with UnitOfWork(write=False) as uow:
        stored = uow.session.scalars(
            select(ReferralReport.state).where(ReferralReport.referral_id == referral["id"])
        ).all()
    assert list(stored) == ["accepted", "started", "completed"]
    staff_view = client.get(f"{API}/cases/{case_id}/referrals", headers=intake.headers).json()
    assert [r["state"] for r in staff_view[0]["reports"]] == ["accepted", "started", "completed"]
    finished = client.get(f"{API}/referrals/{referral['id']}", headers=banker.headers)
    assert _error(finished) == (410, "ReferralClosed", "referral_id", "referral_finished")
    revoke = client.post(
        f"{API}/cases/{case_id}/referrals/{referral['id']}/revoke",
        json={"reason": "late"},
        headers=intake.headers,
    )
    assert _error(revoke) == (409, "TransitionNotAllowed", "state", "final")


def test_a_referral_dropped_at_once_is_final(
    client: TestClient, bank_referral: tuple[str, dict[str, Any], Account, Account]
) -> None:
    _case_id, referral, _intake, banker = bank_referral
    url = f"{API}/referrals/{referral['id']}/reports"
    on = today().isoformat()
    dropped = client.post(url, json={"state": "dropped", "on": on}, headers=banker.headers)
    assert dropped.json()["state"] == "dropped"
    again = client.post(url, json={"state": "accepted", "on": on}, headers=banker.headers)
    assert _error(again)[:2] == (409, "TransitionNotAllowed")
