"""Case exports under Human Trafficking Case Data Standard field names, as JSON, CSV or XLSX.

Field names follow the HTCDS field reference of the International Organization for Migration's
repository (github.com/UNMigration/HTCDS, "HTCDS Field Reference.md", versions 1.0-2.0, the
standard Liberty Shared and Tech Against Trafficking took part in): a three-letter table prefix
and a CamelCase name, `prs_` for the person, `vic_` for the victim context, `cas_` for the case;
multi-select values joined with `;` as its spreadsheet toolkit does. Used here:

| HTCDS | from | note |
| --- | --- | --- |
| `prs_Gender` | facts.sex | `Female`, `Male` (HTCDS values) |
| `prs_Nationality` | case.nationality | ISO 3166 alpha-2: `VN`; empty for a foreign or
  stateless person, whose country the case file does not record |
| `prs_FirstName`, `prs_MiddleName`, `prs_SecondName` | vault full name | Vietnamese order:
  family name (SecondName) first, given name (FirstName) last, middle names between (PD) |
| `prs_Birthdate` | facts.birth_date | (PD) |
| `prs_MobilePhone` | vault phone | (PD) |
| `prs_MailingStreet` | vault address | the whole address: the vault keeps one line (PD) |
| `cas_Status` | case stage | `FollowUp` in following_up, `Closed` when closed, else `Active` |
| `cas_IncomingReferralDate` | facts.received_on | the shelter receiving the person (PD; the
  de-identified export has the year only) |
| `cas_ReasonForCaseClosure` | case.closed_reason | staff's free text (PD) |

(PD): in the export with personal data only.

Our fields with no HTCDS equivalent carry the prefix `vt_` (Vòng Tay): `vt_Row` (a sequence
number of the export; the de-identified export has no case id), `vt_CaseId`, `vt_Province`
(the province in charge of the case, not an address), `vt_ReceivedYear`, `vt_AgeBand` (HTCDS
has only the birth date), `vt_NationalityStatus` (vietnamese, stateless_resident, foreign),
`vt_Stage`, `vt_Status`, `vt_Regime`, `vt_SupportGroups`, `vt_IssuedSupportVnd`,
`vt_FollowUpOutcome`, `vt_FullName` (the name as written, since a split can be wrong),
`vt_Aliases`, `vt_IdentityNumber`. Health notes are never exported: HTCDS has no field for
them and no purpose of an export needs them.

Without personal data (the default) rows carry no case id, no name, no date and no amount,
and are k-anonymous (k = 11) over the quasi-identifiers province, year, sex, nationality and age
band (`cases.disclosure.k_anonymise`); rows that cannot reach k are withheld and counted.
Stage, regime, groups and outcome are the attributes being reported, not identifiers.

With personal data: only for a role that may read the vault (`ALLOWED["read_person"]`) that is
also allowed to export, with a purpose code; one audit row per export names the purpose, the
number of persons and every case id. Every export, with or without personal data, is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from benefits_rules.catalogue import GROUPS
from cases import audit
from cases.accounts import Actor
from cases.disclosure import MIN_CELL, SUPPRESSED, Hierarchy, k_anonymise
from cases.exceptions import InvalidInput
from cases.models import Person
from cases.policy import allow
from cases.statistics import NO_FOLLOW_UP, CaseRecord, Scope, load_cases, scope_for
from cases.stats_schemas import HtcdsExport
from cases.unit_of_work import UnitOfWork
from cases.vault import PURPOSES, open_or_refuse

STANDARD = "Human Trafficking Case Data Standard (HTCDS) 1.0-2.0 field names"
SOURCE = "https://github.com/UNMigration/HTCDS (HTCDS Field Reference.md)"
FORMATS = ("json", "csv", "xlsx")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: the quasi-identifiers, kept longest first
QUASI_IDENTIFIERS = (
    "vt_Province",
    "vt_ReceivedYear",
    "prs_Gender",
    "vt_NationalityStatus",
    "vt_AgeBand",
)
DEIDENTIFIED_COLUMNS = (
    "vt_Row",
    "cas_Status",
    "vt_Stage",
    "vt_Province",
    "vt_ReceivedYear",
    "prs_Gender",
    "vt_AgeBand",
    "prs_Nationality",
    "vt_NationalityStatus",
    "vt_Regime",
    "vt_SupportGroups",
    "vt_FollowUpOutcome",
)
PERSONAL_COLUMNS = (
    "vt_CaseId",
    "prs_FirstName",
    "prs_MiddleName",
    "prs_SecondName",
    "vt_FullName",
    "vt_Aliases",
    "prs_Birthdate",
    "prs_Gender",
    "prs_Nationality",
    "vt_NationalityStatus",
    "vt_IdentityNumber",
    "prs_MobilePhone",
    "prs_MailingStreet",
    "vt_Province",
    "cas_IncomingReferralDate",
    "cas_Status",
    "vt_Stage",
    "vt_Status",
    "vt_Regime",
    "vt_IssuedSupportVnd",
    "vt_SupportGroups",
    "vt_FollowUpOutcome",
    "cas_ReasonForCaseClosure",
)

_GENDER = {"female": "Female", "male": "Male", SUPPRESSED: SUPPRESSED}


def _minor_or_adult(band: str) -> str:
    if band in ("under_16", "16_17"):
        return "under_18"
    return "18_plus" if band != "unknown" else band


def _vietnamese_or_not(nationality: str) -> str:
    return nationality if nationality == "vietnamese" else "not_vietnamese"


def _as_is(value: str) -> str:
    return value


HIERARCHIES = (
    Hierarchy("vt_Province"),
    Hierarchy("vt_ReceivedYear"),
    Hierarchy("prs_Gender"),
    Hierarchy("vt_NationalityStatus", (_as_is, _vietnamese_or_not)),
    Hierarchy("vt_AgeBand", (_as_is, _minor_or_adult)),
)


def case_status(stage: str) -> str:
    """The HTCDS `cas_Status` of a stage."""
    return {"following_up": "FollowUp", "closed": "Closed"}.get(stage, "Active")


def iso_nationality(status: str) -> str:
    """`prs_Nationality` (ISO 3166 alpha-2) from our nationality status: only Vietnamese
    nationality names a country."""
    if status == SUPPRESSED:
        return SUPPRESSED
    return "VN" if status == "vietnamese" else ""


def _groups(groups: frozenset[str]) -> str:
    order = {group: i for i, group in enumerate(GROUPS)}
    return ";".join(sorted(groups, key=lambda g: (order.get(g, len(order)), g)))


def split_name(full_name: str) -> tuple[str, str, str]:
    """(FirstName, MiddleName, SecondName) of a Vietnamese name: the family name comes first
    and the given name last ("Nguyễn Thị Mai" → Mai, Thị, Nguyễn)."""
    words = full_name.split()
    if len(words) < 2:
        return full_name.strip(), "", ""
    return words[-1], " ".join(words[1:-1]), words[0]


# --- the use case --------------------------------------------------------------------------------


def export_htcds(
    actor: Actor,
    province: str | None,
    year: int,
    fmt: str = "json",
    personal_data: bool = False,
    purpose: str | None = None,
) -> HtcdsExport:
    """Export the cases of a province (or all) received in a year. De-identified and
    k-anonymous by default; with `personal_data` the vault's fields for a purpose. Audited
    either way, in the transaction that reads the rows."""
    allow(actor, "export")
    if fmt not in FORMATS:
        raise InvalidInput(
            f"format must be one of {', '.join(FORMATS)}", field="format", rule="unknown_value"
        )
    if personal_data:
        allow(actor, "read_person")
        if not purpose:
            raise InvalidInput(
                "an export with personal data needs a purpose", field="purpose", rule="required"
            )
        if purpose not in PURPOSES:
            raise InvalidInput(
                f"purpose must be one of {', '.join(sorted(PURPOSES))}",
                field="purpose",
                rule="unknown_value",
            )
    elif purpose is not None:
        raise InvalidInput(
            "a purpose goes with personal_data=true only",
            field="purpose",
            rule="personal_data_not_requested",
        )
    scope = scope_for(actor, province, year)
    with UnitOfWork() as uow:
        cases = load_cases(uow.session, scope)
        if not personal_data:
            document = deidentified(scope, cases)
            audit.append(
                uow.session,
                actor=actor.username,
                action="export.htcds",
                subject_type="export",
                detail={
                    "province": scope.province,
                    "year": scope.year,
                    "format": fmt,
                    "rows": len(document.rows),
                    "withheld_rows": document.withheld_rows,
                    "personal_data": False,
                },
            )
            uow.commit()
            return document
        ordered = sorted(cases, key=lambda case: (case.received_on, case.case_id))
        audit.append(
            uow.session,
            actor=actor.username,
            action="export.personal_data",
            subject_type="export",
            purpose=purpose,
            detail={
                "province": scope.province,
                "year": scope.year,
                "format": fmt,
                "persons": len({case.person for case in ordered}),
                "cases": [case.case_id for case in ordered],
                "personal_data": True,
            },
        )
        uow.commit()
        people = _people(uow, [case.person_id for case in ordered])
        return _personal(scope, ordered, people)


def deidentified(scope: Scope, cases: Sequence[CaseRecord]) -> HtcdsExport:
    """The de-identified rows: one per case, k-anonymous over the quasi-identifiers."""
    rows = [
        {
            "cas_Status": case_status(case.stage),
            "vt_Stage": case.stage,
            "vt_Province": case.province,
            "vt_ReceivedYear": str(case.received_on.year),
            "prs_Gender": case.sex,
            "vt_AgeBand": case.age_band,
            "vt_NationalityStatus": case.nationality,
            "vt_Regime": case.regime,
            "vt_SupportGroups": _groups(case.groups),
            "vt_FollowUpOutcome": case.outcome or NO_FOLLOW_UP,
        }
        for case in cases
    ]
    safe = k_anonymise(rows, [case.person for case in cases], HIERARCHIES, k=MIN_CELL)
    published: list[dict[str, str | int | None]] = []
    for number, row in enumerate(safe.rows, start=1):
        out: dict[str, str | int | None] = {
            **row,
            "vt_Row": number,
            "prs_Gender": _GENDER.get(row["prs_Gender"], "Unknown"),
            "prs_Nationality": iso_nationality(row["vt_NationalityStatus"]),
        }
        published.append({column: out[column] for column in DEIDENTIFIED_COLUMNS})
    return HtcdsExport(
        standard=STANDARD,
        source=SOURCE,
        personal_data=False,
        province=scope.province,
        year=scope.year,
        k=MIN_CELL,
        quasi_identifiers=list(QUASI_IDENTIFIERS),
        withheld_rows=safe.withheld,
        columns=list(DEIDENTIFIED_COLUMNS),
        rows=published,
    )


def _people(uow: UnitOfWork, person_ids: Sequence[str]) -> dict[str, dict[str, object]]:
    """The vault records of the export's persons, decrypted (after the audit row committed)."""
    found: dict[str, Person] = {}
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start : start + 500]
        for person in uow.session.scalars(select(Person).where(Person.id.in_(chunk))):
            found[person.id] = person
    return {
        person_id: open_or_refuse(person, "personal_data") for person_id, person in found.items()
    }


