"""The audit log's integrity through the API and the CLI (design §3, §4): an auditor sees an
intact chain, an edited or deleted row is named, and `vongtay audit verify` exits 1 on it.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from typer.testing import CliRunner

from cases.models import AuditLog
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import Account, intake_body
from vongtay.cli import app as cli

VERIFY = "/api/v1/audit/verify"


def _report(client: TestClient, who: Account) -> dict[str, Any]:
    response = client.get(VERIFY, headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _some_history(client: TestClient, account: Callable[..., Account]) -> None:
    intake = account("intake_officer")
    for _ in range(2):
        created = client.post("/api/v1/cases", json=intake_body(), headers=intake.headers)
        assert created.status_code == 201, created.text


def _row_ids() -> list[int]:
    with UnitOfWork(write=False) as uow:
        return list(uow.session.scalars(select(AuditLog.id).order_by(AuditLog.id)))


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_an_auditor_sees_an_intact_chain(
    client: TestClient, account: Callable[..., Account], role: str
) -> None:
    _some_history(client, account)
    report = _report(client, account(role, None))
    assert report["intact"] is True
    assert report["first_broken_id"] is None
    assert report["problem"] is None
    with UnitOfWork(write=False) as uow:
        rows = uow.session.scalar(select(func.count()).select_from(AuditLog))
        head = uow.session.scalar(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1))
    # rows written after the count (the auditor's own login came before it) are none
    assert report["rows"] == rows
    assert report["rows"] > 0
    assert report["head_hash"] == head
    assert len(report["head_hash"]) == 64


@pytest.mark.parametrize("role", ["intake_officer", "approver", "followup_worker"])
def test_only_auditors_and_admins_verify(
    client: TestClient, account: Callable[..., Account], role: str
) -> None:
    response = client.get(VERIFY, headers=account(role).headers)
    assert response.status_code == 403
    assert response.json()["error"] == "RoleNotAllowed"


def test_verify_needs_a_token(client: TestClient) -> None:
    assert client.get(VERIFY).status_code == 401


def test_an_edited_row_breaks_the_chain(
    client: TestClient, account: Callable[..., Account]
) -> None:
    _some_history(client, account)
    auditor = account("auditor", None)
    ids = _row_ids()
    victim = ids[len(ids) // 2]
    with UnitOfWork() as uow:
        uow.session.execute(
            update(AuditLog).where(AuditLog.id == victim).values(detail={"rewritten": True})
        )
        uow.commit()
    report = _report(client, auditor)
    assert report["intact"] is False
    assert report["first_broken_id"] == victim
    assert "edited" in report["problem"]
    assert report["rows"] == len(ids)


def test_a_deleted_row_breaks_the_chain_at_the_next(
    client: TestClient, account: Callable[..., Account]
) -> None:
    _some_history(client, account)
    auditor = account("auditor", None)
    ids = _row_ids()
    victim = ids[len(ids) // 2]
    with UnitOfWork() as uow:
        uow.session.execute(delete(AuditLog).where(AuditLog.id == victim))
        uow.commit()
    report = _report(client, auditor)
    assert report["intact"] is False
    assert report["first_broken_id"] == ids[ids.index(victim) + 1]
    assert "deleted" in report["problem"]


def test_the_cli_verifies_the_chain_and_exits_1_when_broken(
    client: TestClient, account: Callable[..., Account]
) -> None:
    # the environment (database URL, vault key) is the one `configured` set for this test
    _some_history(client, account)
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.output
    ids = _row_ids()
    victim = ids[1]
    with UnitOfWork() as uow:
        uow.session.execute(update(AuditLog).where(AuditLog.id == victim).values(actor="mallory"))
        uow.commit()
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1, broken.output
    assert f"BROKEN at row {victim}" in broken.output
