"""Alembic's environment: which database, which metadata, how each migration runs.

The URL is the `sqlalchemy.url` that `cases.migrate.alembic_config` sets on the Config; when the
`alembic` command line runs without one, it is the application's own `VONGTAY_DATABASE_URL`
(`cases.settings`), so the CLI migrates the database the application uses.

SQLite needs three things PostgreSQL does not:

- the driver must not manage transactions itself, and every transaction starts with a real
  `BEGIN`, so that a whole upgrade is one transaction there too and a failed migration leaves
  the file as it was (SQLite's DDL is transactional; pysqlite's default handling is not);
- foreign keys are off while migrating: batch mode changes a table by copying it to a new one,
  dropping the old and renaming the copy, and with foreign keys on, that drop would cascade or
  fail. `PRAGMA foreign_key_check` runs before the commit instead, so a migration cannot leave a
  dangling reference behind;
- revisions are rendered in batch form (`render_as_batch`), the only way SQLite can alter a
  table. They are rendered so whatever database autogenerate compared against, because every
  revision must run on both; on PostgreSQL a batch is plain `ALTER TABLE`.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, event, pool

from cases.migrate import ensure_sqlite_parent
from cases.models import Base
from cases.settings import get_settings

config = context.config

# Only the command line has an ini file with logging sections; programmatic runs (tests, the
# demo) keep the process's logging as it is.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

# What both `upgrade` and autogenerate (`alembic revision --autogenerate`, `alembic check`) use.
CONTEXT_OPTIONS: dict[str, Any] = {
    "target_metadata": target_metadata,
    "compare_type": True,
    "render_as_batch": True,
}


def database_url() -> str:
    """The URL set on the Config, else the application's configured database."""
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def migration_engine(url: str) -> Engine:
    """An engine for one migration run; NullPool, so no connection outlives it.

    A lingering connection would keep a PostgreSQL database from being used as a template or
    dropped, and a SQLite file from being copied whole.
    """
    ensure_sqlite_parent(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=OFF")

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


def check_sqlite_foreign_keys(connection: Connection) -> None:
    """Fail (and so roll back) if the migration left a reference to a missing row."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration leaves broken foreign keys: {broken[:10]}")


def run_migrations_offline() -> None:
    """Write the SQL to standard output (`alembic upgrade --sql`) instead of running it."""
    context.configure(
        url=database_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **CONTEXT_OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection, all of them in one transaction."""
    engine = migration_engine(database_url())
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            context.configure(
                connection=connection,
                # SQLite's DDL is transactional once BEGIN is ours: one transaction for the run
                transactional_ddl=True,
                **CONTEXT_OPTIONS,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    check_sqlite_foreign_keys(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
