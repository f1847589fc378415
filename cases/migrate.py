"""Schema migrations (Alembic), driven from Python.

The application, the demo and the tests migrate through these functions rather than the
`alembic` command line, so that they need no ini file and no working directory: the revisions
live in the top-level `migrations/` folder of the checkout, found from this file. The command
line (`alembic.ini` at the root) is for writing new revisions.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"

# The same names the command line gives new revisions (alembic.ini): `0002_what_changed.py`.
FILE_TEMPLATE = "%(rev)s_%(slug)s"


def alembic_config(url: str) -> Config:
    """An Alembic Config for the database at `url`, without an ini file.

    `migrations/env.py` reads the URL from `sqlalchemy.url`; Config values go through
    configparser interpolation, so a `%` in the URL (an escaped password) is doubled.
    """
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise FileNotFoundError(
            f"the migrations folder is missing: {MIGRATIONS_DIR} (migrations run from a "
            "checkout or an editable install)"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", FILE_TEMPLATE.replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (the newest by default), in one transaction."""
    ensure_sqlite_parent(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision` (`"base"`: no table left but Alembic's)."""
    ensure_sqlite_parent(url)
    command.downgrade(alembic_config(url), revision)


def head() -> str | None:
    """The newest revision in the migrations folder."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current(url: str) -> str | None:
    """The revision the database at `url` is at; None if it was never migrated.

    A SQLite file that does not exist is reported as never migrated rather than created empty.
    """
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None and not sqlite_file.exists():
        return None
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and for an in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def ensure_sqlite_parent(url: str) -> None:
    """Create a SQLite file's folder: SQLite creates the file but not `var/` for the default.

    `migrations/env.py` calls it too, for the `alembic` command line.
    """
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
