"""Flow tests: one Prefect test harness for the whole session, and cases set up through the
service. Prefect is expensive (importing ~2 s, its temporary server 8–26 s to start, each flow
run ~1.2 s: design §5), so only the few tests that run flows use the harness, and they share it.

Prefect reads its settings when it is first imported, so the environment is set here, when this
conftest is loaded and before any test module imports `flows` (or `prefect`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

_PREFECT_HOME = tempfile.mkdtemp(prefix="vongtay-prefect-")
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
# the runs' logs go to the harness's API, at INFO, so the privacy test reads them back too
os.environ["PREFECT_LOGGING_TO_API_ENABLED"] = "true"
os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"

from tests.api.conftest import reset_caches  # noqa: E402


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's temporary server, started once per test process (one per xdist worker)."""
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.testing.utilities import prefect_test_harness

    # Prefect sets its logging up lazily; done here, its console handler writes to the
    # session's stderr, not to the stream of whichever CliRunner happens to run the first flow
    ensure_logging_setup()
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def configured(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process on a fresh, migrated database with a new vault key, and no dispatcher."""
    from cases import dispatch

    monkeypatch.setenv("VONGTAY_DATABASE_URL", db_url)
    monkeypatch.setenv("VONGTAY_VAULT_KEY", Fernet.generate_key().decode())
    monkeypatch.setattr(dispatch, "_current", dispatch.NullDispatcher())
    reset_caches()
    yield db_url
    reset_caches()
