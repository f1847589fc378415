"""Auth and the security a reviewer expects (design §4): tokens that expire and can be revoked,
throttled and audited logins, secrets from the environment, CORS closed, bounded bodies, and an
OpenAPI document that declares every route's errors. Database tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import pkgutil
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, update

import api.routes
from api.app import create_app
from cases.accounts import create_user, disable_user
from cases.models import ApiToken, AuditLog, UserAccount
from cases.settings import ConfigurationError, get_settings
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import Account, intake_body, reset_caches

TOKEN = "/api/v1/auth/token"
LOGOUT = "/api/v1/auth/logout"
CASES = "/api/v1/cases"
ERROR_KEYS = {"error", "detail", "field", "rule"}
WRONG_PASSWORD = "Sai-Mật-Khẩu-7391-xyzzy"


def _login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = client.post(TOKEN, data={"username": username, "password": password})
    return response.status_code, response.json()


def _audit_rows() -> list[tuple[object, ...]]:
    """Every audit row as (actor, action, subject_type, subject_id, purpose, detail)."""
    columns = (
        AuditLog.actor,
        AuditLog.action,
        AuditLog.subject_type,
        AuditLog.subject_id,
        AuditLog.purpose,
        AuditLog.detail,
    )
    with UnitOfWork(write=False) as uow:
        return [tuple(row) for row in uow.session.execute(select(*columns).order_by(AuditLog.id))]


def _other_client(address: str) -> TestClient:
    """A second client of the same app and database, from another address."""
    return TestClient(create_app(), raise_server_exceptions=False, client=(address, 40000))


# --- tokens ---------------------------------------------------------------------------------------


def test_a_password_gets_a_bearer_token_that_expires(client: TestClient) -> None:
    _id, password = create_user("tok-user", "intake_officer", "sample")
    before = datetime.now(UTC)
    response = client.post(TOKEN, data={"username": "tok-user", "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"]
    expires = datetime.fromisoformat(body["expires_at"])
    ttl = timedelta(minutes=get_settings().token_ttl_minutes)
    assert before + ttl - timedelta(seconds=5) <= expires <= datetime.now(UTC) + ttl
    listed = client.get(CASES, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert listed.status_code == 200, listed.text


def test_the_token_lifetime_comes_from_the_environment(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VONGTAY_TOKEN_TTL_MINUTES", "7")
    reset_caches()
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        _id, password = create_user("ttl-user", "auditor", None)
        status, body = _login(client, "ttl-user", password)
    assert status == 200
    expires = datetime.fromisoformat(str(body["expires_at"]))
    assert timedelta(minutes=6) < expires - datetime.now(UTC) <= timedelta(minutes=7)


def test_a_wrong_password_is_401_in_the_error_shape(client: TestClient) -> None:
    create_user("wrong-pw", "approver", "sample")
    response = client.post(TOKEN, data={"username": "wrong-pw", "password": WRONG_PASSWORD})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "AuthenticationFailed"
    assert body["rule"] == "credentials"
    assert WRONG_PASSWORD not in response.text


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    create_user("known-user", "approver", "sample")
    wrong = client.post(TOKEN, data={"username": "known-user", "password": WRONG_PASSWORD})
    unknown = client.post(TOKEN, data={"username": "nobody-here", "password": WRONG_PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert unknown.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["none", "unknown", "basic"],
)
def test_a_route_without_a_valid_bearer_token_is_401(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.get(CASES, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) == ERROR_KEYS
    assert response.json()["error"] == "AuthenticationFailed"


def test_logout_revokes_the_token(client: TestClient, account: Callable[..., Account]) -> None:
    intake = account("intake_officer")
    assert client.get(CASES, headers=intake.headers).status_code == 200
    out = client.post(LOGOUT, headers=intake.headers)
    assert out.status_code == 204
    after = client.get(CASES, headers=intake.headers)
    assert after.status_code == 401
    assert after.json()["rule"] == "token"
    # logging in again gives a new token that works
    status, body = _login(client, intake.username, intake.password)
    assert status == 200
    fresh = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get(CASES, headers=fresh).status_code == 200


def test_logout_revokes_only_that_token(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    _status, second = _login(client, intake.username, intake.password)
    other = {"Authorization": f"Bearer {second['access_token']}"}
    assert client.post(LOGOUT, headers=intake.headers).status_code == 204
    assert client.get(CASES, headers=intake.headers).status_code == 401
    assert client.get(CASES, headers=other).status_code == 200


def test_an_expired_token_is_401_token_expired(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    with UnitOfWork() as uow:
        user_id = uow.session.scalar(
            select(UserAccount.id).where(UserAccount.username == intake.username)
        )
        uow.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    response = client.get(CASES, headers=intake.headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "AuthenticationFailed"
    assert response.json()["rule"] == "token_expired"


def test_a_token_with_no_lifetime_left_is_expired_at_once(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VONGTAY_TOKEN_TTL_MINUTES", "0")
    reset_caches()
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        _id, password = create_user("zero-ttl", "intake_officer", "sample")
        status, body = _login(client, "zero-ttl", password)
        assert status == 200
        response = client.get(CASES, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert response.status_code == 401
    assert response.json()["rule"] == "token_expired"


def test_a_disabled_account_loses_its_tokens_and_cannot_log_in(
    client: TestClient, account: Callable[..., Account]
) -> None:
    intake = account("intake_officer")
    assert client.get(CASES, headers=intake.headers).status_code == 200
    disable_user(intake.username)
    refused = client.get(CASES, headers=intake.headers)
    assert refused.status_code == 401
    assert refused.json()["error"] == "AuthenticationFailed"
    status, body = _login(client, intake.username, intake.password)
    assert status == 401
    assert body["rule"] == "credentials"


def test_a_disabled_account_is_refused_even_with_an_unrevoked_token(
    client: TestClient, account: Callable[..., Account]
) -> None:
    """Disabling revokes the tokens; a token that escaped the revocation (restored from a
    backup, say) is still refused, because the account itself is checked on every request."""
    intake = account("intake_officer")
    disable_user(intake.username)
    with UnitOfWork() as uow:
        uow.session.execute(update(ApiToken).values(revoked_at=None))
        uow.commit()
    refused = client.get(CASES, headers=intake.headers)
    assert refused.status_code == 401
    assert refused.json()["rule"] == "account_disabled"


# --- throttling and the audit of logins -----------------------------------------------------------


def test_failed_logins_are_throttled_per_account(client: TestClient) -> None:
    _id, password = create_user("throttled", "approver", "sample")
    limit = get_settings().login_max_failures_per_account
    for _ in range(limit):
        status, _body = _login(client, "throttled", WRONG_PASSWORD)
        assert status == 401
    status, body = _login(client, "throttled", password)
    assert status == 429, body
    assert set(body) == ERROR_KEYS
    assert body["error"] == "TooManyAttempts"
    assert body["rule"] == "login_throttled"
    # the account is throttled from any address, not only the one that failed
    with _other_client("203.0.113.9") as elsewhere:
        status, _body = _login(elsewhere, "throttled", password)
    assert status == 429
    # another account from the same client is not
    _other, other_password = create_user("not-throttled", "approver", "sample")
    assert _login(client, "not-throttled", other_password)[0] == 200


def test_failed_logins_are_throttled_per_client_address(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VONGTAY_LOGIN_MAX_FAILURES_PER_CLIENT", "6")
    reset_caches()
    _id, password = create_user("innocent", "intake_officer", "sample")
    with _other_client("198.51.100.7") as attacker:
        for i in range(6):
            status, _body = _login(attacker, f"guess-{i}", WRONG_PASSWORD)
            assert status == 401
        status, body = _login(attacker, "innocent", password)
        assert status == 429
        assert body["error"] == "TooManyAttempts"
    # the same account from another address is not blocked by that client's failures
    with _other_client("192.0.2.44") as colleague:
        assert _login(colleague, "innocent", password)[0] == 200


def test_every_login_is_audited_without_the_password(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _id, password = create_user("audited", "approver", "sample")
    before = len(_audit_rows())
    assert _login(client, "audited", WRONG_PASSWORD)[0] == 401
    assert _login(client, "no-such-account", WRONG_PASSWORD)[0] == 401
    assert _login(client, "audited", password)[0] == 200
    limit = get_settings().login_max_failures_per_account
    for _ in range(limit):
        _login(client, "audited", WRONG_PASSWORD)
    assert _login(client, "audited", password)[0] == 429
    rows = _audit_rows()[before:]
    actions = [(row[0], row[1]) for row in rows]
    assert actions[:3] == [
        ("audited", "login.failed"),
        ("no-such-account", "login.failed"),
        ("audited", "login.succeeded"),
    ]
    assert actions[-1] == ("audited", "login.throttled")
    for row in _audit_rows():
        text = json.dumps(row, ensure_ascii=False)
        assert password not in text
        assert WRONG_PASSWORD not in text
    for record in caplog.records:
        message = record.getMessage() + repr(record.args)
        assert password not in message
        assert WRONG_PASSWORD not in message


# --- CORS and body size ---------------------------------------------------------------------------


def test_cors_is_closed_by_default(client: TestClient, account: Callable[..., Account]) -> None:
    intake = account("intake_officer")
    origin = {"Origin": "https://evil.example"}
    preflight = client.options(
        CASES,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    got = client.get(CASES, headers={**origin, **intake.headers})
    assert got.status_code == 200
    assert "access-control-allow-origin" not in got.headers


def test_cors_allows_only_the_configured_origins(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VONGTAY_CORS_ORIGINS", '["https://staff.example"]')
    reset_caches()
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        ask = {"Access-Control-Request-Method": "GET"}
        allowed = client.options(CASES, headers={"Origin": "https://staff.example", **ask})
        other = client.options(CASES, headers={"Origin": "https://evil.example", **ask})
    assert allowed.headers["access-control-allow-origin"] == "https://staff.example"
    assert "access-control-allow-origin" not in other.headers


def test_a_body_over_the_limit_is_413(client: TestClient, account: Callable[..., Account]) -> None:
    intake = account("intake_officer")
    body = intake_body()
    body["facility"] = "x" * (get_settings().max_body_bytes + 1)
    response = client.post(CASES, json=body, headers=intake.headers)
    assert response.status_code == 413
    assert response.json()["error"] == "RequestTooLarge"
    assert client.get(CASES, headers=intake.headers).json() == []


def test_a_streamed_body_over_the_limit_is_413(
    client: TestClient, account: Callable[..., Account]
) -> None:
    """Without a Content-Length the bytes are counted as they arrive."""
    intake = account("intake_officer")
    limit = get_settings().max_body_bytes

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    response = client.post(
        CASES,
        content=chunks(),
        headers={**intake.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "RequestTooLarge"


def test_a_body_that_is_not_utf8_json_is_400_in_the_error_shape(
    client: TestClient, account: Callable[..., Account]
) -> None:
    """FastAPI answers 400 for a body it cannot decode; it keeps the one error shape and is
    declared in OpenAPI (found by the schemathesis run)."""
    intake = account("intake_officer")
    response = client.post(
        CASES,
        content=b"\xde\xe7'\x1b\xb8o\x12U",
        headers={**intake.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert (body["error"], body["rule"]) == ("MalformedBody", "malformed_body")


# --- secrets from the environment -----------------------------------------------------------------


@pytest.fixture
def clean_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No VONGTAY_ variable from the outside; caches reset before and after."""
    for name in list(os.environ):
        if name.startswith("VONGTAY_"):
            monkeypatch.delenv(name)
    reset_caches()
    yield monkeypatch
    monkeypatch.undo()
    reset_caches()


