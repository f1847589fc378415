"""Referrals as rules: which partner service carries out which item of a support decision, the
item's legal basis, and what the partner may be told about the person.

Why here: a referral hands a decided item to an outside organisation, so which item a service may
carry out follows the law's items (brief §3: legal support and legal aid to the legal aid centre,
the loan referral to the Vietnam Bank for Social Policies, Decree 162 Art. 25), and what it may
learn is a data-protection rule (Decree 98/2026/NĐ-CP Art. 8 fines disclosure beyond consent).
Both are kept as data in one place, pure, so the case file, the tests and a reviewer read the
same table.

Data minimisation: every partner needs the person's name and a phone number to reach them; the
bank also needs the ID number and the address, because it must identify the borrower and their
residence. No partner ever gets the aliases (they can reveal the trafficking past) or the health
notes (the person's own, not the partner's business). The non-personal fields (sex, birth
year-month, home province) go where the service needs them to enrol the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from benefits_rules.catalogue import CONTENT_CITES, GROUP_ARTICLE, ITEM_KEYS, Regime


class Service(StrEnum):
    """The kinds of partner organisation a person can be referred to."""

    vocational_training = "vocational_training"
    employment_service = "employment_service"
    vbsp_loan = "vbsp_loan"
    legal_aid = "legal_aid"
    psychological_support = "psychological_support"


#: personal fields, read from the identity vault when the partner opens the packet
VAULT_FIELDS: tuple[str, ...] = ("full_name", "phone", "id_number", "address")
#: non-personal fields, read from the case file
CASE_FIELDS: tuple[str, ...] = ("sex", "birth_year_month", "home_province")
#: every field a packet may ever hold
PACKET_FIELDS: tuple[str, ...] = VAULT_FIELDS + CASE_FIELDS
#: vault fields no packet may hold, whatever the service
NEVER_SHARED: frozenset[str] = frozenset({"aliases", "health_notes"})


@dataclass(frozen=True, slots=True)
class ServiceRule:
    """One service: its Vietnamese name, the items it carries out, the packet fields it needs
    and why it needs them (the reason a reviewer checks the fields against)."""

    service: Service
    label: str
    items: tuple[str, ...]
    fields: tuple[str, ...]
    why: str


RULES: dict[Service, ServiceRule] = {
    Service.vocational_training: ServiceRule(
        Service.vocational_training,
        "Cơ sở giáo dục nghề nghiệp",
        ("vocational.training",),
        ("full_name", "phone", "sex", "birth_year_month", "home_province"),
        "enrols the person on a course near home; the course support amount is in the item",
    ),
    Service.employment_service: ServiceRule(
        Service.employment_service,
        "Trung tâm dịch vụ việc làm",
        ("vocational.job_counselling",),
        ("full_name", "phone", "sex", "birth_year_month", "home_province"),
        "counsels and introduces jobs: needs the working age and where the person lives",
    ),
    Service.vbsp_loan: ServiceRule(
        Service.vbsp_loan,
        "Ngân hàng Chính sách xã hội",
        ("hardship.loan_referral",),
        (
            "full_name",
            "phone",
            "id_number",
            "address",
            "sex",
            "birth_year_month",
            "home_province",
        ),
        "must identify the borrower (ID number) and their residence (address) to lend",
    ),
    Service.legal_aid: ServiceRule(
        Service.legal_aid,
        "Trung tâm trợ giúp pháp lý nhà nước",
        ("legal_aid", "legal_support"),
        ("full_name", "phone"),
        "contacts the person; eligibility follows from the decision, not from personal details",
    ),
    Service.psychological_support: ServiceRule(
        Service.psychological_support,
        "Cơ sở cung cấp dịch vụ hỗ trợ tâm lý",
        ("psychological",),
        ("full_name", "phone", "sex", "birth_year_month"),
        "contacts the person and matches a counsellor to their age and sex; never health notes",
    ),
}


def _check_rules() -> dict[str, Service]:
    """The table must be sound at import: known items, each carried out by one service only,
    and no field outside the packet fields or among those never shared."""
    by_item: dict[str, Service] = {}
    for service, rule in RULES.items():
        if rule.service is not service:
            raise ValueError(f"referral rule {service}: filed under the wrong service")
        for key in rule.items:
            if key not in ITEM_KEYS:
                raise ValueError(f"referral rule {service}: unknown item {key}")
            if key in by_item:
                raise ValueError(f"referral rule {service}: {key} is already {by_item[key]}'s")
            by_item[key] = service
        for name in rule.fields:
            if name in NEVER_SHARED or name not in PACKET_FIELDS:
                raise ValueError(f"referral rule {service}: field {name} may not be shared")
    return by_item


_SERVICE_OF_ITEM: dict[str, Service] = _check_rules()
#: the item keys some partner service carries out
REFERRAL_ITEMS: frozenset[str] = frozenset(_SERVICE_OF_ITEM)


def service_for(item_key: str) -> Service | None:
    """The service that carries out an item of a decision, or None for an item paid or given
    by the facility itself (food, travel, insurance...)."""
    return _SERVICE_OF_ITEM.get(item_key)


def carries_out(service: str, item_key: str) -> bool:
    """Whether `service` may carry out the decided item `item_key`: a referral for anything
    else would hand a partner a person it has no legal task for."""
    return service in RULES and item_key in RULES[Service(service)].items


def packet_fields(service: str) -> tuple[str, ...]:
    """The fields a partner of `service` reads about the person, and no others."""
    return RULES[Service(service)].fields


def item_cites(item_key: str, regime: str) -> tuple[str, ...]:
    """The citation ids of an item under a regime (the group article, then its content
    articles), as the catalogue gives them: the legal basis a referral carries out."""
    chosen = Regime(regime)
    return (GROUP_ARTICLE[chosen], *CONTENT_CITES[chosen][item_key])
