"""An API on a fresh database (SQLite and PostgreSQL), and accounts to call it with."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from api.app import create_app
from cases.accounts import create_user
from cases.db import default_engine
from cases.settings import get_settings
from cases.vault import default_vault


def reset_caches() -> None:
    """Settings, engine and vault are made once per process; a test with its own database
    and key must start them again."""
    if default_engine.cache_info().currsize:
        default_engine().dispose()
    for cached in (get_settings, default_engine, default_vault):
        cached.cache_clear()


@pytest.fixture
def configured(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process configured for a fresh, migrated database and a new vault key."""
    monkeypatch.setenv("VONGTAY_DATABASE_URL", db_url)
    monkeypatch.setenv("VONGTAY_VAULT_KEY", Fernet.generate_key().decode())
    reset_caches()
    yield db_url
    reset_caches()


@pytest.fixture
def client(configured: str) -> Iterator[TestClient]:
    """A client of the real app over the ASGI interface (no network)."""
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Account:
    username: str
    password: str
    role: str
    province: str | None
    headers: dict[str, str]


_numbers = itertools.count()


@pytest.fixture
def account(client: TestClient) -> Callable[..., Account]:
    """`account("approver", "sample")` creates an account and logs it in."""

    def make(role: str, province: str | None = "sample", username: str | None = None) -> Account:
        name = username or f"{role}-{next(_numbers)}"
        _id, password = create_user(name, role, province)
        response = client.post("/api/v1/auth/token", data={"username": name, "password": password})
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        return Account(name, password, role, province, {"Authorization": f"Bearer {token}"})

    return make


SAMPLE_PERSON = {
    "full_name": "Nguyễn Thị Mẫu Thử",
    # not ASCII: a short ASCII alias could turn up by chance in base64 ciphertext
    "aliases": ["Mây Đào"],
    "id_number": "001099000777",
    "address": "Thôn Bảy, xã Thử Nghiệm",
    "phone": "0912000777",
    "health_notes": "Vết thương ở tay trái",
}


def intake_body(**facts: object) -> dict[str, object]:
    """A valid intake for a person waiting for identification in the demo province."""
    base: dict[str, object] = {
        "status": "undergoing_identification",
        "nationality": "vietnamese",
        "location": "in_vietnam",
        "birth_date": "1998-04-10",
        "sex": "female",
        "province": "sample",
        "received_on": "2025-10-01",
        "stay": {"from": "2025-10-01"},
        "insured": False,
        "returning_home": True,
    }
    base.update(facts)
    return {
        "person": dict(SAMPLE_PERSON),
        "facility": "Trung tâm Công tác xã hội mẫu",
        "facts": base,
    }


@pytest.fixture
def partner_account(client: TestClient) -> Callable[..., Account]:
    """`partner_account("vtc-sample")` creates an account of that registered partner
    organisation (it takes the organisation's province) and logs it in."""

    def make(slug: str, username: str | None = None) -> Account:
        name = username or f"partner-{next(_numbers)}"
        _id, password = create_user(name, "partner", None, partner=slug)
        response = client.post("/api/v1/auth/token", data={"username": name, "password": password})
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        return Account(name, password, "partner", None, {"Authorization": f"Bearer {token}"})

    return make
