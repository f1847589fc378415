"""Consent and referrals through the API, as staff use them: each rule of a referral is its own
error, nothing is shared without consent, withdrawing consent or revoking a referral ends the
partner's access, and the refer flow refers what it can on its own. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cases import automation
from cases.models import CaseEvent, PartnerOrg
from cases.policy import today
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import SAMPLE_PERSON, Account
from tests.api.referral_journey import (
    ALL_SERVICES,
    API,
    add_partner,
    give_consent,
    issued_case,
    refer,
)

AccountFactory = Callable[..., Account]


def _error(response: Any) -> tuple[int, str, str | None, str | None]:
    body = response.json()
    return response.status_code, body["error"], body["field"], body["rule"]


def _events(case_id: str, kind: str) -> list[dict[str, Any]]:
    """The details of the case's events of one kind."""
    with UnitOfWork(write=False) as uow:
        return list(
            uow.session.scalars(
                select(CaseEvent.detail).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
            )
        )


def test_consent_is_recorded_listed_and_never_in_advance(
    client: TestClient, account: AccountFactory
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    case_id = issued_case(client, intake, approver)
    url = f"{API}/cases/{case_id}/consents"
    given = {"services": ["legal_aid", "legal_aid", "vbsp_loan"], "method": "verbal_witnessed"}
    future = client.post(
        url,
        json={**given, "given_on": (today() + timedelta(days=1)).isoformat()},
        headers=intake.headers,
    )
    assert _error(future) == (422, "InvalidInput", "given_on", "not_in_future")
    unknown = client.post(
        url,
        json={**given, "services": ["astrology"], "given_on": "2025-11-01"},
        headers=intake.headers,
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "services.0"
    created = client.post(url, json={**given, "given_on": "2025-11-01"}, headers=intake.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["services"], body["given_on"], body["method"], body["withdrawn_on"]) == (
        ["legal_aid", "vbsp_loan"],
        "2025-11-01",
        "verbal_witnessed",
        None,
    )
    assert [c["id"] for c in client.get(url, headers=intake.headers).json()] == [body["id"]]
    auditor = account("auditor")
    assert (
        client.post(
            url, json={**given, "given_on": "2025-11-01"}, headers=auditor.headers
        ).status_code
        == 403
    )


def test_a_referral_without_consent_is_refused_and_stores_nothing(
    client: TestClient, account: AccountFactory
) -> None:
    intake, approver, admin = account("intake_officer"), account("approver"), account("admin", None)
    case_id = issued_case(client, intake, approver)
    bank = add_partner(client, admin, "vbsp-sample", "vbsp_loan")
    give_consent(client, intake, case_id, ["legal_aid"])  # covers another service only
    refused = client.post(
        f"{API}/cases/{case_id}/referrals",
        json={
            "service": "vbsp_loan",
            "partner_id": bank["id"],
            "item_key": "hardship.loan_referral",
        },
        headers=intake.headers,
    )
    assert _error(refused) == (422, "ConsentRequired", "consent", "consent_required")
    assert SAMPLE_PERSON["full_name"] not in refused.text
    assert client.get(f"{API}/cases/{case_id}/referrals", headers=intake.headers).json() == []


def test_each_rule_of_a_referral_is_its_own_error(
    client: TestClient, account: AccountFactory
) -> None:
    """One case through every rule: the stage, the item, the service, the partner, the expiry,
    a live duplicate; then the referral, and its Idempotency-Key repeat."""
    intake, approver, admin = account("intake_officer"), account("approver"), account("admin", None)
    case_id = issued_case(client, intake, approver, refer=False)
    centre = add_partner(client, admin, "vtc-sample", "vocational_training")
    legal = add_partner(client, admin, "legal-national", "legal_aid", None)
    elsewhere = add_partner(client, admin, "vtc-ha-noi", "vocational_training", "ha-noi")
    closed = add_partner(client, admin, "vtc-closed", "vocational_training")
    with UnitOfWork() as uow:
        uow.session.execute(
            update(PartnerOrg).where(PartnerOrg.id == closed["id"]).values(active=False)
        )
        uow.commit()
    url = f"{API}/cases/{case_id}/referrals"
    good = {
        "service": "vocational_training",
        "partner_id": centre["id"],
        "item_key": "vocational.training",
    }

    def post(**changes: Any) -> Any:
        return client.post(url, json={**good, **changes}, headers=intake.headers)

    assert _error(post()) == (409, "TransitionNotAllowed", "stage", "stage")  # not referred yet
    assert automation.refer(case_id) == "referred"  # no consent yet: it refers nothing
    give_consent(client, intake, case_id, ALL_SERVICES)
    day = today()
    cases = [
        (
            {"item_key": "education.tuition_exemption"},
            (422, "InvalidInput", "item_key", "not_granted"),
        ),
        ({"item_key": "essential_needs.food"}, (422, "InvalidInput", "service", "service_item")),
        ({"item_key": "no.such.item"}, (422, "InvalidInput", "item_key", "not_granted")),
        ({"item_key": "legal_aid"}, (422, "InvalidInput", "service", "service_item")),
        ({"partner_id": "0" * 36}, (422, "InvalidInput", "partner_id", "unknown_partner")),
        ({"partner_id": closed["id"]}, (422, "InvalidInput", "partner_id", "partner_inactive")),
        ({"partner_id": legal["id"]}, (422, "InvalidInput", "partner_id", "partner_service")),
        ({"partner_id": elsewhere["id"]}, (422, "InvalidInput", "partner_id", "partner_province")),
        ({"expires_on": day.isoformat()}, (422, "InvalidInput", "expires_on", "after_today")),
        (
            {"expires_on": (day + timedelta(days=366)).isoformat()},
            (422, "InvalidInput", "expires_on", "max_expiry_days"),
        ),
        ({"service": "tarot"}, (422, "RequestValidationFailed", "service", "literal_error")),
    ]
    for changes, expected in cases:
        assert _error(post(**changes)) == expected, changes
    assert client.get(url, headers=intake.headers).json() == []

    key = {"Idempotency-Key": "refer-vtc-1"}
    first = client.post(url, json=good, headers={**intake.headers, **key})
    assert first.status_code == 201, first.text
    again = client.post(url, json=good, headers={**intake.headers, **key})
    assert (again.status_code, again.json()) == (201, first.json())
    made = first.json()
    assert (made["state"], made["service"], made["item_key"], made["partner_slug"]) == (
        "sent",
        "vocational_training",
        "vocational.training",
        "vtc-sample",
    )
    assert made["expires_on"] == (day + timedelta(days=90)).isoformat()
    assert made["cites"] == ["L53-2024:37", "ND162-2025:24"]
    assert set(made["packet_fields"]) == {
        "full_name",
        "phone",
        "sex",
        "birth_year_month",
        "home_province",
    }
    assert _error(post()) == (409, "Conflict", "item_key", "live_referral")
    assert len(client.get(url, headers=intake.headers).json()) == 1
    assert len(_events(case_id, "referral_sent")) == 1
    # a partner of the person's home province may carry the item out too
    corrected = client.post(
        f"{API}/cases/{case_id}/facts",
        json={"facts": {"home_province": "ha-noi"}, "reason": "goes home to Ha Noi"},
        headers=intake.headers,
    )
    assert corrected.status_code == 201, corrected.text
    at_home = post(partner_id=elsewhere["id"])
    assert at_home.status_code == 201, at_home.text
    # a second, explicit expiry is honoured for the legal aid centre
    expires = (day + timedelta(days=30)).isoformat()
    second = refer(client, intake, case_id, legal, "legal_support", expires_on=expires)
    assert second["expires_on"] == expires


def test_revoking_ends_the_partners_access_and_a_retry_changes_nothing(
    client: TestClient, account: AccountFactory, partner_account: Callable[..., Account]
) -> None:
    intake, approver, admin = account("intake_officer"), account("approver"), account("admin", None)
    case_id = issued_case(client, intake, approver)
    give_consent(client, intake, case_id, ["psychological_support"])
    psy = add_partner(client, admin, "psy-sample", "psychological_support")
    referral = refer(client, intake, case_id, psy, "psychological")
    partner = partner_account("psy-sample")
    packet_url = f"{API}/referrals/{referral['id']}"
    assert client.get(packet_url, headers=partner.headers).status_code == 200
    revoke_url = f"{API}/cases/{case_id}/referrals/{referral['id']}/revoke"
    assert (
        client.post(
            revoke_url, json={"reason": "x"}, headers=account("auditor").headers
        ).status_code
        == 403
    )
    revoked = client.post(revoke_url, json={"reason": "moved away"}, headers=intake.headers)
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["state"], revoked.json()["revoked_reason"]) == ("revoked", "moved away")
    again = client.post(revoke_url, json={"reason": "moved away"}, headers=intake.headers)
    assert again.json() == revoked.json()
    assert len(_events(case_id, "referral_revoked")) == 1
    gone = client.get(packet_url, headers=partner.headers)
    assert _error(gone) == (410, "ReferralClosed", "referral_id", "referral_revoked")
    report = client.post(
        f"{packet_url}/reports",
        json={"state": "accepted", "on": today().isoformat()},
        headers=partner.headers,
    )
    assert _error(report)[0] == 410
    # once revoked, the item may be referred again
    assert refer(client, intake, case_id, psy, "psychological")["state"] == "sent"


def test_withdrawing_consent_revokes_the_referrals_resting_on_it(
    client: TestClient, account: AccountFactory, partner_account: Callable[..., Account]
) -> None:
    intake, approver, admin = account("intake_officer"), account("approver"), account("admin", None)
    case_id = issued_case(client, intake, approver)
    consent = give_consent(client, intake, case_id, ["legal_aid", "vbsp_loan"])
    legal = add_partner(client, admin, "legal-sample", "legal_aid")
    bank = add_partner(client, admin, "vbsp-sample", "vbsp_loan")
    aid = refer(client, intake, case_id, legal, "legal_aid")
    loan = refer(client, intake, case_id, bank, "hardship.loan_referral")
    lawyer = partner_account("legal-sample")
    url = f"{API}/cases/{case_id}/consents/{consent['id']}/withdraw"
    before_given = client.post(
        url, json={"reason": "r", "withdrawn_on": "2020-01-01"}, headers=intake.headers
    )
    assert _error(before_given) == (422, "InvalidInput", "withdrawn_on", "not_before_given_on")
    day = today().isoformat()
    withdrawn = client.post(
        url, json={"reason": "changed her mind", "withdrawn_on": day}, headers=intake.headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_on"] == day
    states = {
        r["id"]: r["state"]
        for r in client.get(f"{API}/cases/{case_id}/referrals", headers=intake.headers).json()
    }
    assert states == {aid["id"]: "revoked", loan["id"]: "revoked"}
    gone = client.get(f"{API}/referrals/{aid['id']}", headers=lawyer.headers)
    assert _error(gone) == (410, "ReferralClosed", "referral_id", "referral_revoked")
    retry = client.post(
        url, json={"reason": "changed her mind", "withdrawn_on": day}, headers=intake.headers
    )
    assert retry.json() == withdrawn.json()
    other_day = client.post(
        url, json={"reason": "r", "withdrawn_on": "2025-11-02"}, headers=intake.headers
    )
    assert _error(other_day) == (409, "Conflict", "withdrawn_on", "already_withdrawn")
    refused = client.post(
        f"{API}/cases/{case_id}/referrals",
        json={"service": "legal_aid", "partner_id": legal["id"], "item_key": "legal_aid"},
        headers=intake.headers,
    )
    assert _error(refused)[3] == "consent_required"


def test_staff_read_referrals_of_their_province_without_personal_data(
    client: TestClient, account: AccountFactory, partner_account: Callable[..., Account]
) -> None:
    intake, approver, admin = account("intake_officer"), account("approver"), account("admin", None)
    case_id = issued_case(client, intake, approver)
    give_consent(client, intake, case_id, ["vbsp_loan"])
    bank = add_partner(client, admin, "vbsp-national", "vbsp_loan", None)
    referral = refer(client, intake, case_id, bank, "hardship.loan_referral")
    worker = account("followup_worker")
    listed = client.get(f"{API}/referrals", headers=worker.headers)
    assert [r["id"] for r in listed.json()] == [referral["id"]]
    one = client.get(f"{API}/referrals/{referral['id']}", headers=worker.headers)
    assert (
        one.status_code == 200 and one.json()["case_id"] == case_id and "fields" not in one.json()
    )
    for response in (
        listed,
        one,
        client.get(f"{API}/cases/{case_id}/referrals", headers=worker.headers),
    ):
        assert all(str(value) not in response.text for value in SAMPLE_PERSON.values())
    assert (
        client.get(f"{API}/referrals", headers=account("followup_worker", "ha-noi").headers).json()
        == []
    )
    outside = client.get(
        f"{API}/referrals/{referral['id']}", headers=account("approver", "ha-noi").headers
    )
    assert _error(outside)[:2] == (403, "OutsideProvince")
    assert client.get(f"{API}/referrals", headers=account("auditor").headers).status_code == 403


STAFF_GETS = (
    "/cases",
    "/cases/{case_id}",
    "/cases/{case_id}/facts",
    "/cases/{case_id}/events",
    "/cases/{case_id}/calculations",
    "/cases/{case_id}/decisions",
    "/cases/{case_id}/duplicates",
    "/cases/{case_id}/consents",
    "/cases/{case_id}/referrals",
    "/deadlines",
    "/rates/sample",
    "/partners",
    "/audit/verify",
    "/campaigns/{case_id}",
    "/persons/{person_id}?purpose=referral",
)


def test_a_partner_is_refused_every_staff_route(
    client: TestClient, account: AccountFactory, partner_account: Callable[..., Account]
) -> None:
    intake, approver, admin = account("intake_officer"), account("approver"), account("admin", None)
    case_id = issued_case(client, intake, approver)
    person_id = client.get(f"{API}/cases/{case_id}", headers=intake.headers).json()["person_id"]
    add_partner(client, admin, "legal-sample", "legal_aid")
    partner = partner_account("legal-sample")
    for path in STAFF_GETS:
        url = API + path.format(case_id=case_id, person_id=person_id)
        response = client.get(url, headers=partner.headers)
        assert _error(response)[:2] == (403, "RoleNotAllowed"), path
    consent = client.post(
        f"{API}/cases/{case_id}/consents",
        json={"services": ["legal_aid"], "given_on": "2025-11-01", "method": "signed_form"},
        headers=partner.headers,
    )
    assert consent.status_code == 403


def test_the_refer_flow_refers_what_it_can_and_leaves_the_rest_to_staff(
    client: TestClient, account: AccountFactory
) -> None:
    intake, approver, admin = account("intake_officer"), account("approver"), account("admin", None)
    case_id = issued_case(client, intake, approver, refer=False)
    give_consent(
        client, intake, case_id, ["legal_aid", "psychological_support", "employment_service"]
    )
    legal = add_partner(client, admin, "legal-national", "legal_aid", None)
    add_partner(client, admin, "psy-one", "psychological_support")
    add_partner(client, admin, "psy-two", "psychological_support", None)
    add_partner(client, admin, "vtc-sample", "vocational_training")  # no consent for it
    add_partner(client, admin, "jobs-ha-noi", "employment_service", "ha-noi")  # not this province
    assert automation.refer(case_id) == "referred"
    made = client.get(f"{API}/cases/{case_id}/referrals", headers=intake.headers).json()
    assert sorted((r["item_key"], r["partner_id"], r["state"]) for r in made) == [
        ("legal_aid", legal["id"], "sent"),
        ("legal_support", legal["id"], "sent"),
    ]
    (pending,) = _events(case_id, "referral_pending")
    assert pending["why"] == {
        "psychological": "several_partners",
        "vocational.training": "no_consent",
        "vocational.job_counselling": "no_partner",
        "hardship.loan_referral": "no_consent",
    }
    assert automation.refer(case_id) == "referred"  # again: nothing more
    assert len(client.get(f"{API}/cases/{case_id}/referrals", headers=intake.headers).json()) == 2
    assert len(_events(case_id, "referral_pending")) == 1
