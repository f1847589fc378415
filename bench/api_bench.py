"""Latency and memory of one API worker under concurrent clients, on loopback.

The issue's targets: with 50 concurrent clients, GET /api/v1/cases/{id} p95 ≤ 25 ms and
POST /api/v1/cases/{id}/calculations p95 ≤ 50 ms, with no errors; one API worker ≤ 300 MB RSS.

What it does:
  1. makes a fresh database (a SQLite file in a temporary folder, or a PostgreSQL database
     `vongtay_bench_<hex>` on the local test server), migrates it, generates a vault key and
     creates an intake officer and an approver in the demo province `sample`;
  2. starts ONE API worker as its own process (uvicorn, access log off, log level warning) on a
     free loopback port, and waits until it answers;
  3. seeds `--cases` cases through the API (intake, verification, identification as a victim with
     a certificate) for generated fake persons;
  4. sends `--requests` GET /cases/{id}, then `--requests` POST /cases/{id}/calculations, over
     random seeded ids from `--clients` concurrent keep-alive clients, timing each request, while
     sampling the worker's RSS (with its children) every 50 ms;
  5. prints count, errors, p50/p95/p99/max, throughput and peak RSS against the targets, then
     stops the worker and removes the database.

By default the loop is closed: each client sends its next request as soon as it has the answer,
so 50 requests are always in flight and the figures are those of a saturated worker (by Little's
law, mean latency = clients / throughput). `--rate R` opens the loop instead: R requests/s in
all, each timed from when it was due. Two calculations on one case at once are a real conflict
(the second gets 409 ConcurrentUpdate); `--calc-ids disjoint` gives each client its own cases.

The clients run in this process, on the same machine as the worker: their CPU is taken from the
worker's, and each timing includes the client's own work. The CPU seconds of both are printed.
The default client (`--client raw`) is a hand-written keep-alive HTTP/1.1 connection per client,
because httpx costs about as much CPU per request as the worker; `--client httpx` uses
httpx.AsyncClient with a pool of `--clients` connections. Logins and seeding always use httpx.

Run: .venv/bin/python -m bench.api_bench [--db sqlite|postgres] [--clients 50] [--requests 2000]
         [--cases 200] [--rate R] [--calc-ids random|disjoint] [--client raw|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import psutil  # type: ignore[import-untyped]  # no types-psutil in the dev tools
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Only databases with this prefix are ever dropped.
PG_PREFIX = "vongtay_bench_"
API = "/api/v1"

GET_P95_MS = 25.0
CALC_P95_MS = 50.0
RSS_MB = 300.0

# The journey's dates: received 2025-10-01, identified 2025-10-20, support computed on 2025-11-30.
AS_OF = "2025-11-30"
STARTUP_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 60.0


# ---------------------------------------------------------------------------------------------
# the database


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """The URL of a new, empty database; removed when the block ends."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="vongtay-bench-"))
        try:
            yield f"sqlite:///{folder / 'bench.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN_URL).set(drivername="postgresql").render_as_string(False)
    name = f"{PG_PREFIX}{uuid.uuid4().hex}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        assert name.startswith(PG_PREFIX)
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def prepare(url: str, vault_key: str) -> dict[str, tuple[str, str]]:
    """Migrate, then create the two accounts; returns {role: (username, password)}."""
    os.environ["VONGTAY_DATABASE_URL"] = url
    os.environ["VONGTAY_VAULT_KEY"] = vault_key
    from cases.accounts import create_user
    from cases.db import default_engine
    from cases.migrate import upgrade
    from cases.settings import get_settings

    get_settings.cache_clear()
    default_engine.cache_clear()
    upgrade(url)
    accounts = {}
    for role in ("intake_officer", "approver"):
        username = f"bench-{role.replace('_', '-')}"
        _id, password = create_user(username, role, "sample")
        accounts[role] = (username, password)
    default_engine().dispose()  # this process holds no connection during the load
    return accounts


# ---------------------------------------------------------------------------------------------
# the worker


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


