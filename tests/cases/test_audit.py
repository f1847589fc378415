"""The hash-chained audit log (design §3): appends chain, tampering is found, appenders queue."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from cases import audit
from cases.audit import GENESIS, ChainReport, row_hash, verify
from cases.models import AuditLog
from tests.dbfixtures import write_session


@pytest.fixture
def engine(module_engine: Engine) -> Engine:
    """The module's database (SQLite and PostgreSQL; tests/dbfixtures.py)."""
    return module_engine


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The module's database with an empty audit log."""
    with write_session(engine) as session:
        session.execute(delete(AuditLog))
        session.commit()
    return engine


def append_one(engine: Engine, n: int, **overrides: object) -> AuditLog:
    """One append in its own transaction, as a use case does it."""
    arguments: dict[str, object] = {
        "actor": f"user-{n % 7}",
        "action": "person.read",
        "subject_type": "person",
        "subject_id": f"p-{n}",
        "purpose": "follow_up",
        "detail": {"n": n, "fields": ["full_name", "address"], "note": "Thanh Hóa"},
    }
    arguments.update(overrides)
    with write_session(engine) as session:
        row = audit.append(session, **arguments)  # type: ignore[arg-type]
        session.commit()
        return row


def fill(engine: Engine, count: int) -> list[int]:
    return [append_one(engine, n).id for n in range(count)]


def check(engine: Engine) -> ChainReport:
    with Session(engine) as session:
        return verify(session)


def test_an_empty_log_verifies(db: Engine) -> None:
    assert (lambda r: (r.rows, r.first_broken_id, r.problem))(check(db)) == (0, None, None)


def test_a_chain_of_fifty_rows_verifies(db: Engine) -> None:
    ids = fill(db, 50)
    report = check(db)
    assert (lambda r: (r.rows, r.first_broken_id, r.problem))(report) == (50, None, None)
    assert report.ok
    with Session(db) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [row.id for row in rows] == ids
    assert rows[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash


def test_the_stored_hash_is_the_canonical_hash_of_the_stored_row(db: Engine) -> None:
    row_id = append_one(db, 1).id
    with Session(db) as session:
        row = session.get_one(AuditLog, row_id)
        assert row.hash == row_hash(
            prev_hash=GENESIS,
            at=row.at,
            actor="user-1",
            action="person.read",
            subject_type="person",
            subject_id="p-1",
            purpose="follow_up",
            detail={"n": 1, "fields": ["full_name", "address"], "note": "Thanh Hóa"},
        )


def test_deleting_a_middle_row_is_reported_at_the_next_row(db: Engine) -> None:
    ids = fill(db, 50)
    with write_session(db) as session:
        session.execute(delete(AuditLog).where(AuditLog.id == ids[24]))
        session.commit()
    report = check(db)
    assert report.rows == 49
    assert report.first_broken_id == ids[25]
    assert report.problem is not None
    assert "deleted" in report.problem


def test_deleting_the_first_row_is_reported(db: Engine) -> None:
    ids = fill(db, 5)
    with write_session(db) as session:
        session.execute(delete(AuditLog).where(AuditLog.id == ids[0]))
        session.commit()
    assert check(db).first_broken_id == ids[1]


def test_editing_a_rows_detail_is_reported_at_that_row(db: Engine) -> None:
    ids = fill(db, 50)
    with write_session(db) as session:
        session.execute(update(AuditLog).where(AuditLog.id == ids[30]).values(detail={"n": 999}))
        session.commit()
    report = check(db)
    assert report.rows == 50
    assert report.first_broken_id == ids[30]
    assert report.problem is not None
    assert "edited" in report.problem


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "someone-else"},
        {"action": "case.close"},
        {"subject_id": "p-other"},
        {"purpose": "audit_investigation"},
        {"at": datetime(2020, 1, 1, tzinfo=UTC)},
    ],
)
def test_editing_any_column_is_reported(db: Engine, change: dict[str, object]) -> None:
    ids = fill(db, 10)
    with write_session(db) as session:
        session.execute(update(AuditLog).where(AuditLog.id == ids[4]).values(**change))
        session.commit()
    assert check(db).first_broken_id == ids[4]


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(db: Engine) -> None:
    ids = fill(db, 10)
    with write_session(db) as session:
        row = session.get_one(AuditLog, ids[4])
        forged = row_hash(
            prev_hash=row.prev_hash,
            at=row.at,
            actor="someone-else",
            action=row.action,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            purpose=row.purpose,
            detail=row.detail,
        )
        row.actor = "someone-else"
        row.hash = forged
        session.commit()
    assert check(db).first_broken_id == ids[5]


def test_verify_streams_past_a_batch_boundary(db: Engine) -> None:
    with write_session(db) as session:
        ids = [
            audit.append(session, actor="flow", action="deadline.warn", subject_type="case").id
            for _ in range(2500)
        ]
        session.commit()
    assert (lambda r: (r.rows, r.first_broken_id, r.problem))(check(db)) == (2500, None, None)
    with write_session(db) as session:
        session.execute(update(AuditLog).where(AuditLog.id == ids[1800]).values(actor="x"))
        session.commit()
    report = check(db)
    assert report.rows == 2500
    assert report.first_broken_id == ids[1800]


