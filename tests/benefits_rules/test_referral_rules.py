"""The referral rules: which service carries out which item, with which legal basis, and what a
partner may be told (data minimisation)."""

from __future__ import annotations

from datetime import date
from typing import get_args

import pytest

from benefits_rules import compute
from benefits_rules.catalogue import ITEM_KEYS
from benefits_rules.referrals import (
    NEVER_SHARED,
    REFERRAL_ITEMS,
    RULES,
    Service,
    carries_out,
    item_cites,
    packet_fields,
    service_for,
)
from cases.referral_schemas import ServiceName

CARRIES_OUT = {
    "vocational_training": {"vocational.training"},
    "employment_service": {"vocational.job_counselling"},
    "vbsp_loan": {"hardship.loan_referral"},
    "legal_aid": {"legal_aid", "legal_support"},
    "psychological_support": {"psychological"},
}


@pytest.mark.parametrize("service", sorted(CARRIES_OUT))
def test_each_service_carries_out_its_items_and_no_other(service: str) -> None:
    assert {key for key in ITEM_KEYS if carries_out(service, key)} == CARRIES_OUT[service]
    for key in CARRIES_OUT[service]:
        assert service_for(key) == service


def test_items_the_facility_gives_itself_go_to_no_partner() -> None:
    assert service_for("essential_needs.food") is None
    assert service_for("travel.fare") is None
    assert not carries_out("tarot", "legal_aid")
    assert set().union(*CARRIES_OUT.values()) == REFERRAL_ITEMS


def test_every_partner_gets_name_and_phone_the_bank_also_id_and_address() -> None:
    for service in Service:
        fields = set(packet_fields(service))
        assert {"full_name", "phone"} <= fields
        assert not fields & NEVER_SHARED, service
        assert ({"id_number", "address"} <= fields) == (service is Service.vbsp_loan), service
    assert {"aliases", "health_notes"} == NEVER_SHARED


@pytest.mark.parametrize(
    ("key", "regime", "cites"),
    [
        ("vocational.training", "LAW_53_2024", ("L53-2024:37", "ND162-2025:24")),
        ("vocational.job_counselling", "LAW_53_2024", ("L53-2024:37", "ND162-2025:25")),
        ("hardship.loan_referral", "LAW_53_2024", ("L53-2024:37", "ND162-2025:25")),
        ("legal_aid", "LAW_53_2024", ("L53-2024:37", "L53-2024:41", "TGPL-2017:7")),
        ("legal_aid", "LAW_66_2011", ("L66-2011:32", "ND09-2013:22", "TGPL-2017:7")),
        ("psychological", "LAW_66_2011", ("L66-2011:32", "ND09-2013:21")),
    ],
)
def test_an_item_cites_what_the_decision_cites(
    key: str, regime: str, cites: tuple[str, ...]
) -> None:
    assert item_cites(key, regime) == cites


def test_the_cites_match_the_engines_items() -> None:
    facts = {
        "status": "victim",
        "nationality": "vietnamese",
        "location": "in_vietnam",
        "birth_date": "1998-04-10",
        "sex": "female",
        "province": "sample",
        "received_on": "2025-10-01",
        "identified_on": "2025-10-20",
        "returning_home": True,
    }

    for item in compute(facts, date(2025, 11, 30)).items:
        if item.key in REFERRAL_ITEMS:
            legal = tuple(c for c in item.cites if not c.startswith("rate:"))
            assert item_cites(item.key, "LAW_53_2024") == legal, item.key


def test_the_api_offers_exactly_the_services_of_the_rules() -> None:
    assert set(get_args(ServiceName)) == {s.value for s in Service} == set(RULES)
