"""INTEGRATION test of the scale-out set-up (design §5): a Prefect server on PostgreSQL and two
runner processes on this machine serve the deployments; a batch of cases is dispatched through
`PrefectDispatcher`, and every flow run is executed exactly once and every case moved once.
When one runner stops, the shared deployments stay live for the other.

Real processes, real ports (loopback only), two throwaway PostgreSQL databases (one for
Prefect's server, one for the case file). It takes about a minute, every wait is bounded, and
everything is torn down even when it fails. A failure says which process failed and prints the
tail of its output.

Two quick tests without processes check what runner processes rely on: a flow run of a served
deployment dispatches through Prefect, and a runner that stops leaves the deployments unpaused.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from tests.api.conftest import reset_caches
from tests.dbfixtures import create_pg_database, drop_pg_database

REPO = Path(__file__).resolve().parents[2]
CASES = 16
RUNNERS = 2
RUNNER_LIMIT = 4  # concurrent flow runs per runner: two cores, and PostgreSQL's connections
SERVER_START_S = 60.0
RUNNERS_READY_S = 45.0
RUNS_DONE_S = 120.0
STOP_S = 15.0
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# printed by each flow run's process into its runner's output
BEGAN = re.compile(r"Beginning flow run 'intake-([0-9a-f-]{36})'")


@dataclass
class Proc:
    """A child process with its output in files, for the failure messages."""

    name: str
    popen: subprocess.Popen[bytes]
    out: Path
    files: list[IO[bytes]] = field(default_factory=list)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.out.read_text(errors="replace") if self.out.exists() else ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=STOP_S)
        for handle in self.files:
            handle.close()


def _describe(procs: list[Proc]) -> str:
    parts = []
    for proc in procs:
        state = "running" if proc.alive() else f"EXITED with status {proc.popen.returncode}"
        parts.append(
            f"--- {proc.name} (pid {proc.popen.pid}, {state}); last lines of {proc.out}:\n"
            f"{proc.tail()}"
        )
    return "\n".join(parts)


def _wait_for(what: str, check: Callable[[], bool], seconds: float, procs: list[Proc]) -> None:
    """Poll `check` until it holds; fail at once if a process died, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        dead = [p for p in procs if not p.alive()]
        if dead:
            pytest.fail(
                f"{', '.join(p.name for p in dead)} died while waiting for {what}\n"
                + _describe(procs),
                pytrace=False,
            )
        if check():
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {seconds:.0f} s waiting for {what}\n" + _describe(procs),
                pytrace=False,
            )
        time.sleep(0.5)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _start(name: str, args: list[str], env: dict[str, str], folder: Path) -> Proc:
    out = folder / f"{name}.log"
    handle = out.open("wb")
    popen = subprocess.Popen(
        args, env=env, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Proc(name, popen, out, [handle])


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    """(Prefect server's database URL for asyncpg, the case file's URL), dropped afterwards."""
    from cases.migrate import upgrade

    made: list[str] = []
    try:
        prefect_db = create_pg_database()
        made.append(prefect_db)
        case_db = create_pg_database()
        made.append(case_db)
        upgrade(case_db)
        asyncpg = make_url(prefect_db).set(drivername="postgresql+asyncpg")
        yield asyncpg.render_as_string(hide_password=False), case_db
    finally:
        reset_caches()  # the test process's engine lets go of the case database
        for url in made:
            drop_pg_database(url)


@pytest.fixture
def processes() -> Iterator[list[Proc]]:
    """The children the test starts; all stopped at the end, runners before the server."""
    procs: list[Proc] = []
    try:
        yield procs
    finally:
        for proc in reversed(procs):
            proc.stop()


def _seed(count: int) -> tuple[Any, list[str]]:
    """`count` received cases through the service, as an intake officer would."""
    from cases.accounts import Actor, create_user
    from cases.schemas import CaseCreate, PersonIn, Role
    from cases.service import receive

    user_id, _password = create_user("scale-out-intake", Role.intake_officer.value, "sample")
    actor = Actor(user_id, "scale-out-intake", Role.intake_officer, "sample")
    ids = []
    for i in range(count):
        command = CaseCreate(
            person=PersonIn(full_name=f"Người Thử Số {i}"),
            facility="Trung tâm Công tác xã hội mẫu",
            facts={
                "status": "undergoing_identification",
                "nationality": "vietnamese",
                "location": "in_vietnam",
                "birth_date": f"199{i % 10}-0{1 + i % 9}-1{i % 10}",
                "sex": "female",
                "province": "sample",
                "received_on": "2025-10-01",
                "stay": {"from": "2025-10-01"},
                "insured": False,
                "returning_home": True,
            },
        )
        status, body = receive(actor, command)
        assert status == 201, body
        ids.append(str(body["id"]))
    return actor, ids


@pytest.mark.postgres
def test_integration_two_runners_run_every_dispatched_flow_exactly_once(
    databases: tuple[str, str],
    processes: list[Proc],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefect_db, case_db = databases
    vault_key = Fernet.generate_key().decode()
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VONGTAY_"))}
    base |= {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }
    started = time.monotonic()

    # the Prefect server, on its own PostgreSQL database
    server_env = base | {
        "PREFECT_HOME": str(tmp_path / "server-home"),
        "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
        "PREFECT_UI_ENABLED": "false",
    }
    command = ["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    server = _start("prefect-server", [sys.executable, "-m", *command], server_env, tmp_path)
    processes.append(server)
    _wait_for(f"the Prefect server's {api}/health", lambda: _healthy(api), SERVER_START_S, [server])
    server_s = time.monotonic() - started

    # two runners serving the same deployments, against the case database
    runner_code = (
        f"from flows.deployments import serve_deployments; serve_deployments(limit={RUNNER_LIMIT})"
    )
    runners = []
    for number in range(1, RUNNERS + 1):
        env = base | {
            "PREFECT_HOME": str(tmp_path / f"runner-{number}-home"),
            "PREFECT_API_URL": api,
            "PREFECT_RUNNER_POLL_FREQUENCY": "2",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "VONGTAY_DATABASE_URL": case_db,
            "VONGTAY_VAULT_KEY": vault_key,
        }
        runner = _start(f"runner-{number}", [sys.executable, "-c", runner_code], env, tmp_path)
        processes.append(runner)
        runners.append(runner)
    _wait_for(
        "both runners to serve the deployments",
        lambda: all("being served" in r.output() for r in runners),
        RUNNERS_READY_S,
        processes,
    )
    ready_s = time.monotonic() - started

    # the test process: the same case database and key, Prefect's API at the server
    from cases import dispatch
    from cases.service import case_events, get_case

    monkeypatch.setenv("VONGTAY_DATABASE_URL", case_db)
    monkeypatch.setenv("VONGTAY_VAULT_KEY", vault_key)
    monkeypatch.setattr(dispatch, "_current", dispatch.NullDispatcher())
    reset_caches()
    # The system account exists before the runs: `cases.accounts.system_actor` creates it on
    # first use without handling a concurrent creation, so two runs making it at once on a
    # fresh database lose one to a unique violation (not retried). Reported; not this test's.
    from cases.accounts import system_actor

    system_actor()
    actor, case_ids = _seed(CASES)

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.dispatchers import PrefectDispatcher

    runs: list[Any] = []
    with temporary_settings(updates={PREFECT_API_URL: api}):
        dispatcher = PrefectDispatcher()
        for case_id in case_ids:
            dispatcher.dispatch("intake", case_id)
        dispatched_s = time.monotonic() - started

        # the intake flow's runs only: the daily sweep's cron has scheduled runs of its own
        intake_runs = FlowFilter(name=FlowFilterName(any_=["intake"]))

        def all_final() -> bool:
            nonlocal runs
            with get_client(sync_client=True) as client:
                runs = list(client.read_flow_runs(flow_filter=intake_runs, limit=200))
            failed = [
                r for r in runs if r.state_type and r.state_type.value in FINAL - {"COMPLETED"}
            ]
            if failed:
                pytest.fail(
                    "flow runs ended badly: "
                    + ", ".join(
                        f"{r.name} {r.state_name}: {r.state.message if r.state else ''}"
                        for r in failed
                    )
                    + "\n"
                    + _describe(processes),
                    pytrace=False,
                )
            return len(runs) >= CASES and all(
                r.state_type is not None and r.state_type.value in FINAL for r in runs
            )

        _wait_for(f"{CASES} flow runs to complete", all_final, RUNS_DONE_S, processes)
        done_s = time.monotonic() - started

        # one runner stops: the deployments it shared stay live (the sweep's cron included)
        runners[0].stop()
        with get_client(sync_client=True) as client:
            paused = [d.name for d in client.read_deployments() if d.paused]
        assert paused == [], f"{runners[0].name} stopping paused {paused} for every runner"

    # every dispatch made one run, and each run completed on its first and only attempt
    names = Counter(r.name for r in runs)
    assert len(runs) == CASES, f"{len(runs)} flow runs for {CASES} dispatches: {names}"
    assert sorted(names) == sorted(f"intake-{c}" for c in case_ids), names
    assert {r.state_type.value for r in runs} == {"COMPLETED"}
    assert [r.name for r in runs if r.run_count != 1] == [], "a flow run was executed twice"

    # each run's process began exactly once, in one runner or the other
    began = {r.name: Counter(BEGAN.findall(r.output())) for r in runners}
    total = sum(began.values(), Counter())
    assert sorted(total) == sorted(case_ids), (
        "not every case's intake began in a runner\n" + _describe(processes)
    )
    assert [c for c, n in total.items() if n != 1] == [], "an intake began twice"
    shares = {name: sum(counts.values()) for name, counts in began.items()}

    # every case moved once, to awaiting_verification
    for case_id in case_ids:
        kinds = [e.kind for e in case_events(actor, case_id)]
        assert kinds.count("intake_done") == 1, (case_id, kinds)
        assert get_case(actor, case_id).stage == "awaiting_verification", case_id

    print(
        f"\nscale-out: server healthy after {server_s:.1f} s, runners ready after {ready_s:.1f} s, "
        f"{CASES} dispatched after {dispatched_s:.1f} s, all completed after {done_s:.1f} s; "
        f"runs per runner: {shares}"
    )
    # both runners take part (a runner holds at most RUNNER_LIMIT runs at once)
    assert all(shares.values()), f"a runner ran nothing: {shares}"


def test_a_served_deployments_run_dispatches_through_prefect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A runner runs each flow in a fresh process, without the dispatcher `vongtay serve` set in
    its own: the flows that dispatch install `PrefectDispatcher` there, and only there."""
    from cases import dispatch
    from flows.dispatchers import (
        InlineDispatcher,
        PrefectDispatcher,
        dispatch_through_prefect_in_deployment_runs,
    )

    monkeypatch.setattr(dispatch, "_current", dispatch.NullDispatcher())
    monkeypatch.delenv("PREFECT__RUNTIME__DEPLOYMENT__ID", raising=False)
    dispatch_through_prefect_in_deployment_runs()  # not a deployment's run: left alone
    assert isinstance(dispatch.dispatcher(), dispatch.NullDispatcher)

    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "a-deployment")
    dispatch_through_prefect_in_deployment_runs()
    assert isinstance(dispatch.dispatcher(), PrefectDispatcher)

    inline = InlineDispatcher()  # the demo's: kept even inside a deployment's run
    monkeypatch.setattr(dispatch, "_current", inline)
    dispatch_through_prefect_in_deployment_runs()
    assert dispatch.dispatcher() is inline


def test_a_runner_that_stops_leaves_the_shared_deployments_live(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows import deployments

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(deployments, "serve", lambda *a, **k: calls.append((a, k)))
    deployments.serve_deployments(limit=3)
    [(served, options)] = calls
    assert len(served) == len(deployments.deployments())
    assert options == {"limit": 3, "pause_on_shutdown": False}