def test_a_rolled_back_append_leaves_no_gap_in_the_chain(db: Engine) -> None:
    fill(db, 3)
    with write_session(db) as session:
        audit.append(session, actor="u", action="case.create", subject_type="case")
        session.rollback()
    fill(db, 3)
    assert (lambda r: (r.rows, r.first_broken_id, r.problem))(check(db)) == (6, None, None)


def test_several_appends_in_one_transaction_chain(db: Engine) -> None:
    with write_session(db) as session:
        first = audit.append(session, actor="u", action="a", subject_type="case")
        second = audit.append(session, actor="u", action="b", subject_type="case")
        session.commit()
    assert second.prev_hash == first.hash
    assert check(db).ok


def test_times_are_stored_in_utc_and_verify_on_both_databases(db: Engine) -> None:
    hanoi = timezone(timedelta(hours=7))
    moment = datetime(2026, 5, 4, 9, 30, 15, 123456, tzinfo=hanoi)
    row_id = append_one(db, 1, at=moment).id
    append_one(db, 2, at=datetime(2026, 5, 4, 3, 0, tzinfo=UTC))
    with Session(db) as session:
        stored = session.get_one(AuditLog, row_id).at
    assert stored.replace(tzinfo=stored.tzinfo or UTC) == moment
    assert check(db).ok


def test_a_naive_time_is_refused(db: Engine) -> None:
    with pytest.raises(ValueError, match="timezone"):
        append_one(db, 1, at=datetime(2026, 5, 4, 9, 30))  # noqa: DTZ001


def test_detail_is_hashed_as_the_database_returns_it(db: Engine) -> None:
    append_one(db, 1, detail={"steps": ("a", "b"), 3: "three", "nested": {"b": 1, "a": [1.5]}})
    append_one(db, 2, detail=None)
    assert check(db).ok


@pytest.mark.parametrize(
    "detail",
    [
        {"full_name": "Nguyễn Thị Ánh"},
        {"name": "Nguyễn Thị Ánh"},
        {"Full_Name": "Nguyễn Thị Ánh"},
        {"id_number": "001198012345"},
        {"address": "Mường Lát"},
        {"phone": "0912345678"},
        {"health_notes": "sốt rét"},
        {"aliases": ["Ánh Đào"]},
        {"person": {"name": "Nguyễn Thị Ánh"}},
        {"changes": [{"field": "x", "phone": "0912345678"}]},
    ],
)
def test_detail_with_a_personal_field_is_refused(db: Engine, detail: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="personal") as raised:
        append_one(db, 1, detail=detail)
    message = str(raised.value)
    for value in ("Nguyễn", "001198012345", "Mường", "0912345678", "sốt", "Ánh"):
        assert value not in message
    assert check(db).rows == 0


def test_naming_a_personal_field_as_a_value_is_allowed(db: Engine) -> None:
    append_one(db, 1, detail={"fields_read": ["full_name", "address"], "purpose": "referral"})
    assert check(db).ok


def test_detail_must_be_plain_json(db: Engine) -> None:
    with pytest.raises(ValueError, match="JSON"):
        append_one(db, 1, detail={"when": datetime.now(UTC)})
    with pytest.raises(ValueError, match="JSON"):
        append_one(db, 1, detail={"amount": float("nan")})


def test_concurrent_appenders_do_not_fork_the_chain(db: Engine) -> None:
    threads, per_thread = 2, 100
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(per_thread):
                append_one(db, n, actor=f"worker-{worker}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not errors
    assert (lambda r: (r.rows, r.first_broken_id, r.problem))(check(db)) == (
        threads * per_thread,
        None,
        None,
    )
    with Session(db) as session:
        distinct_links = session.scalar(select(func.count(func.distinct(AuditLog.prev_hash))))
        by_worker = dict(
            session.execute(select(AuditLog.actor, func.count()).group_by(AuditLog.actor)).all()
        )
    assert distinct_links == threads * per_thread
    assert by_worker == {f"worker-{w}": per_thread for w in range(threads)}


# SQLite queues writers at BEGIN IMMEDIATE, before any audit code runs: PostgreSQL only.
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_second_appender_waits_for_the_first_to_commit(db: Engine) -> None:
    first_session = write_session(db)
    first = audit.append(first_session, actor="a", action="x", subject_type="case")
    second: list[AuditLog] = []
    waiter = threading.Thread(
        target=lambda: second.append(append_one(db, 1, actor="b")), daemon=True
    )
    waiter.start()
    waiter.join(timeout=0.5)
    assert waiter.is_alive(), "the second appender did not wait for the advisory lock"
    first_session.commit()
    first_session.close()
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert second[0].prev_hash == first.hash
    assert check(db).ok


def test_the_report_names_the_newest_rows_hash(db: Engine) -> None:
    """Kept outside the database, the head hash shows later removal of the newest rows."""
    with Session(db) as session:
        assert audit.verify(session).head_hash == audit.GENESIS
        last = audit.append(session, actor="a", action="x", subject_type="case")
        session.commit()
        assert audit.verify(session).head_hash == last.hash
