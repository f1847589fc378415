"""The follow-up after the return home through the API, on SQLite and PostgreSQL: the schedule
(month ends clamped, a province's own schedule), what each outcome does, the tasks and who may
resolve them, the end of the case, and the worker's list scoped to the province."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cases import automation
from cases.policy import today
from cases.settings import get_settings
from tests.api.conftest import Account
from tests.api.test_decisions_api import _approved_case

API = "/api/v1"
RETURNED = "2026-01-31"


@dataclass
class Staff:
    intake: Account
    approver: Account
    worker: Account


@pytest.fixture
def staff(account: Callable[..., Account]) -> Staff:
    return Staff(account("intake_officer"), account("approver"), account("followup_worker"))


def _referred(client: TestClient, staff: Staff) -> str:
    """A case whose decision is issued and which the refer flow has moved to `referred`."""
    case_id, _ = _approved_case(client, staff.intake, staff.approver)
    issued = client.post(f"{API}/cases/{case_id}/decisions", headers=staff.approver.headers)
    assert issued.status_code == 201, issued.text
    assert automation.refer(case_id) == "referred"
    return case_id


def _return_home(
    client: TestClient, who: Account, case_id: str, returned_on: str = RETURNED, **headers: str
) -> Any:
    return client.post(
        f"{API}/cases/{case_id}/return-home",
        json={"returned_on": returned_on},
        headers={**who.headers, **headers},
    )


def _followed_up(client: TestClient, staff: Staff) -> tuple[str, list[str]]:
    """A case followed up since 31 January 2026; returns its id and its checks' ids."""
    case_id = _referred(client, staff)
    response = _return_home(client, staff.worker, case_id)
    assert response.status_code == 201, response.text
    return case_id, [check["id"] for check in response.json()["checks"]]


def _record(
    client: TestClient,
    who: Account,
    case_id: str,
    check_id: str,
    outcome: str,
    checked_on: str = "2026-03-02",
    **extra: Any,
) -> Any:
    return client.post(
        f"{API}/cases/{case_id}/follow-ups/{check_id}/outcome",
        json={"outcome": outcome, "checked_on": checked_on, **extra},
        headers=who.headers,
    )


