"""The follow-up schedule is configuration: an empty or negative one stops start-up, naming the
variable; the others are kept in order."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cases.settings import Settings


def test_a_province_gets_its_own_schedule_and_the_others_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VONGTAY_FOLLOW_UP_MONTHS_BY_PROVINCE", '{"ha-giang": [1, 2, 6, 12, 24]}')
    settings = Settings()
    assert settings.follow_up_months_for("ha-giang") == (1, 2, 6, 12, 24)
    assert settings.follow_up_months_for("sample") == (1, 3, 6, 12)


def test_a_schedule_is_kept_in_order_without_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VONGTAY_FOLLOW_UP_MONTHS", "[12, 1, 6, 6]")
    assert Settings().follow_up_months_for("sample") == (1, 6, 12)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VONGTAY_FOLLOW_UP_MONTHS", "[]"),
        ("VONGTAY_FOLLOW_UP_MONTHS", "[0, 1]"),
        ("VONGTAY_FOLLOW_UP_MONTHS_BY_PROVINCE", '{"sample": []}'),
        ("VONGTAY_FOLLOW_UP_MONTHS_BY_PROVINCE", '{"sample": [6, -1]}'),
    ],
)
def test_a_schedule_without_checks_or_with_a_month_below_one_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=variable.removeprefix("VONGTAY_").lower()):
        Settings()
