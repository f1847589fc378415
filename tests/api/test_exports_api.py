"""`GET /api/v1/exports/htcds`: case rows under HTCDS field names, as JSON, CSV and XLSX;
de-identified and k-anonymous by default, with personal data only for the vault's roles and
a purpose, and every export audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import select

from cases.exports import DEIDENTIFIED_COLUMNS, PERSONAL_COLUMNS, QUASI_IDENTIFIERS
from cases.models import AuditLog
from cases.unit_of_work import UnitOfWork
from cases.vault import normalise_name
from tests.api.conftest import Account
from tests.api.stats_population import HEALTH_NOTE, Someone, many, populate

EXPORT = "/api/v1/exports/htcds"
BOM = b"\xef\xbb\xbf"

#: 42 persons; the three foreign girls cannot reach k = 11 even with every value suppressed
PEOPLE = [
    *many(14, birth_date=date(1995, 1, 1), groups={"a": 1_000_000}),
    *many(8, birth_date=date(2003, 1, 1)),
    *many(6, birth_date=date(1980, 1, 1)),
    *many(11, sex="male", birth_date=date(2003, 1, 1), stage="following_up", outcome="stable"),
    *many(3, birth_date=date(2009, 1, 1), nationality="foreign", full_name="Lê Thị Riêng Tư"),
]
NAMES = ("Trần Thị Thống Kê", "Lê Thị Riêng Tư")


def _audits(action: str) -> list[tuple[str | None, dict[str, Any]]]:
    with UnitOfWork(write=False) as uow:
        rows = uow.session.scalars(select(AuditLog).where(AuditLog.action == action))
        return [(row.purpose, row.detail) for row in rows]


def _leaks(body: bytes, ids: list[str]) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    flat = normalise_name(text)
    found = [name for name in NAMES if normalise_name(name) in flat]
    return found + [case_id for case_id in ids if case_id in text]


def test_the_deidentified_export_in_three_formats(
    client: TestClient, account: Callable[..., Account]
) -> None:
    ids = populate(PEOPLE)
    approver = account("approver", "sample")
    response = client.get(EXPORT, params={"year": 2025}, headers=approver.headers)
    assert response.status_code == 200, response.text
    assert response.headers["X-Withheld-Rows"] == "3"
    export = response.json()
    assert (export["personal_data"], export["k"], export["withheld_rows"]) == (False, 11, 3)
    assert export["columns"] == list(DEIDENTIFIED_COLUMNS)
    rows = export["rows"]
    assert [row["vt_Row"] for row in rows] == list(range(1, 40))
    # every combination of quasi-identifiers is shared by 11 rows or more (one person each)
    groups = Counter(tuple(row[q] for q in QUASI_IDENTIFIERS) for row in rows)
    assert min(groups.values()) >= 11
    # the age bands were generalised to keep the 8 and 6 women aged 18-24 and 35+ in
    assert groups == {
        ("sample", "2025", "Female", "vietnamese", "18_plus"): 28,
        ("sample", "2025", "Male", "vietnamese", "18_plus"): 11,
    }
    assert {row["prs_Nationality"] for row in rows} == {"VN"}
    assert Counter(row["cas_Status"] for row in rows) == {"Active": 28, "FollowUp": 11}
    assert Counter(row["vt_SupportGroups"] for row in rows) == {"a": 14, "": 25}
    assert _leaks(response.content, ids) == []

    as_csv = client.get(EXPORT, params={"year": 2025, "format": "csv"}, headers=approver.headers)
    assert as_csv.status_code == 200 and as_csv.content.startswith(BOM)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == 'attachment; filename="htcds-sample-2025.csv"'
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert table[0] == list(DEIDENTIFIED_COLUMNS) and len(table) == 40
    assert _leaks(as_csv.content, ids) == []

    as_xlsx = client.get(EXPORT, params={"year": 2025, "format": "xlsx"}, headers=approver.headers)
    assert as_xlsx.headers["content-disposition"].endswith('filename="htcds-sample-2025.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))
    assert book.sheetnames == ["htcds", "about"]
    sheet_rows = list(book["htcds"].iter_rows(values_only=True))
    assert list(sheet_rows[0]) == list(DEIDENTIFIED_COLUMNS) and len(sheet_rows) == 40
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["withheld_rows"] == 3 and about["k"] == 11
    texts = " ".join(str(v) for row in sheet_rows for v in row)
    assert _leaks(texts.encode(), ids) == []

    audited = _audits("export.htcds")
    assert [(purpose, detail["format"], detail["rows"]) for purpose, detail in audited] == [
        (None, "json", 39),
        (None, "csv", 39),
        (None, "xlsx", 39),
    ]


def test_personal_data_only_for_the_vault_roles_with_a_purpose(
    client: TestClient, account: Callable[..., Account]
) -> None:
    people = [
        *PEOPLE[:11],
        Someone(full_name="Nguyễn Thị Ánh Mai", birth_date=date(1995, 1, 1)),
        Someone(full_name="=HYPERLINK(1) Phạm Văn Công Thức"),
    ]
    ids = populate(people)
    approver = account("approver", "sample")
    params = {"year": 2025, "personal_data": True, "purpose": "audit_investigation"}
    response = client.get(EXPORT, params=params, headers=approver.headers)
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["personal_data"] is True and export["columns"] == list(PERSONAL_COLUMNS)
    assert sorted(row["vt_CaseId"] for row in export["rows"]) == sorted(ids)
    mai = next(row for row in export["rows"] if row["vt_CaseId"] == ids[11])
    assert (mai["prs_SecondName"], mai["prs_MiddleName"], mai["prs_FirstName"]) == (
        "Nguyễn",
        "Thị Ánh",
        "Mai",
    )
    assert mai["vt_FullName"] == "Nguyễn Thị Ánh Mai"
    assert (mai["prs_Birthdate"], mai["prs_Gender"], mai["prs_MobilePhone"]) == (
        "1995-01-01",
        "Female",
        "0900000000",
    )
    assert HEALTH_NOTE not in response.text  # health notes are never exported

    as_csv = client.get(EXPORT, params={**params, "format": "csv"}, headers=approver.headers)
    assert as_csv.content.startswith(BOM)
    assert "Trần Thị Thống Kê 0" in as_csv.content.decode("utf-8-sig")
    assert HEALTH_NOTE not in as_csv.content.decode("utf-8-sig")
    # a name typed like a formula stays text in a spreadsheet
    assert "'=HYPERLINK(1) Phạm Văn Công Thức" in as_csv.content.decode("utf-8-sig")
    disposition = as_csv.headers["content-disposition"]
    assert disposition == 'attachment; filename="htcds-sample-2025-personal.csv"'
    as_xlsx = client.get(EXPORT, params={**params, "format": "xlsx"}, headers=approver.headers)
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))["htcds"]
    names = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "Trần Thị Thống Kê 0" in names and "'=HYPERLINK(1) Phạm Văn Công Thức" in names

    audited = _audits("export.personal_data")
    assert len(audited) == 3
    for purpose, detail in audited:
        assert purpose == "audit_investigation"
        assert detail["persons"] == 13 and sorted(detail["cases"]) == sorted(ids)
    # the same cases without personal data: no name, no case id
    plain = client.get(EXPORT, params={"year": 2025}, headers=approver.headers)
    assert plain.status_code == 200 and _leaks(plain.content, ids) == []


def test_refusals_say_why_and_export_nothing(
    client: TestClient, account: Callable[..., Account]
) -> None:
    approver = account("approver", "sample")
    auditor = account("auditor", None)
    personal = {"year": 2025, "personal_data": True}
    refused = [
        # the auditor may export, but may not read the vault
        (auditor, {**personal, "purpose": "audit_investigation"}, 403, "RoleNotAllowed", "role"),
        # an intake officer reads the vault, but may not export
        (account("intake_officer", "sample"), {"year": 2025}, 403, "RoleNotAllowed", "role"),
        (approver, personal, 422, "InvalidInput", "purpose"),
        (approver, {**personal, "purpose": "curiosity"}, 422, "InvalidInput", "purpose"),
        (approver, {"year": 2025, "purpose": "referral"}, 422, "InvalidInput", "purpose"),
        (approver, {"year": 2025, "province": "nghe-an"}, 403, "OutsideProvince", "province"),
        (approver, {"year": 2025, "format": "pdf"}, 422, "RequestValidationFailed", "format"),
        (approver, {"year": 1990}, 422, "InvalidInput", "year"),
    ]
    for who, params, status, error, field in refused:
        response = client.get(EXPORT, params=params, headers=who.headers)
        assert response.status_code == status, (params, response.text)
        assert (response.json()["error"], response.json()["field"]) == (error, field), params
    assert _audits("export.htcds") == [] and _audits("export.personal_data") == []
    allowed = client.get(EXPORT, params={"year": 2025}, headers=auditor.headers)
    assert allowed.status_code == 200 and allowed.json()["rows"] == []
