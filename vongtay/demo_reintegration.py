"""The demo's last stages: consent, referrals to the sample province's partners, the partners'
reports, the return home and the first follow-up check.

Everything goes through the same use cases the API calls, with fixed idempotency keys, so a
second run of the demo finds it all in place and writes nothing twice. The partners and the
persons are made up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from cases.accounts import Actor
from vongtay.reporting import Written

#: one made-up partner organisation per service, in the demo province
SAMPLE_PARTNERS: dict[str, str] = {
    "vocational_training": "Trung tâm Giáo dục nghề nghiệp tỉnh Mẫu",
    "employment_service": "Trung tâm Dịch vụ việc làm tỉnh Mẫu",
    "vbsp_loan": "Ngân hàng Chính sách xã hội, chi nhánh tỉnh Mẫu",
    "legal_aid": "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Mẫu",
    "psychological_support": "Phòng tham vấn tâm lý tỉnh Mẫu (mẫu)",
}
#: how long ago the demo's persons went home: long enough for the first check to fall due
RETURNED_DAYS_AGO = 100


@dataclass
class Partners:
    """The demo partners' accounts, by partner id."""

    accounts: dict[str, Actor]


def partner_slug(service: str) -> str:
    """The demo partner of a service: `mau-` and the service, in the slug's letters."""
    return "mau-" + service.replace("_", "-")


def register_partners(admin: Actor, actor_for: Callable[..., Actor]) -> Partners:
    """Register the demo province's partners (once) and give each an account."""
    from cases import partners
    from cases.referral_schemas import PartnerCreate
    from cases.schemas import Role

    accounts: dict[str, Actor] = {}
    for service, name in SAMPLE_PARTNERS.items():
        slug = partner_slug(service)
        _status, body = partners.create_partner(
            admin,
            PartnerCreate.model_validate(
                {"slug": slug, "name": name, "service": service, "province": "sample"}
            ),
            idempotency_key=f"demo-partner-{slug}",
        )
        accounts[str(body["id"])] = actor_for(f"demo.{slug}", Role.partner, partner=slug)
    return Partners(accounts)


def record_consent(intake: Actor, case_id: str, given_on: date) -> None:
    """The person agrees, on a signed form, that the partners learn what their service needs."""
    from cases import consents
    from cases.referral_schemas import ConsentCreate

    consents.record_consent(
        intake,
        case_id,
        ConsentCreate.model_validate(
            {
                "services": list(SAMPLE_PARTNERS),
                "given_on": given_on.isoformat(),
                "method": "signed_form",
                "note": "Người được hỗ trợ ký phiếu đồng ý (bản mẫu).",
            }
        ),
        idempotency_key=f"demo-consent-{case_id}",
    )


def partners_accept(partners_: Partners, case_id: str, staff: Actor, on: date) -> int:
    """Each partner opens the packet of its referral (an audited vault read) and accepts it.
    Returns how many referrals the case has."""
    from cases import referrals
    from cases.referral_schemas import ReportCreate

    rows = referrals.case_referrals(staff, case_id)
    for row in rows:
        partner = partners_.accounts[row.partner_id]
        referrals.read_referral(partner, row.id)
        if row.state == "sent":
            referrals.report(
                partner,
                row.id,
                ReportCreate.model_validate({"state": "accepted", "on": on.isoformat()}),
                idempotency_key=f"demo-accept-{row.id}",
            )
    return len(rows)


def return_home_and_first_check(worker: Actor, case_id: str, today: date) -> None:
    """The person went home some weeks ago: the checks are scheduled from that day, and the
    worker records the first one, found stable, on its due day."""
    from cases import followups
    from cases.followup_schemas import OutcomeIn, ReturnHomeIn

    returned_on = today - timedelta(days=RETURNED_DAYS_AGO)
    followups.record_return_home(
        worker,
        case_id,
        ReturnHomeIn(returned_on=returned_on, note="Về nhà cùng gia đình (bản mẫu)."),
        idempotency_key=f"demo-return-{case_id}",
    )
    first = followups.get_schedule(worker, case_id).checks[0]
    if first.state in ("scheduled", "due") and first.due <= today:
        followups.record_outcome(
            worker,
            case_id,
            first.id,
            OutcomeIn.model_validate({"outcome": "stable", "checked_on": first.due.isoformat()}),
            idempotency_key=f"demo-check-{first.id}",
        )


def write_report(out_dir: Path, year: int) -> Written:
    """The demo province's report for `year`, as `vongtay report` writes it (PNG and JSON)."""
    from cases import statistics
    from cases.accounts import system_actor
    from vongtay.reporting import write_report as write

    report = statistics.provincial_report(system_actor(), "sample", year)
    return write(report, statistics.chart_png(report), out_dir)
