"""Which errors are worth a retry: a lost race or a database hiccup, not a broken rule."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from cases.exceptions import ConcurrentUpdate

RETRIABLE: tuple[type[BaseException], ...] = (ConcurrentUpdate, OperationalError)


def only_retriable(_task: Any, _task_run: Any, state: Any) -> bool:
    """`retry_condition_fn` for every task: retry a race or a lost connection; a rule the case
    breaks fails at once, so a person sees it instead of a loop."""
    error = state.data if isinstance(state.data, BaseException) else None
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, RETRIABLE)


#: every task retries at most this many times, after these pauses (seconds)
RETRIES = 3
RETRY_DELAYS: list[float] = [1.0, 5.0, 20.0]
