"""Database fixtures: every database test runs on SQLite and on PostgreSQL (design §3, §7).

Import the three fixtures into a conftest (they need nothing else from this module):

    from tests.dbfixtures import db_url, empty_db_url, migrated_engine

- `db_url`: the URL of a fresh database, migrated to head, for this test only;
- `migrated_engine`: a `cases.db.make_engine` engine on that database;
- `empty_db_url`: the URL of a fresh database with no table at all (migration tests).

Migrating for every test would cost a good part of a second per test on each database, so each
test process migrates once per database, with `cases.migrate.upgrade`, into a template: a SQLite
file that each test copies, a PostgreSQL database that each test clones with
`CREATE DATABASE ... TEMPLATE`. Templates go when the session ends, per-test databases when the
test does. Names are random, so pytest-xdist workers and other checkouts sharing the server do
not collide.

PostgreSQL that cannot be reached fails its tests, with what to do: CI must run them, and a skip
would let the suite pass without them.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from cases.db import make_engine
from cases.migrate import upgrade

__all__ = [
    "PG_ADMIN_URL",
    "PostgresUnavailable",
    "create_pg_database",
    "db_url",
    "drop_pg_database",
    "empty_db_url",
    "migrated_engine",
]

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Only databases with this prefix are ever dropped, whatever URL drop_pg_database is given.
PG_PREFIX = "vongtay_t_"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


class PostgresUnavailable(RuntimeError):
    """The test server cannot be reached; the message says how to start it."""


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it (no `+psycopg`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection to the server's `test` database: CREATE DATABASE needs one."""
    try:
        return psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise PostgresUnavailable(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {str(exc).strip()}\n"
            "Every database test runs on PostgreSQL too (design §7). Start the server with\n"
            "    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "(`./run test` does it), or deselect these tests with -m 'not postgres'."
        ) from None


def create_pg_database(template: str = "template0") -> str:
    """Create a database named `vongtay_t_<hex>` (a copy of `template`) and return its URL."""
    name = f"{PG_PREFIX}{uuid.uuid4().hex}"
    with _admin() as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by `create_pg_database`, ending any connection still open on it."""
    name = make_url(url).database
    if not name or not name.startswith(PG_PREFIX):
        raise ValueError(f"refusing to drop {name!r}: not a test database ({PG_PREFIX}*)")
    with _admin() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# One template per database and test process, made on first use. A failure is kept too, so
# that every later PostgreSQL test fails at once with the same message instead of retrying.
_templates: dict[str, str] = {}
_template_failures: dict[str, str] = {}


def _template(backend: str, config: pytest.Config) -> str:
    """The migrated template of `backend`: a SQLite file path or a PostgreSQL database name."""
    if backend in _template_failures:
        pytest.fail(_template_failures[backend], pytrace=False)
    if backend not in _templates:
        try:
            _templates[backend] = _make_template(backend, config)
        except PostgresUnavailable as exc:
            _template_failures[backend] = str(exc)
            pytest.fail(str(exc), pytrace=False)
    return _templates[backend]


def _make_template(backend: str, config: pytest.Config) -> str:
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="vongtay-template-"))
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        path = folder / "template.db"
        upgrade(f"sqlite:///{path}")
        return str(path)
    url = create_pg_database()
    config.add_cleanup(lambda: drop_pg_database(url))
    upgrade(url)
    name = make_url(url).database
    assert name is not None
    return name


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at head, for this test only: SQLite under tmp_path, or PostgreSQL."""
    template = _template(request.param, request.config)
    if request.param == "sqlite":
        path = tmp_path / "vongtay.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    url = create_pg_database(template=template)
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database without any table, for tests of the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    try:
        url = create_pg_database()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def migrated_engine(db_url: str) -> Iterator[Engine]:
    """The application's engine (`cases.db.make_engine`) on `db_url`, at head."""
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One database per test module with every table (from the models): for tests of a single
    module's tables that clean up after each test themselves."""
    from cases.db import make_engine
    from cases.models import Base

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('module') / 'vongtay.db'}")
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    url = create_pg_database()
    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        drop_pg_database(url)


def write_session(engine: Engine) -> Session:
    """A session whose transactions write, as `UnitOfWork` opens them."""
    from cases.db import is_sqlite

    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
    return Session(bind=bind, expire_on_commit=False)
