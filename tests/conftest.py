"""Shared test settings: where the project's shared folder is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VONGTAY_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the checkout (CI puts it there); its absence is a failure, not a skip."""
    assert SHARED.is_dir(), f"the shared folder is missing: {SHARED} (set VONGTAY_SHARED_DIR)"
    return SHARED


# the database fixtures (SQLite and PostgreSQL) for every test that needs them
from tests.dbfixtures import db_url, empty_db_url, migrated_engine, module_engine  # noqa: E402, F401