def test_a_missing_vault_key_outside_the_sqlite_default_stops_start_up(
    clean_settings: pytest.MonkeyPatch,
) -> None:
    clean_settings.setenv("VONGTAY_DATABASE_URL", "postgresql+psycopg://u@db.example/vongtay")
    with pytest.raises(ConfigurationError, match="VONGTAY_VAULT_KEY"):
        create_app()


def test_a_missing_vault_key_with_another_sqlite_file_stops_start_up(
    clean_settings: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_settings.setenv("VONGTAY_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    with pytest.raises(ConfigurationError, match="VONGTAY_VAULT_KEY"):
        create_app()


def test_an_invalid_vault_key_stops_start_up(clean_settings: pytest.MonkeyPatch) -> None:
    clean_settings.setenv("VONGTAY_DATABASE_URL", "postgresql+psycopg://u@db.example/vongtay")
    clean_settings.setenv("VONGTAY_VAULT_KEY", "not-a-fernet-key")
    with pytest.raises(ConfigurationError, match="VONGTAY_VAULT_KEY") as raised:
        create_app()
    assert "not-a-fernet-key" not in str(raised.value)


def test_a_vault_key_from_the_environment_starts_the_app(
    clean_settings: pytest.MonkeyPatch,
) -> None:
    clean_settings.setenv("VONGTAY_DATABASE_URL", "postgresql+psycopg://u@db.example/vongtay")
    clean_settings.setenv("VONGTAY_VAULT_KEY", Fernet.generate_key().decode())
    assert create_app().title


def test_the_sqlite_default_generates_a_private_key_file_under_var(
    clean_settings: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_settings.chdir(tmp_path)
    create_app()
    key_file = tmp_path / "var" / "vault.key"
    assert key_file.is_file()
    key = key_file.read_bytes().strip()
    Fernet(key)  # a valid key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    reset_caches()
    create_app()
    assert key_file.read_bytes().strip() == key  # kept, not regenerated


# --- OpenAPI --------------------------------------------------------------------------------------


def test_openapi_describes_every_route_with_its_errors(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "ErrorBody" in schema["components"]["schemas"]
    error_ref = "#/components/schemas/ErrorBody"
    routes = {
        (f"/api/v1{route.path}", method.lower())
        for module in pkgutil.iter_modules(api.routes.__path__)
        for route in importlib.import_module(f"api.routes.{module.name}").router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert routes
    documented = {
        (path, method) for path, operations in schema["paths"].items() for method in operations
    }
    assert routes == documented
    for path, method in sorted(routes):
        assert path.startswith("/api/v1/"), path
        responses = schema["paths"][path][method]["responses"]
        errors = {
            code: response
            for code, response in responses.items()
            if code.startswith("4")
            and response.get("content", {}).get("application/json", {}).get("schema", {})
            == {"$ref": error_ref}
        }
        assert errors, f"{method.upper()} {path} declares no error with the ErrorBody schema"
        assert "401" in errors, f"{method.upper()} {path}: 401 is not declared"
        for code in responses:
            if code.startswith(("4", "5")):
                # every error the API answers has the one shape: no FastAPI default left over
                assert code in errors, f"{method.upper()} {path}: {code} is not an ErrorBody"
        if "requestBody" in schema["paths"][path][method]:
            assert "413" in errors, f"{method.upper()} {path}: the body limit is not declared"
            assert "400" in errors, f"{method.upper()} {path}: a malformed body is not declared"
    assert any(path.startswith("/api/v1/cases") for path, _ in routes)


def test_docs_are_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "/openapi.json" in response.text
