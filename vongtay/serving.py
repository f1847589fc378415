"""What `vongtay serve` starts: the API workers, a Prefect runner hosting the deployments, and
(on one machine) a Prefect server for them.

With `PREFECT_API_URL` set, the runner and the API use that server (its own database may be
PostgreSQL), and more runners, on more hosts, can serve the same deployments
(`vongtay serve --runner-only`); the API can run alone on its hosts (`--api-only`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rich.console import Console


def _wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the Prefect server did not answer at {url} within {seconds:.0f} s")


def start_prefect_server(console: Console, port: int = 4200) -> subprocess.Popen[bytes]:
    """A local Prefect server (its database under ./var/prefect) for a one-machine set-up."""
    home = Path("var") / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_HOME": str(home.resolve()), "DO_NOT_TRACK": "1"}
    log = (home / "server.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api"
    console.print(f"starting a Prefect server at {url} (log: {home / 'server.log'})")
    _wait_healthy(url, process)
    os.environ["PREFECT_API_URL"] = url
    return process


def start_api(host: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """The API workers, in their own process, dispatching through Prefect."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "vongtay.asgi:create_app",
            "--factory",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=dict(os.environ),
    )


def serve(host: str, port: int, workers: int, *, api: bool, runner: bool, console: Console) -> None:
    """Run until interrupted; children are stopped on the way out."""
    children: list[subprocess.Popen[bytes]] = []
    try:
        if not os.environ.get("PREFECT_API_URL"):
            children.append(start_prefect_server(console))
        if api:
            children.append(start_api(host, port, workers))
            console.print(f"API on http://{host}:{port} (OpenAPI at /docs)")
        if runner:
            from cases.dispatch import set_dispatcher
            from flows.deployments import serve_deployments
            from flows.dispatchers import PrefectDispatcher

            set_dispatcher(PrefectDispatcher())
            console.print("serving the flow deployments (daily sweep at 01:30, Viet Nam time)")
            serve_deployments()
        else:
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