def _schedule(client: TestClient, who: Account, case_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/cases/{case_id}/follow-ups", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _error(response: Any, status: int) -> tuple[str, str | None, str | None]:
    assert response.status_code == status, response.text
    body = response.json()
    return body["error"], body["field"], body["rule"]


# --- the schedule ---------------------------------------------------------------------------------


def test_the_return_home_schedules_the_checks_once_with_month_ends_clamped(
    client: TestClient, staff: Staff, account: Callable[..., Account]
) -> None:
    case_id = _referred(client, staff)
    refused = [
        _return_home(client, staff.worker, case_id, (today() + timedelta(days=1)).isoformat()),
        _return_home(client, staff.worker, case_id, "2025-09-30"),  # before it was received
    ]
    assert _error(refused[0], 422) == ("InvalidInput", "returned_on", "not_in_future")
    assert _error(refused[1], 422) == ("InvalidInput", "returned_on", "before_received")
    auditor = _return_home(client, account("auditor"), case_id)
    assert _error(auditor, 403)[0] == "RoleNotAllowed"
    assert _schedule(client, staff.worker, case_id)["checks"] == []  # nothing stored

    first = _return_home(client, staff.intake, case_id, **{"Idempotency-Key": "home-1"})
    assert first.status_code == 201, first.text
    schedule = first.json()
    assert (schedule["stage"], schedule["returned_on"]) == ("following_up", RETURNED)
    assert [
        (c["number"], c["months_after"], c["due"], c["state"], c["cites"])
        for c in schedule["checks"]
    ] == [
        (1, 1, "2026-02-28", "scheduled", ["POLICY:follow-up"]),  # 31 January + 1 month
        (2, 3, "2026-04-30", "scheduled", ["POLICY:follow-up"]),
        (3, 6, "2026-07-31", "scheduled", ["POLICY:follow-up"]),
        (4, 12, "2027-01-31", "scheduled", ["POLICY:follow-up"]),
    ]
    assert _schedule(client, staff.worker, case_id) == schedule

    replay = _return_home(client, staff.intake, case_id, **{"Idempotency-Key": "home-1"})
    repeat = _return_home(client, staff.worker, case_id)
    assert (replay.status_code, replay.json()) == (201, schedule)
    assert (repeat.status_code, repeat.json()) == (200, schedule)
    other_day = _return_home(client, staff.worker, case_id, "2026-02-01")
    assert _error(other_day, 409) == ("Conflict", "returned_on", "already_recorded")
    assert len(_schedule(client, staff.worker, case_id)["checks"]) == 4
    events = client.get(f"{API}/cases/{case_id}/events", headers=staff.worker.headers).json()
    assert [e["kind"] for e in events].count("follow_up_scheduled") == 1

    not_referred, _ = _approved_case(client, staff.intake, staff.approver)  # no decision yet
    early = _return_home(client, staff.worker, not_referred)
    assert _error(early, 409) == ("TransitionNotAllowed", "stage", "lifecycle")


def test_a_province_has_its_own_schedule(
    client: TestClient, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "VONGTAY_FOLLOW_UP_MONTHS_BY_PROVINCE", '{"sample": [24, 2], "nghe-an": [1]}'
    )
    get_settings.cache_clear()
    case_id = _referred(client, staff)
    checks = _return_home(client, staff.worker, case_id, "2025-12-31").json()["checks"]
    assert [(c["number"], c["months_after"], c["due"]) for c in checks] == [
        (1, 2, "2026-02-28"),
        (2, 24, "2027-12-31"),
    ]


# --- outcomes, tasks and the end of the case ------------------------------------------------------


def test_outcomes_open_tasks_a_repeat_escalates_and_the_case_closes_when_all_is_done(
    client: TestClient, staff: Staff, account: Callable[..., Account]
) -> None:
    case_id, checks = _followed_up(client, staff)
    outcomes = ["stable", "needs_support", "at_risk", "unreachable"]
    for check_id, outcome in zip(checks, outcomes, strict=True):
        response = _record(client, staff.worker, case_id, check_id, outcome, note="visited")
        assert response.status_code == 200, response.text
    schedule = _schedule(client, staff.approver, case_id)
    assert [
        (c["state"], c["outcome"], c["checked_on"], c["worker_id"] is not None)
        for c in schedule["checks"]
    ] == [("done", outcome, "2026-03-02", True) for outcome in outcomes]
    # stable opens nothing; an unreachable person after an at-risk finding is a repeat
    assert [(t["check_number"], t["kind"], t["escalated"]) for t in schedule["tasks"]] == [
        (2, "needs_support", False),
        (3, "at_risk", False),
        (4, "missed_check", True),
    ]
    assert schedule["stage"] == "following_up"  # tasks are open

    tasks = {t["kind"]: t["id"] for t in schedule["tasks"]}
    worker_list = client.get(f"{API}/tasks", headers=staff.worker.headers).json()
    approver_list = client.get(f"{API}/tasks", headers=staff.approver.headers).json()
    elsewhere = client.get(f"{API}/tasks", headers=account("followup_worker", "nghe-an").headers)
    assert [t["kind"] for t in worker_list] == ["needs_support", "at_risk", "missed_check"]
    assert [t["kind"] for t in approver_list] == ["missed_check"]  # the escalated ones
    assert elsewhere.json() == []

    def resolve(who: Account, kind: str, text: str = "visited again, arranged support") -> Any:
        return client.post(
            f"{API}/tasks/{tasks[kind]}/resolve", json={"resolution": text}, headers=who.headers
        )

    assert _error(resolve(staff.worker, "missed_check"), 403) == (
        "RoleNotAllowed",
        "role",
        "escalated_task",
    )
    assert _error(resolve(staff.intake, "at_risk"), 403)[0] == "RoleNotAllowed"
    done = resolve(staff.worker, "needs_support")
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["resolved_by"] is not None) == ("resolved", True)
    assert resolve(staff.worker, "needs_support").json() == done.json()  # a retry
    assert _error(resolve(staff.worker, "needs_support", "other"), 409)[2] == "resolved"
    assert resolve(staff.worker, "at_risk").status_code == 200
    assert _schedule(client, staff.worker, case_id)["stage"] == "following_up"
    assert resolve(staff.approver, "missed_check").status_code == 200

    ended = _schedule(client, staff.worker, case_id)
    assert ended["stage"] == "closed"
    assert ended["closed_reason"] == "follow-up ended: 4 checks, last outcome unreachable"
    resolved = client.get(f"{API}/tasks?state=resolved", headers=staff.worker.headers).json()
    assert (
        len(resolved) == 3 and client.get(f"{API}/tasks", headers=staff.worker.headers).json() == []
    )
    events = [
        e["kind"]
        for e in client.get(f"{API}/cases/{case_id}/events", headers=staff.worker.headers).json()
    ]
    assert (events.count("follow_up_recorded"), events.count("task_opened")) == (4, 3)
    assert (events.count("task_resolved"), events[-1]) == (3, "closed")