def _personal(
    scope: Scope, cases: Sequence[CaseRecord], people: dict[str, dict[str, object]]
) -> HtcdsExport:
    rows: list[dict[str, str | int | None]] = []
    for case in cases:
        person = people.get(case.person_id, {})
        full_name = str(person.get("full_name") or "")
        first, middle, second = split_name(full_name)
        aliases: Any = person.get("aliases") or []
        row: dict[str, str | int | None] = {
            "vt_CaseId": case.case_id,
            "prs_FirstName": first,
            "prs_MiddleName": middle,
            "prs_SecondName": second,
            "vt_FullName": full_name,
            "vt_Aliases": ";".join(str(a) for a in aliases),
            "prs_Birthdate": case.birth_date.isoformat() if case.birth_date else None,
            "prs_Gender": _GENDER.get(case.sex, "Unknown"),
            "prs_Nationality": iso_nationality(case.nationality),
            "vt_NationalityStatus": case.nationality,
            "vt_IdentityNumber": _text(person.get("id_number")),
            "prs_MobilePhone": _text(person.get("phone")),
            "prs_MailingStreet": _text(person.get("address")),
            "vt_Province": case.province,
            "cas_IncomingReferralDate": case.received_on.isoformat(),
            "cas_Status": case_status(case.stage),
            "vt_Stage": case.stage,
            "vt_Status": case.status,
            "vt_Regime": case.regime,
            "vt_IssuedSupportVnd": case.amount_vnd,
            "vt_SupportGroups": _groups(case.groups),
            "vt_FollowUpOutcome": case.outcome or NO_FOLLOW_UP,
            "cas_ReasonForCaseClosure": case.closed_reason,
        }
        rows.append(row)
    return HtcdsExport(
        standard=STANDARD,
        source=SOURCE,
        personal_data=True,
        province=scope.province,
        year=scope.year,
        k=None,
        quasi_identifiers=[],
        withheld_rows=0,
        columns=list(PERSONAL_COLUMNS),
        rows=rows,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


# --- files ---------------------------------------------------------------------------------------


def filename(document: HtcdsExport, fmt: str) -> str:
    """The download's name: province, year and kind only, never anything about a person."""
    kind = "-personal" if document.personal_data else ""
    return f"htcds-{document.province or 'all'}-{document.year}{kind}.{fmt}"


def _safe_cell(value: str | int | None) -> str | int | None:
    """A value a spreadsheet will not run: text starting like a formula is quoted (a name
    typed as "=HYPERLINK(...)" must stay text), and characters XLSX cannot hold are dropped."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(document: HtcdsExport) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so Excel shows Vietnamese letters as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(document.columns)
    for row in document.rows:
        writer.writerow(["" if (v := _safe_cell(row[c])) is None else v for c in document.columns])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(document: HtcdsExport) -> bytes:
    """A workbook: the rows on sheet `htcds`, and on sheet `about` the standard, the rule and
    how many rows were withheld."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "htcds"
    sheet.append(document.columns)
    for row in document.rows:
        sheet.append([_safe_cell(row[column]) for column in document.columns])
    about = workbook.create_sheet("about")
    for key, value in (
        ("standard", document.standard),
        ("source", document.source),
        ("personal_data", "yes" if document.personal_data else "no"),
        ("province", document.province or "all"),
        ("year", document.year),
        ("k", document.k if document.k is not None else ""),
        ("quasi_identifiers", ", ".join(document.quasi_identifiers)),
        ("withheld_rows", document.withheld_rows),
    ):
        about.append([key, value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(document: HtcdsExport, fmt: str) -> bytes:
    """The export's bytes in a file format (`csv` or `xlsx`)."""
    if fmt == "csv":
        return to_csv(document)
    if fmt == "xlsx":
        return to_xlsx(document)
    raise InvalidInput(
        "a file format is csv or xlsx", field="format", rule="unknown_value"
    )  # json is returned as the model itself
