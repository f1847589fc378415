"""Races on PostgreSQL (design §4): the real app behind a real server, with requests that
arrive at the same moment from separate connections.

- two approvers approving the same proposal at once yield exactly one approval;
- two clients receiving with the same Idempotency-Key at once yield one case.

PostgreSQL only: SQLite serialises every writer (BEGIN IMMEDIATE), so there is no race to lose.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from cases.models import Approval, Case, IdempotencyRecord
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import Account, intake_body

pytestmark = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

ROUNDS = 10
CASES = "/api/v1/cases"


@pytest.fixture
def server(configured: str) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(), log_level="warning", lifespan="off", access_log=False)
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not instance.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start within 15 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _at_once(
    clients: list[httpx.Client], send: Callable[[httpx.Client], httpx.Response]
) -> list[httpx.Response]:
    """Send one request per client, all released by one barrier; the responses in order."""
    barrier = threading.Barrier(len(clients))
    results: list[httpx.Response | BaseException | None] = [None] * len(clients)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = send(clients[index])
        except BaseException as exc:  # reported below, in the test's thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    responses = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        assert result is not None, "a request did not finish"
        responses.append(result)
    return responses


def _clients(base_url: str, *accounts: Account) -> list[httpx.Client]:
    """One client (one connection) per account, already connected, so the barrier releases
    requests and not connection set-ups."""
    clients = [httpx.Client(base_url=base_url, headers=a.headers, timeout=30) for a in accounts]
    for client in clients:
        assert client.get("/openapi.json").status_code == 200
    return clients


def _proposal(client: TestClient, intake: Account) -> tuple[str, str]:
    created = client.post(CASES, json=intake_body(), headers=intake.headers)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    verified = client.post(
        f"{CASES}/{case_id}/verification",
        json={"notified_on": "2025-10-02", "result": "needs_identification"},
        headers=intake.headers,
    )
    assert verified.status_code == 200, verified.text
    proposed = client.post(
        f"{CASES}/{case_id}/calculations", json={"as_of": "2025-10-10"}, headers=intake.headers
    )
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["approvals_required"] == 1
    return case_id, proposed.json()["id"]


def test_two_approvers_at_the_same_moment_yield_one_approval(
    server: str, client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    first, second = account("approver"), account("approver")
    proposals = [_proposal(client, intake) for _ in range(ROUNDS)]
    clients = _clients(server, first, second)
    try:
        for case_id, calculation_id in proposals:
            body = {"calculation_id": calculation_id, "decision": "approve"}
            responses = _at_once(
                clients,
                lambda c, case_id=case_id, body=body: c.post(
                    f"{CASES}/{case_id}/approvals", json=body
                ),
            )
            codes = sorted(r.status_code for r in responses)
            assert codes == [201, 409], [r.text for r in responses]
            won = next(r for r in responses if r.status_code == 201).json()
            assert (won["calculation_state"], won["approvals"]) == ("approved", 1)
            lost = next(r for r in responses if r.status_code == 409).json()
            assert lost["error"] in {"ConcurrentUpdate", "TransitionNotAllowed"}
            assert lost["rule"] in {"concurrent_update", "lifecycle"}
            read = client.get(
                f"{CASES}/{case_id}/calculations/{calculation_id}", headers=intake.headers
            ).json()
            assert (read["state"], read["approvals"]) == ("approved", 1)
    finally:
        for c in clients:
            c.close()
    with UnitOfWork(write=False) as uow:
        for _case_id, calculation_id in proposals:
            count = uow.session.scalar(
                select(func.count())
                .select_from(Approval)
                .where(Approval.calculation_id == calculation_id)
            )
            assert count == 1, calculation_id


def test_two_clients_with_one_idempotency_key_yield_one_case(
    server: str, client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    clients = _clients(server, intake, intake)
    ids: list[str] = []
    try:
        for round_ in range(ROUNDS):
            key = f"intake-race-{round_}"
            responses = _at_once(
                clients,
                lambda c, key=key: c.post(
                    CASES, json=intake_body(), headers={"Idempotency-Key": key}
                ),
            )
            codes = sorted(r.status_code for r in responses)
            bodies: list[dict[str, Any]] = [r.json() for r in responses]
            if codes == [201, 201]:
                assert bodies[0] == bodies[1]
                ids.append(bodies[0]["id"])
            else:
                # the second arrived while the first was still running: it is told so
                assert codes == [201, 409], [r.text for r in responses]
                lost = next(
                    b for r, b in zip(responses, bodies, strict=True) if r.status_code == 409
                )
                assert (lost["error"], lost["rule"]) == ("Conflict", "in_progress")
                ids.append(next(b["id"] for b in bodies if "id" in b))
            # a later repeat always gets the first answer
            again = clients[0].post(CASES, json=intake_body(), headers={"Idempotency-Key": key})
            assert again.status_code == 201
            assert again.json()["id"] == ids[-1]
    finally:
        for c in clients:
            c.close()
    assert len(set(ids)) == ROUNDS
    with UnitOfWork(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == ROUNDS
        assert uow.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == ROUNDS
        stored = set(uow.session.scalars(select(Case.id)))
    assert stored == set(ids)