@contextmanager
def api_worker(
    url: str, vault_key: str, log: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """One uvicorn worker on a free loopback port, answering; stopped when the block ends."""
    port = free_port()
    env = {**os.environ, "VONGTAY_DATABASE_URL": url, "VONGTAY_VAULT_KEY": vault_key}
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            server_command(port), cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the worker exited ({proc.returncode}):\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not answer in {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(0.1)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on SIGINT
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def rss_bytes(proc: psutil.Process) -> int:
    """RSS of a process and all its children."""
    total = 0
    for one in [proc, *proc.children(recursive=True)]:
        with suppress(psutil.NoSuchProcess):
            total += one.memory_info().rss
    return total


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


class RssSampler:
    """Peak RSS of a process tree, sampled every `interval` seconds on a thread."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = rss_bytes(self.proc)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_bytes(self.proc))
                self.samples += 1
            except psutil.NoSuchProcess:
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# the clients


def fake_person(i: int) -> dict[str, Any]:
    """A generated person: never a real name."""
    return {
        "full_name": f"Người Thử {i}",
        "aliases": [],
        "id_number": f"BENCH{i:08d}",
        "address": f"Thôn Thử {i}, xã Thử Nghiệm",
        "phone": None,
        "health_notes": None,
    }


def intake(i: int) -> dict[str, Any]:
    """A valid intake (as tests/api/conftest.py `intake_body`) for fake person `i`."""
    return {
        "person": fake_person(i),
        "facility": "Trung tâm Công tác xã hội mẫu",
        "facts": {
            "status": "undergoing_identification",
            "nationality": "vietnamese",
            "location": "in_vietnam",
            "birth_date": f"{1980 + i % 25}-04-10",
            "sex": "female" if i % 2 else "male",
            "province": "sample",
            "received_on": "2025-10-01",
            "stay": {"from": "2025-10-01"},
            "insured": False,
            "returning_home": True,
        },
    }


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post(
        f"{API}/auth/token", data={"username": username, "password": password}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def seed_one(client: httpx.AsyncClient, headers: dict[str, str], i: int) -> str:
    """Intake, verification (needs identification), identification as a victim: calculable."""
    created = await client.post(f"{API}/cases", json=intake(i), headers=headers)
    if created.status_code != 201:
        raise RuntimeError(f"intake {i}: {created.status_code} {created.text[:300]}")
    case_id: str = created.json()["id"]
    verified = await client.post(
        f"{API}/cases/{case_id}/verification",
        json={"notified_on": "2025-10-02", "result": "needs_identification"},
        headers=headers,
    )
    if verified.status_code != 200:
        raise RuntimeError(f"verification {i}: {verified.status_code} {verified.text[:300]}")
    identified = await client.post(
        f"{API}/cases/{case_id}/identification",
        json={
            "result": "victim",
            "certificate": {"issuer": "Công an tỉnh", "number": f"{i}/GCN", "date": "2025-10-20"},
        },
        headers=headers,
    )
    if identified.status_code != 200 or identified.json()["stage"] != "identified":
        raise RuntimeError(f"identification {i}: {identified.status_code} {identified.text[:300]}")
    return case_id


async def seed(
    client: httpx.AsyncClient, headers: dict[str, str], n: int, concurrency: int, budget_s: float
) -> list[str]:
    """`n` identified cases, `concurrency` at a time, within `budget_s` seconds."""
    numbers = iter(range(n))
    ids: list[str] = []
    deadline = time.monotonic() + budget_s

    async def worker() -> None:
        for i in numbers:
            if time.monotonic() > deadline:
                return
            ids.append(await seed_one(client, headers, i))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids


@dataclass
class Phase:
    """What one load phase measured."""

    name: str
    target_ms: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful or not
    errors: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    peak_rss: int = 0
    rss_samples: int = 0
    stopped_by_time: bool = False


class Transport(Protocol):
    """One client's way of sending a request: (status, body) back, or an exception."""

    async def request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]: ...

    async def aclose(self) -> None: ...


class RawTransport:
    """One keep-alive HTTP/1.1 connection of its own, written and parsed by hand.

    httpx spends about as much CPU per request as the worker does; on a machine with 2 cores
    the clients would then take a core from the worker. This client costs a tenth of that.
    Responses must carry Content-Length (every FastAPI JSON answer does).
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.head += f"Host: {host}:{port}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        extra = (
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            if body is not None
            else ""
        )
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode())
        if body is not None:
            self.writer.write(body)
        try:
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
                elif name == b"transfer-encoding":
                    raise ValueError("chunked responses are not read by this client")
            payload = await self.reader.readexactly(length)
        except BaseException:
            await self.aclose()
            raise
        if close:
            await self.aclose()
        return status, payload

    async def aclose(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with suppress(OSError):
                await writer.wait_closed()


class HttpxTransport:
    """A request through the shared httpx.AsyncClient (its pool holds one connection per
    client)."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    async def request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        headers = self.headers
        if body is not None:
            headers = {**headers, "Content-Type": "application/json"}
        response = await self.client.request(method, path, content=body, headers=headers)
        return response.status_code, response.content

    async def aclose(self) -> None:
        return None


Request = Callable[[str], tuple[str, str, bytes | None]]  # case id → (method, path, body)


async def load(
    phase: Phase,
    transports: list[Transport],
    make: Request,
    pools: list[list[str]],
    *,
    requests: int,
    seed: int,
    budget_s: float,
    rate: float | None,
) -> None:
    """`requests` requests, client `k` on random ids of `pools[k]`, each request timed.

    Closed loop (`rate` None): each client sends its next request as soon as it has its answer.
    Open loop: request `i` is due at `i / rate` s; a request's time runs from when it was due,
    so a wait for a free client (all busy) counts in its latency.
    """
    numbers = iter(range(requests))
    deadline = time.monotonic() + budget_s
    origin = time.perf_counter()

    async def worker(k: int, transport: Transport) -> None:
        rng = random.Random(seed * 1_000 + k)
        for i in numbers:
            if time.monotonic() > deadline:
                phase.stopped_by_time = True
                return
            method, path, body = make(rng.choice(pools[k]))
            if rate is None:
                start = time.perf_counter()
            else:
                start = origin + i / rate
                if (wait := start - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    status, payload = await transport.request(method, path, body)
            except (OSError, TimeoutError, ValueError, EOFError, httpx.HTTPError) as exc:
                phase.latencies.append(time.perf_counter() - start)
                phase.errors[f"{type(exc).__name__}: {exc}"[:200]] += 1
                continue
            phase.latencies.append(time.perf_counter() - start)
            if not 200 <= status < 300:
                phase.errors[f"{status} {payload[:160].decode(errors='replace')}"] += 1

    await asyncio.gather(*(worker(k, t) for k, t in enumerate(transports)))
    phase.wall_s = time.perf_counter() - origin


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report(phase: Phase) -> None:
    lat = phase.latencies
    n = len(lat)
    errors = sum(phase.errors.values())
    print(f"\n{phase.name}")
    if not n:
        print("   no request completed")
        return
    ms = [x * 1e3 for x in lat]
    p50, p95, p99 = (percentile(ms, q) for q in (0.50, 0.95, 0.99))
    print(f"   count {n:,}   errors {errors:,}   wall {phase.wall_s:.2f} s")
    print(f"   p50 {p50:.1f} ms   p95 {p95:.1f} ms   p99 {p99:.1f} ms   max {max(ms):.1f} ms")
    print(f"   throughput {n / phase.wall_s:,.0f} req/s")
    print(
        f"   CPU: worker {phase.server_cpu_s:.1f} s ({phase.server_cpu_s / n * 1e3:.1f} ms/req), "
        f"clients {phase.client_cpu_s:.1f} s ({phase.client_cpu_s / n * 1e3:.1f} ms/req)"
    )
    print(f"   peak RSS {phase.peak_rss / 2**20:.0f} MB ({phase.rss_samples} samples)")
    print(f"   p95 {phase.target_ms:.0f} ms: {verdict(p95 <= phase.target_ms)}")
    print(f"   no errors: {verdict(errors == 0)}")
    if phase.stopped_by_time:
        print("   (stopped by the time budget before all requests were sent)")
    for message, count in phase.errors.most_common(10):
        print(f"   error ×{count}: {message}")


async def run_load(base: str, proc: psutil.Process, args: argparse.Namespace) -> list[Phase]:
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as setup:
        headers = await login(setup, *args.accounts["intake_officer"])
        await login(setup, *args.accounts["approver"])  # the second account, as in the journey
        start = time.perf_counter()
        ids = await seed(setup, headers, args.cases, args.seed_clients, args.budget)
        seed_s = time.perf_counter() - start
    print(
        f"seeded {len(ids):,} identified cases in {seed_s:.1f} s "
        f"({seed_s / max(1, len(ids)) * 1e3:.0f} ms per case: 3 POSTs, "
        f"{args.seed_clients} at a time); worker RSS {rss_bytes(proc) / 2**20:.0f} MB"
    )
    if not ids:
        raise RuntimeError("no case was seeded")

    calc_body = json.dumps({"as_of": args.as_of}).encode()
    everyone = [ids] * args.clients
    own = [ids[k :: args.clients] for k in range(args.clients)]
    requests: list[tuple[str, float, Request, list[list[str]]]] = [
        (
            f"GET {API}/cases/{{id}}",
            GET_P95_MS,
            lambda case_id: ("GET", f"{API}/cases/{case_id}", None),
            everyone,
        ),
        (
            f"POST {API}/cases/{{id}}/calculations",
            CALC_P95_MS,
            lambda case_id: ("POST", f"{API}/cases/{case_id}/calculations", calc_body),
            own if args.calc_ids == "disjoint" else everyone,
        ),
    ]
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=REQUEST_TIMEOUT_S) as pool:
        transports: list[Transport]
        if args.client == "httpx":
            transports = [HttpxTransport(pool, headers) for _ in range(args.clients)]
        else:
            host, port = base.removeprefix("http://").split(":")
            transports = [RawTransport(host, int(port), headers) for _ in range(args.clients)]
        phases = []
        try:
            for number, (name, target, make, pools) in enumerate(requests):
                # warm-up, not counted: opens every connection and runs the code path
                await load(
                    Phase(name, target), transports, make, pools, requests=args.clients * 2,
                    seed=args.seed + 100 + number, budget_s=args.budget, rate=None,
                )  # fmt: skip
                phase = Phase(name, target)
                server_cpu, client_cpu = cpu_seconds(proc), cpu_seconds(psutil.Process())
                with RssSampler(proc.pid) as sampler:
                    await load(
                        phase, transports, make, pools, requests=args.requests,
                        seed=args.seed + number, budget_s=args.budget, rate=args.rate,
                    )  # fmt: skip
                phase.server_cpu_s = cpu_seconds(proc) - server_cpu
                phase.client_cpu_s = cpu_seconds(psutil.Process()) - client_cpu
                phase.peak_rss, phase.rss_samples = sampler.peak, sampler.samples
                phases.append(phase)
        finally:
            for transport in transports:
                await transport.aclose()
        return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint")
    parser.add_argument("--cases", type=int, default=200, help="cases seeded")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="raw: one hand-written keep-alive connection per client (cheap); "
        "httpx: httpx.AsyncClient with a pool of --clients connections",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="open loop: this many requests/s in all (default: closed loop, no pause)",
    )
    parser.add_argument(
        "--calc-ids",
        choices=("random", "disjoint"),
        default="random",
        help="calculations on random ids (two clients may hit one case at once) or on ids "
        "each client owns",
    )
    parser.add_argument("--seed-clients", type=int, default=8, help="concurrency while seeding")
    parser.add_argument("--as-of", default=AS_OF, help="date of the calculations")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the ids")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per phase, at most")
    args = parser.parse_args()
    if min(args.clients, args.requests, args.cases, args.seed_clients) < 1:
        parser.error("--clients, --requests, --cases and --seed-clients must be at least 1")
    if args.calc_ids == "disjoint" and args.cases < args.clients:
        parser.error("--calc-ids disjoint needs at least as many --cases as --clients")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be positive")

    cores = os.cpu_count()
    print(
        f"database: {args.db}   clients: {args.clients}   requests: {args.requests:,} per "
        f"endpoint   cases: {args.cases:,}   client: {args.client}   cores: {cores} "
        "(clients and worker share them)"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    loop = "closed (no pause)" if args.rate is None else f"open, {args.rate:g} req/s in all"
    print(f"loop: {loop}   calculation ids: {args.calc_ids}   as_of: {args.as_of}")
    print("worker: " + " ".join(server_command(0)[1:]).replace("--port 0", "--port <free>"))
    vault_key = Fernet.generate_key().decode()
    with fresh_database(args.db) as url, tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        args.accounts = prepare(url, vault_key)
        print(f"database migrated, 2 accounts created in {time.perf_counter() - start:.1f} s")
        with api_worker(url, vault_key, Path(tmp) / "worker.log") as (base, popen):
            proc = psutil.Process(popen.pid)
            print(
                f"worker pid {popen.pid} answering; RSS at start {rss_bytes(proc) / 2**20:.0f} MB"
            )
            phases = asyncio.run(run_load(base, proc, args))
            for phase in phases:
                report(phase)
            peak = max(phase.peak_rss for phase in phases)
            print(
                f"\npeak RSS of the worker over both phases {peak / 2**20:.0f} MB "
                f"(sampled every 50 ms, children included); ≤ {RSS_MB:.0f} MB: "
                f"{verdict(peak / 2**20 <= RSS_MB)}"
            )
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        log = (Path(tmp) / "worker.log").read_text(errors="replace").strip()
        if log:
            tail = "\n".join(log.splitlines()[-20:])
            print(f"\nworker log (last lines):\n{tail}")


if __name__ == "__main__":
    main()
