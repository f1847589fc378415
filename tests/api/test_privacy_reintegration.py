"""No personal data outside the vault in the last stages either: consent, referrals, the
partners' reports, the return home, follow-up checks and tasks, statistics and exports.

The whole reintegration journey runs through the API with every log record, URL, header and
response captured. Only two kinds of answer may hold personal data, and only what they must:
the partner's packet (what its service needs: never the health notes or the aliases) and the
export an approver asks for with a purpose (never the health notes). Every other answer, the
de-identified CSV and XLSX exports included, and every table row outside `person`, holds none.

Runs on SQLite and PostgreSQL (the `client` fixture's database).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cases.models import AuditLog
from cases.policy import today
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import SAMPLE_PERSON, Account
from tests.api.referral_journey import ALL_SERVICES, add_partner, give_consent, issued_case
from tests.api.test_privacy import (  # noqa: F401  (fixtures, used by name)
    Capture,
    Seen,
    captured,
    check_database_outside_the_vault,
    fast_passwords,
    leaks,
    seen,
)

API = "/api/v1"
AccountFactory = Callable[..., Account]


def ok(response: httpx.Response, status: int = 200) -> httpx.Response:
    assert response.status_code == status, response.text
    return response


def xlsx_text(body: bytes) -> str:
    """Every cell of every sheet of an XLSX file, as one text."""
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return "\n".join(
        " ".join("" if value is None else str(value) for value in row)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def test_the_reintegration_journey_shows_personal_data_only_where_it_must(
    client: TestClient,
    account: AccountFactory,
    partner_account: Callable[..., Account],
    caplog: pytest.LogCaptureFixture,
    captured: Capture,  # noqa: F811
    seen: Seen,  # noqa: F811
) -> None:
    intake, approver = account("intake_officer"), account("approver")
    worker, admin = account("followup_worker"), account("admin", None)
    case_id = issued_case(client, intake, approver, refer=False)
    case = f"{API}/cases/{case_id}"
    for service in ALL_SERVICES:
        add_partner(client, admin, f"p-{service.replace('_', '-')}", service)
    give_consent(client, intake, case_id, ALL_SERVICES)
    from cases import automation

    assert automation.refer(case_id) == "referred"  # the refer flow refers every consented item
    referrals = ok(client.get(f"{case}/referrals", headers=intake.headers)).json()
    assert {r["service"] for r in referrals} >= {"vbsp_loan", "vocational_training"}
    ok(client.get(f"{case}/consents", headers=intake.headers))
    ok(client.get(f"{API}/referrals", headers=intake.headers))

    packets: list[httpx.Response] = []
    for referral in referrals:
        partner = partner_account(f"p-{referral['service'].replace('_', '-')}")
        ok(client.get(f"{API}/referrals", headers=partner.headers))
        packet = ok(client.get(f"{API}/referrals/{referral['id']}", headers=partner.headers))
        packets.append(packet)
        assert packet.json()["fields"]["full_name"] == SAMPLE_PERSON["full_name"]
        ok(
            client.post(
                f"{API}/referrals/{referral['id']}/reports",
                json={"state": "accepted", "on": today().isoformat()},
                headers=partner.headers,
            ),
            201,
        )
        ok(client.get(f"{API}/referrals/{referral['id']}", headers=intake.headers))
    loan = next(p for p in packets if p.json()["service"] == "vbsp_loan")
    assert loan.json()["fields"]["id_number"] == SAMPLE_PERSON["id_number"]

    returned = (today() - timedelta(days=40)).isoformat()
    ok(
        client.post(f"{case}/return-home", json={"returned_on": returned}, headers=worker.headers),
        201,
    )
    first = ok(client.get(f"{case}/follow-ups", headers=worker.headers)).json()["checks"][0]
    ok(
        client.post(
            f"{case}/follow-ups/{first['id']}/outcome",
            json={"outcome": "at_risk", "checked_on": today().isoformat(), "note": "no job yet"},
            headers=worker.headers,
        ),
        200,
    )
    due_before = (today() + timedelta(days=400)).isoformat()
    ok(client.get(f"{API}/follow-ups", params={"due_before": due_before}, headers=worker.headers))
    ok(client.get(f"{API}/tasks", headers=worker.headers))

    year = {"year": 2025, "province": "sample"}
    ok(client.get(f"{API}/stats", params=year, headers=approver.headers))
    plain = {
        fmt: ok(
            client.get(
                f"{API}/exports/htcds", params={**year, "format": fmt}, headers=approver.headers
            )
        )
        for fmt in ("json", "csv", "xlsx")
    }
    assert not leaks(xlsx_text(plain["xlsx"].content))
    named = ok(
        client.get(
            f"{API}/exports/htcds",
            params={
                **year,
                "format": "json",
                "personal_data": "true",
                "purpose": "audit_investigation",
            },
            headers=approver.headers,
        )
    )
    assert str(SAMPLE_PERSON["full_name"]) in named.text

    # the packets and the purposed export hold personal data, but never the health notes
    allowed = {id(response) for response in [*packets, named]}
    for response in [*packets, named]:
        shown = leaks(response.text)
        assert not [label for label in shown if "health_notes" in label], response.request.url
    for response in seen.responses:
        where = f"{response.request.method} {response.request.url}"
        assert response.status_code < 500, (where, response.text)
        assert not leaks(str(response.request.url)), where
        assert not leaks("\n".join(f"{k}: {v}" for k, v in response.headers.items())), where
        if id(response) in allowed or response.request.url.params.get("format") == "xlsx":
            continue
        assert not leaks(response.text), (where, leaks(response.text))
    for name, text in captured.texts():
        assert not leaks(text), (name, leaks(text), text[:300])
    assert not leaks(caplog.text)
    check_database_outside_the_vault()
    # each packet read and the named export are audited with their purpose
    with UnitOfWork(write=False) as uow:
        purposes = uow.session.scalars(
            select(AuditLog.purpose).where(AuditLog.purpose.is_not(None))
        ).all()
    assert purposes.count("referral") >= len(packets)
    assert "audit_investigation" in purposes
