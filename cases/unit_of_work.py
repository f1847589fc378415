"""The unit of work: the only place that commits or rolls back.

A use case opens one unit of work, does all its reads and writes through the repository, and
commits once; any exception rolls everything back, so a failed request loses nothing already
stored and leaves nothing half-written.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from cases.db import default_engine, is_sqlite
from cases.exceptions import InvalidInput
from cases.repository import Repository


class UnitOfWork:
    """`with UnitOfWork() as uow: ...; uow.commit()` — leaving without commit rolls back."""

    def __init__(self, engine: Engine | None = None, *, write: bool = True) -> None:
        self.engine = engine or default_engine()
        self.write = write
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        connection_options = {}
        if self.write and is_sqlite(self.engine):
            connection_options["sqlite_begin"] = "IMMEDIATE"
        bind = self.engine.execution_options(**connection_options)
        self.session = Session(bind=bind, expire_on_commit=False, autoflush=True)
        self.repo = Repository(self.session)
        return self

    def commit(self) -> None:
        """Make every change of this use case durable at once."""
        self.session.commit()
        self._committed = True

    def rollback(self) -> None:
        """Drop every change of this use case."""
        self.session.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.session.rollback()
        self.session.close()
        if isinstance(exc, DataError):
            # a value the database refuses (on PostgreSQL a NUL character in text, a number out
            # of range) is the request's fault, not the server's; the value is not echoed
            raise InvalidInput(
                "a value cannot be stored: no NUL characters, numbers within range",
                rule="unstorable_value",
            ) from None
