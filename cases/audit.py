"""The audit log: append-only and hash-chained, so a deleted or edited row is detectable.

Each row stores the hash of the row before it (`prev_hash`, the first row `GENESIS`) and its own
hash, a SHA-256 over a canonical JSON of its content and `prev_hash`. Editing a row breaks its
own hash; deleting one breaks the next row's link. `verify` walks the chain and names the first
broken row; the CLI runs it.

What the chain does not show on its own: the removal of the newest rows (the tail), or a rewrite
of the whole chain by someone who can run this code. Keeping a copy of the head hash elsewhere
(a report, a ticket) covers both.

`detail` never holds personal data: the log is read for investigations by more people than may
read the vault, so it names ids, fields, rules and purposes, never values. Keys named like
personal fields are refused outright, at any depth.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cases.models import AuditLog

GENESIS = "0" * 64

# One fixed PostgreSQL advisory lock for all appenders ("vongtay1" in ASCII, a positive bigint).
AUDIT_LOCK_ID = 0x766F6E6774617931

# Keys that would put personal data into the log; compared case-insensitively.
PERSONAL_DETAIL_KEYS = frozenset(
    {"full_name", "name", "aliases", "id_number", "address", "phone", "health_notes"}
)

_VERIFY_BATCH = 1000


@dataclass
class ChainReport:
    """The outcome of `verify`: how many rows, and the first broken one with what broke."""

    rows: int
    first_broken_id: int | None
    problem: str | None
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        """True when every row links to the one before and matches its own hash."""
        return self.first_broken_id is None


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | None = None,
    purpose: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add a row at the end of the chain, in the caller's transaction (flushed, not committed).

    The row commits or rolls back with the change it records, so the log never claims what did
    not happen. Two transactions appending at once must not both chain onto the same row (a
    fork that `verify` would later report as tampering), so appenders are serialised: on
    PostgreSQL by a transaction-level advisory lock taken before the last row is read and held
    until commit or rollback; on SQLite by the write lock that `BEGIN IMMEDIATE`
    (`cases.db`) takes at the start of every write transaction. The PostgreSQL lock relies on
    READ COMMITTED (the default): under REPEATABLE READ a transaction that had read before
    taking the lock would still see the old last row.

    `detail` must be JSON and must not hold personal data (`ValueError` for a key named like a
    personal field). `at` defaults to now; a naive `at` is refused, since the chain stores UTC.
    """
    clean_detail = _clean_detail(detail)
    if at is not None and at.tzinfo is None:
        raise ValueError("the audit time must be timezone-aware")
    moment = _utc(at) if at is not None else datetime.now(UTC)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": AUDIT_LOCK_ID})
    prev_hash = session.scalar(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1))
    prev_hash = prev_hash or GENESIS
    row = AuditLog(
        at=moment,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        detail=clean_detail,
        prev_hash=prev_hash,
        hash=row_hash(
            prev_hash=prev_hash,
            at=moment,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            purpose=purpose,
            detail=clean_detail,
        ),
    )
    session.add(row)
    session.flush()
    return row


def row_hash(
    *,
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | None,
    purpose: str | None,
    detail: Mapping[str, Any],
) -> str:
    """The SHA-256 hex of a row's canonical content: what `append` stores and `verify` checks.

    Canonical means sorted keys, no spaces and `at` in UTC with microseconds, so the same row
    hashes the same whichever database stored it and however that database returns times.
    """
    content = {
        "prev_hash": prev_hash,
        "at": _utc(at).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "purpose": purpose,
        "detail": detail,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verify(session: Session) -> ChainReport:
    """Walk the whole chain in id order and report the first row that breaks it.

    A row whose `prev_hash` is not the previous row's hash means a row was deleted (or the
    chain forked); a row whose content does not match its `hash` was edited. Rows are streamed
    in batches as plain tuples, so a million-row log never sits in memory at once; the walk
    goes on after a break so that `rows` counts them all.
    """
    statement = (
        select(
            AuditLog.id,
            AuditLog.at,
            AuditLog.actor,
            AuditLog.action,
            AuditLog.subject_type,
            AuditLog.subject_id,
            AuditLog.purpose,
            AuditLog.detail,
            AuditLog.prev_hash,
            AuditLog.hash,
        )
        .order_by(AuditLog.id)
        .execution_options(yield_per=_VERIFY_BATCH)
    )
    rows = 0
    first_broken_id: int | None = None
    problem: str | None = None
    expected_prev = GENESIS
    for row in session.execute(statement):
        rows += 1
        if first_broken_id is None:
            if row.prev_hash != expected_prev:
                first_broken_id = row.id
                problem = (
                    f"audit row {row.id} does not link to the row before it: a row before it "
                    "was deleted, or the chain forked"
                )
            elif row.hash != row_hash(
                prev_hash=row.prev_hash,
                at=row.at,
                actor=row.actor,
                action=row.action,
                subject_type=row.subject_type,
                subject_id=row.subject_id,
                purpose=row.purpose,
                detail=row.detail if row.detail is not None else {},
            ):
                first_broken_id = row.id
                problem = f"audit row {row.id} does not match its hash: the row was edited"
        expected_prev = row.hash
    return ChainReport(
        rows=rows, first_broken_id=first_broken_id, problem=problem, head_hash=expected_prev
    )


def _utc(moment: datetime) -> datetime:
    """A moment in UTC; a naive one (SQLite returns them) is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _clean_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """`detail` as the database will return it (a JSON round trip), after the personal-key check.

    Hashing what the database gives back, not what the caller passed (a tuple, an int key),
    keeps the stored hash and the recomputed one equal.
    """
    if detail is None:
        return {}
    _refuse_personal_keys(detail, path="detail")
    try:
        result: dict[str, Any] = json.loads(
            json.dumps(dict(detail), ensure_ascii=False, allow_nan=False)
        )
    except (TypeError, ValueError):
        raise ValueError(
            "audit detail must be plain JSON (str, number, bool, list, dict)"
        ) from None
    return result


def _refuse_personal_keys(value: object, *, path: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).casefold() in PERSONAL_DETAIL_KEYS:
                raise ValueError(
                    f"audit detail key {path}.{key} names a personal field; the audit log "
                    "must not hold personal data (name the field, not its value)"
                )
            _refuse_personal_keys(item, path=f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_personal_keys(item, path=f"{path}[{index}]")
