"""Provincial rates through the API (design §4): dated values with citations, append-only, and
a new value reaching the next proposal. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.api.conftest import Account, intake_body

RATES = "/api/v1/rates"
CASES = "/api/v1/cases"
ERROR_KEYS = {"error", "detail", "field", "rule"}
CITATION = "Nghị quyết số 99/2025/NQ-HĐND tỉnh Nghệ An (thử nghiệm)"


def _rate(
    key: str = "food_per_day_vnd", since: str = "2025-07-01", value: int = 65_000
) -> dict[str, Any]:
    return {
        "key": key,
        "from": since,
        "value": value,
        "citation": CITATION,
        "confirmed": True,
        "under": "LAW_53_2024",
    }


def _error(response: Response, status: int, error: str, rule: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == error, body
    if rule is not None:
        assert body["rule"] == rule, body
    return body


def _entered(client: TestClient, who: Account, province: str) -> list[dict[str, Any]]:
    response = client.get(f"{RATES}/{province}", headers=who.headers)
    assert response.status_code == 200, response.text
    return [r for r in response.json() if r["source"] == "entered"]


def test_the_shipped_rates_are_listed_with_their_citations(
    client: TestClient, account: Callable[..., Account]
) -> None:
    reader = account("followup_worker")
    response = client.get(f"{RATES}/sample", headers=reader.headers)
    assert response.status_code == 200, response.text
    rates = response.json()
    food = [(r["from"], r["value"]) for r in rates if r["key"] == "food_per_day_vnd"]
    assert food == [("2025-07-01", 70_000), ("2026-07-01", 80_000)]
    for rate in rates:
        assert set(rate) == {
            "province",
            "key",
            "from",
            "value",
            "citation",
            "confirmed",
            "under",
            "source",
        }
        assert rate["province"] == "sample"
        assert rate["source"] == "shipped"
        assert rate["citation"]
    assert rates == sorted(rates, key=lambda r: (r["key"], r["from"]))


def test_a_province_without_a_schedule_lists_nothing(
    client: TestClient, account: Callable[..., Account]
) -> None:
    reader = account("auditor", None)
    response = client.get(f"{RATES}/nghe-an", headers=reader.headers)
    assert response.status_code == 200
    assert response.json() == []


def test_an_approver_appends_a_dated_value(
    client: TestClient, account: Callable[..., Account]
) -> None:
    approver = account("approver", "nghe-an")
    response = client.post(f"{RATES}/nghe-an", json=_rate(), headers=approver.headers)
    assert response.status_code == 201, response.text
    assert response.json() == {"province": "nghe-an", **_rate(), "source": "entered"}
    assert _entered(client, approver, "nghe-an") == [response.json()]
    later = client.post(
        f"{RATES}/nghe-an", json=_rate(since="2026-01-01", value=75_000), headers=approver.headers
    )
    assert later.status_code == 201, later.text
    assert [(r["from"], r["value"]) for r in _entered(client, approver, "nghe-an")] == [
        ("2025-07-01", 65_000),
        ("2026-01-01", 75_000),
    ]


def test_the_same_day_again_is_409_and_changes_nothing(
    client: TestClient, account: Callable[..., Account]
) -> None:
    approver = account("approver", "nghe-an")
    assert (
        client.post(f"{RATES}/nghe-an", json=_rate(), headers=approver.headers).status_code == 201
    )
    again = client.post(f"{RATES}/nghe-an", json=_rate(value=99_000), headers=approver.headers)
    body = _error(again, 409, "Conflict", "append_only")
    assert body["field"] == "from"
    assert [r["value"] for r in _entered(client, approver, "nghe-an")] == [65_000]
    # the same day for another key is another value
    other = client.post(
        f"{RATES}/nghe-an",
        json=_rate(key="personal_items_vnd", value=400_000),
        headers=approver.headers,
    )
    assert other.status_code == 201, other.text


def test_a_day_the_shipped_schedule_has_is_409(
    client: TestClient, account: Callable[..., Account]
) -> None:
    approver = account("approver", None)
    shipped_day = client.post(f"{RATES}/sample", json=_rate(), headers=approver.headers)
    _error(shipped_day, 409, "Conflict", "append_only")
    assert _entered(client, approver, "sample") == []
    # a day the schedule does not have is appended to it
    between = client.post(
        f"{RATES}/sample", json=_rate(since="2025-09-01", value=72_000), headers=approver.headers
    )
    assert between.status_code == 201, between.text


def test_an_unknown_province_is_404(client: TestClient, account: Callable[..., Account]) -> None:
    approver = account("approver", None)
    _error(client.get(f"{RATES}/atlantis", headers=approver.headers), 404, "NotFound")
    _error(
        client.post(f"{RATES}/atlantis", json=_rate(), headers=approver.headers), 404, "NotFound"
    )


def test_an_unknown_rate_key_is_422(client: TestClient, account: Callable[..., Account]) -> None:
    approver = account("approver", "nghe-an")
    response = client.post(
        f"{RATES}/nghe-an", json=_rate(key="champagne_per_day_vnd"), headers=approver.headers
    )
    body = _error(response, 422, "InvalidInput", "unknown_value")
    assert body["field"] == "key"
    assert _entered(client, approver, "nghe-an") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": -1}, "value"),
        ({"value": 10**20}, "value"),  # once a 500: beyond the 64-bit column
        ({"from": "01/07/2025"}, "from"),
        ({"citation": ""}, "citation"),
        ({"under": "LAW_1_1900"}, "under"),
        ({"extra": 1}, "extra"),
    ],
    ids=["negative", "huge", "date", "citation", "under", "extra"],
)
def test_a_malformed_rate_is_422(
    client: TestClient, account: Callable[..., Account], change: dict[str, Any], field: str
) -> None:
    approver = account("approver", "nghe-an")
    response = client.post(f"{RATES}/nghe-an", json={**_rate(), **change}, headers=approver.headers)
    body = _error(response, 422, "RequestValidationFailed")
    assert body["field"] == field
    assert _entered(client, approver, "nghe-an") == []


def test_another_provinces_approver_is_403(
    client: TestClient, account: Callable[..., Account]
) -> None:
    approver = account("approver", "sample")
    response = client.post(f"{RATES}/nghe-an", json=_rate(), headers=approver.headers)
    _error(response, 403, "OutsideProvince", "province_scope")
    assert _entered(client, account("auditor", None), "nghe-an") == []


@pytest.mark.parametrize("role", ["intake_officer", "followup_worker", "auditor"])
def test_only_approvers_and_admins_enter_rates(
    client: TestClient, account: Callable[..., Account], role: str
) -> None:
    other = account(role, "nghe-an")
    response = client.post(f"{RATES}/nghe-an", json=_rate(), headers=other.headers)
    _error(response, 403, "RoleNotAllowed", "role")
    assert _entered(client, other, "nghe-an") == []
    admin = account("admin", None)
    assert client.post(f"{RATES}/nghe-an", json=_rate(), headers=admin.headers).status_code == 201


def test_a_new_food_rate_reaches_the_next_proposal(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer", "nghe-an")
    approver = account("approver", "nghe-an")
    created = client.post(CASES, json=intake_body(province="nghe-an"), headers=intake.headers)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    verified = client.post(
        f"{CASES}/{case_id}/verification",
        json={"notified_on": "2025-10-02", "result": "needs_identification"},
        headers=intake.headers,
    )
    assert verified.status_code == 200, verified.text
    identified = client.post(
        f"{CASES}/{case_id}/identification",
        json={
            "result": "victim",
            "certificate": {"issuer": "Công an tỉnh", "number": "8/GCN", "date": "2025-10-20"},
        },
        headers=intake.headers,
    )
    assert identified.status_code == 200, identified.text

    def food(calc: dict[str, Any]) -> dict[str, Any]:
        return next(i for i in calc["items"] if i["key"] == "essential_needs.food")

    before = client.post(
        f"{CASES}/{case_id}/calculations", json={"as_of": "2025-11-30"}, headers=intake.headers
    )
    assert before.status_code == 201, before.text
    assert food(before.json())["status"] == "rate_required"
    assert food(before.json())["amount_vnd"] is None

    entered = client.post(f"{RATES}/nghe-an", json=_rate(), headers=approver.headers)
    assert entered.status_code == 201, entered.text

    after = client.post(
        f"{CASES}/{case_id}/calculations", json={"as_of": "2025-11-30"}, headers=intake.headers
    )
    assert after.status_code == 201, after.text
    line = food(after.json())
    assert line["status"] == "granted"
    assert line["quantity"] == 61  # 1 October to 30 November
    assert line["amount_vnd"] == 61 * 65_000
    assert "rate:nghe-an:food_per_day_vnd" in line["cites"]
    assert after.json()["total_vnd"] == before.json()["total_vnd"] + 61 * 65_000
    assert after.json()["uses_sample_rates"] is False
    trace = client.get(
        f"{CASES}/{case_id}/calculations/{after.json()['id']}/trace", headers=intake.headers
    ).json()
    used = next(line for line in trace["trace"] if line["key"] == "essential_needs.food")["used"]
    rate = next(u for u in used if u["name"] == "rate:nghe-an:food_per_day_vnd")
    assert (rate["value"], rate["from"], rate["citation"]) == (65_000, "2025-07-01", CITATION)
    # the proposal made before the rate is superseded, not edited
    states = {
        c["id"]: (c["state"], food(c)["status"])
        for c in client.get(f"{CASES}/{case_id}/calculations", headers=intake.headers).json()
    }
    assert states == {
        before.json()["id"]: ("superseded", "rate_required"),
        after.json()["id"]: ("proposed", "granted"),
    }
