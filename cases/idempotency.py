"""Creating use cases run once per (account, Idempotency-Key): a repeat returns the first answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from cases.accounts import Actor
from cases.exceptions import Conflict, IdempotencyKeyReused, InvalidInput
from cases.models import IdempotencyRecord
from cases.policy import now
from cases.unit_of_work import UnitOfWork


def request_hash(payload: Any) -> str:
    """A stable hash of a request body, to tell a repeat from a different request."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(
    actor: Actor,
    key: str | None,
    body_hash: str,
    produce: Callable[[UnitOfWork], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """Run a creating use case once per (account, Idempotency-Key): a repeat returns the first
    answer. The record is written in the same transaction as the use case, so a crash leaves
    neither; two concurrent requests with one key meet at the unique index and the loser returns
    the winner's answer."""
    if key is None:
        with UnitOfWork() as uow:
            result = produce(uow)
            uow.commit()
            return result
    if not key or len(key) > 128:
        raise InvalidInput(
            "an Idempotency-Key is 1 to 128 characters",
            field="Idempotency-Key",
            rule="invalid_format",
        )
    try:
        with UnitOfWork() as uow:
            existing = uow.repo.idempotency(actor.id, key)
            if existing is not None:
                return _replay(existing, body_hash)
            record = IdempotencyRecord(
                user_id=actor.id, key=key, request_hash=body_hash, created_at=now()
            )
            uow.repo.add(record)
            uow.repo.flush()
            status, body = produce(uow)
            record.status_code, record.response = status, body
            uow.commit()
            return status, body
    except IntegrityError:
        with UnitOfWork(write=False) as uow:
            existing = uow.repo.idempotency(actor.id, key)
            if existing is None:
                raise
            return _replay(existing, body_hash)


def _replay(record: IdempotencyRecord, body_hash: str) -> tuple[int, dict[str, Any]]:
    if record.request_hash != body_hash:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request",
            field="Idempotency-Key",
            rule="idempotency_key_reused",
        )
    if record.status_code is None or record.response is None:
        raise Conflict(
            "the first request with this key is still running",
            field="Idempotency-Key",
            rule="in_progress",
        )
    return record.status_code, record.response