def test_re_trafficked_escalates_at_once_and_moving_away_ends_the_follow_up(
    client: TestClient, staff: Staff
) -> None:
    case_id, checks = _followed_up(client, staff)
    found = _record(client, staff.worker, case_id, checks[0], "re_trafficked").json()
    assert [(t["kind"], t["escalated"]) for t in found["tasks"]] == [("re_trafficked", True)]
    moved = _record(client, staff.worker, case_id, checks[1], "moved_away", "2026-05-04").json()
    assert [c["state"] for c in moved["checks"]] == ["done", "done", "cancelled", "cancelled"]
    assert moved["stage"] == "following_up"  # the re-trafficked task still waits on the approver
    cancelled = _record(client, staff.worker, case_id, checks[2], "stable")
    assert _error(cancelled, 409) == ("Conflict", "follow_up_id", "check_cancelled")

    task_id = found["tasks"][0]["id"]
    resolved = client.post(
        f"{API}/tasks/{task_id}/resolve",
        json={"resolution": "referred to the police and a shelter"},
        headers=staff.approver.headers,
    )
    assert resolved.status_code == 200, resolved.text
    ended = _schedule(client, staff.worker, case_id)
    assert (ended["stage"], ended["closed_reason"]) == ("closed", "follow-up ended: moved away")


def test_moving_away_with_nothing_open_closes_the_case_at_once(
    client: TestClient, staff: Staff
) -> None:
    case_id, checks = _followed_up(client, staff)
    schedule = _record(client, staff.worker, case_id, checks[0], "moved_away").json()
    assert (schedule["stage"], schedule["closed_reason"]) == (
        "closed",
        "follow-up ended: moved away",
    )
    assert [c["state"] for c in schedule["checks"]] == ["done"] + ["cancelled"] * 3
    case = client.get(f"{API}/cases/{case_id}", headers=staff.worker.headers).json()
    assert case["stage"] == "closed"


def test_outcome_errors_change_nothing(
    client: TestClient, staff: Staff, account: Callable[..., Account]
) -> None:
    case_id, checks = _followed_up(client, staff)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    cases = [
        (
            _record(client, staff.worker, case_id, checks[0], "stable", tomorrow),
            422,
            "not_in_future",
        ),
        (
            _record(client, staff.worker, case_id, checks[0], "stable", "2026-01-30"),
            422,
            "before_return",
        ),
        (_record(client, staff.worker, case_id, checks[0], "lost"), 422, "enum"),
        (_record(client, staff.worker, case_id, "no-such-check", "stable"), 404, "not_found"),
        (_record(client, staff.intake, case_id, checks[0], "stable"), 403, "role"),
        (
            _record(client, account("followup_worker", "nghe-an"), case_id, checks[0], "stable"),
            403,
            "province_scope",
        ),
    ]
    for response, status, rule in cases:
        assert _error(response, status)[2] == rule
    assert all(
        c["state"] == "scheduled" for c in _schedule(client, staff.worker, case_id)["checks"]
    )

    first = _record(client, staff.worker, case_id, checks[0], "stable", note="well")
    again = _record(client, staff.worker, case_id, checks[0], "stable", note="well")
    assert (again.status_code, again.json()) == (200, first.json())  # a retry changes nothing
    changed = _record(client, staff.worker, case_id, checks[0], "at_risk")
    assert _error(changed, 409) == ("Conflict", "follow_up_id", "recorded")
    assert _schedule(client, staff.worker, case_id)["tasks"] == []

    closed = client.post(
        f"{API}/cases/{case_id}/close", json={"reason": "transferred"}, headers=staff.worker.headers
    )
    assert closed.status_code == 200, closed.text
    late = _record(client, staff.worker, case_id, checks[1], "stable")
    assert _error(late, 409) == ("Conflict", "stage", "lifecycle")


# --- the worker's list ----------------------------------------------------------------------------


def test_the_worker_list_is_scoped_to_the_province_and_filtered_by_due_day(
    client: TestClient, staff: Staff, account: Callable[..., Account]
) -> None:
    case_id, checks = _followed_up(client, staff)
    _record(client, staff.worker, case_id, checks[0], "stable")

    def listed(who: Account, **params: str) -> Any:
        return client.get(f"{API}/follow-ups", params=params, headers=who.headers)

    mine = listed(staff.worker, due_before="2026-07-31").json()
    assert mine == [
        {
            "id": checks[1],
            "case_id": case_id,
            "number": 2,
            "due": "2026-04-30",
            "state": "scheduled",
            "months_after": 3,
        }
    ]  # the recorded check is gone; the 6-month check is due on, not before, 31 July
    assert [c["number"] for c in listed(staff.worker, due_before="2027-02-01").json()] == [2, 3, 4]
    assert listed(account("followup_worker", "nghe-an"), due_before="2027-02-01").json() == []
    national = account("followup_worker", None)
    assert len(listed(national, due_before="2027-02-01").json()) == 3
    assert len(listed(national, due_before="2027-02-01", province="sample").json()) == 3
    assert listed(national, due_before="2027-02-01", province="nghe-an").json() == []

    assert _error(listed(staff.worker), 422)[1] == "due_before"
    assert _error(listed(staff.worker, due_before="soon"), 422)[1] == "due_before"
    assert _error(listed(staff.worker, due_before="2027-02-01", province="nghe-an"), 403)[0] == (
        "OutsideProvince"
    )
    assert _error(listed(national, due_before="2027-02-01", province="atlantis"), 422)[2] == (
        "unknown_value"
    )
