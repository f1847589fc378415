"""The migrations: they build exactly the models' schema, and they run down as well as up.

Each runs on SQLite and on PostgreSQL (design §3). The schema comparison is `alembic check`: a
model changed without a revision fails here, with the differences in the message.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Column, Engine, Integer, MetaData, create_engine, inspect, pool, text

from cases.migrate import MIGRATIONS_DIR, alembic_config, current, downgrade, upgrade
from cases.models import Base
from tests import dbfixtures

# The shared fixtures, until tests/conftest.py imports them for every module (harmless after).
db_url = dbfixtures.db_url
empty_db_url = dbfixtures.empty_db_url
migrated_engine = dbfixtures.migrated_engine

MODEL_TABLES = set(Base.metadata.tables)


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def revisions_base_first() -> list[Script]:
    return list(reversed(list(scripts().walk_revisions())))


HEAD = scripts().get_current_head()


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    """A throwaway engine that holds no connection afterwards (PostgreSQL drops need that)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    with engine_for(url) as engine:
        return set(inspect(engine).get_table_names())


def schema_differences(url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would write to bring the database at `url` to `metadata`."""
    with engine_for(url) as engine, engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_creates_every_table_of_the_models(empty_db_url: str) -> None:
    assert current(empty_db_url) is None
    upgrade(empty_db_url)
    assert current(empty_db_url) == HEAD
    assert tables(empty_db_url) == MODEL_TABLES | {"alembic_version"}


def test_each_revision_runs_up_down_and_up_again(empty_db_url: str) -> None:
    for script in revisions_base_first():
        below = script.down_revision or "base"
        assert isinstance(below, str), f"{script.revision}: merge revisions are not expected"
        upgrade(empty_db_url, script.revision)
        downgrade(empty_db_url, below)
        assert current(empty_db_url) == (script.down_revision or None)
        upgrade(empty_db_url, script.revision)
        assert current(empty_db_url) == script.revision
    assert current(empty_db_url) == HEAD

    downgrade(empty_db_url, "base")
    assert current(empty_db_url) is None
    assert tables(empty_db_url) == {"alembic_version"}, "downgrade to base left tables behind"

    upgrade(empty_db_url)
    assert tables(empty_db_url) == MODEL_TABLES | {"alembic_version"}


def test_database_at_head_matches_the_models(db_url: str) -> None:
    """`alembic check`: no difference between the migrated schema and Base.metadata."""
    assert current(db_url) == HEAD
    differences = schema_differences(db_url, Base.metadata)
    assert differences == [], (
        "the models and the migrations differ; write a revision "
        f"(alembic revision --autogenerate): {differences}"
    )
    # the same through migrations/env.py, as the command line runs it
    command.check(alembic_config(db_url))


def test_the_comparison_sees_a_model_change(db_url: str) -> None:
    """The guard above is not vacuous: an unmigrated column is reported."""
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["case"].append_column(Column("unmigrated", Integer, nullable=True))
    differences = schema_differences(db_url, changed)
    assert [d[0] for d in differences] == ["add_column"]


def test_constraints_and_indexes_carry_the_convention_names(db_url: str) -> None:
    """Later revisions (batch mode on SQLite) alter constraints by these names."""
    expected: dict[str, set[str]] = {}
    for table in Base.metadata.sorted_tables:
        names = {str(c.name) for c in table.constraints if c.name is not None}
        names |= {str(i.name) for i in table.indexes}
        expected[table.name] = names
    with engine_for(db_url) as engine:
        inspector = inspect(engine)
        pks = inspector.get_multi_pk_constraint()
        fks = inspector.get_multi_foreign_keys()
        uqs = inspector.get_multi_unique_constraints()
        ixs = inspector.get_multi_indexes()
    for name in MODEL_TABLES:
        key = (None, name)
        found = {str(pks[key]["name"])}
        found |= {str(c["name"]) for c in [*fks[key], *uqs[key], *ixs[key]]}
        assert found == expected[name], name


def test_migrated_engine_is_the_applications_engine_at_head(migrated_engine: Engine) -> None:
    assert set(inspect(migrated_engine).get_table_names()) >= MODEL_TABLES
    with migrated_engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (HEAD,)
        ]
        if migrated_engine.dialect.name == "sqlite":
            # migrations turn foreign keys off on their own connections only
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_revisions_form_one_chain_each_with_a_downgrade() -> None:
    script_dir = scripts()
    assert len(script_dir.get_heads()) == 1, f"several heads: {script_dir.get_heads()}"
    assert len(script_dir.get_bases()) == 1, f"several bases: {script_dir.get_bases()}"

    chain = revisions_base_first()
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    assert sorted(Path(s.path).name for s in chain) == files, "a file is not in the chain"

    below: str | None = None
    for script in chain:
        assert script.down_revision == below, f"{script.revision} does not follow {below}"
        assert Path(script.path).name.startswith(f"{script.revision}_"), script.path
        assert script.module.__doc__ and script.module.__doc__.strip(), script.path
        downgrade_body = _function_body(Path(script.path), "downgrade")
        assert downgrade_body, f"{script.path}: downgrade() does nothing"
        below = script.revision


def _function_body(path: Path, name: str) -> list[ast.stmt]:
    """The statements of a top-level function, without its docstring, `pass` or `...`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return [
                stmt
                for stmt in node.body
                if not isinstance(stmt, ast.Pass)
                and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
            ]
    pytest.fail(f"{path}: no {name}() function")


def test_0004_cancels_the_follow_up_clocks_that_the_follow_up_table_replaces(
    empty_db_url: str,
) -> None:
    """A database used before 0004 holds follow-up checks as `deadline` rows: after the
    upgrade they are cancelled, so the daily sweep does not report them breached."""
    upgrade(empty_db_url, "0003")
    engine = create_engine(empty_db_url, poolclass=pool.NullPool)
    rows = {"a": ("follow_up", "open"), "b": ("follow_up", "met"), "c": ("stay_limit", "open")}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO user_account (id, username, password_hash, role, active, created_at)"
                " VALUES ('u', 'u', '!', 'approver', true, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO person (id, match_key, full_name, created_at)"
                " VALUES ('p', 'k', :blob, CURRENT_TIMESTAMP)"
            ),
            {"blob": b"x"},
        )
        connection.execute(
            text(
                'INSERT INTO "case" (id, person_id, province, facility, stage, status,'
                " nationality, birth_year_month, version, created_by, created_at, updated_at)"
                " VALUES ('c', 'p', 'sample', 'f', 'referred', 'victim', 'vietnamese',"
                " '1998-04', 1, 'u', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        for row_id, (kind, state) in rows.items():
            connection.execute(
                text(
                    "INSERT INTO deadline (id, case_id, kind, due, cites, confirmed, rule,"
                    " state, created_at) VALUES (:id, 'c', :kind, '2026-01-01', '[]', false,"
                    " 'r', :state, CURRENT_TIMESTAMP)"
                ),
                {"id": row_id, "kind": kind, "state": state},
            )
    upgrade(empty_db_url)
    with engine.connect() as connection:
        states: dict[str, str] = dict(
            connection.execute(text("SELECT id, state FROM deadline")).all()
        )
    engine.dispose()
    assert states == {"a": "cancelled", "b": "met", "c": "open"}
