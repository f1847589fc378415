"""How the case file starts the work that happens without a person: the `Dispatcher`.

`cases` defines the interface and calls it after a use case commits; `flows` implements it
(`PrefectDispatcher` starts deployments, `InlineDispatcher` runs the same flows in-process). The
default does nothing, so the API works, and its tests run, without an orchestrator. The flows
carry case ids only.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)

#: the flows a use case may start, by name
FLOWS = ("intake", "propose_benefits", "issue_decision", "refer")


class Dispatcher(Protocol):
    """Starts a flow for one case; must return quickly and never raise into a use case."""

    def dispatch(self, flow: str, case_id: str) -> None: ...


class NullDispatcher:
    """No orchestrator: the next step waits for a person, a sweep or a later dispatch."""

    def dispatch(self, flow: str, case_id: str) -> None:
        log.debug("no dispatcher: %s for case %s waits", flow, case_id)


_current: Dispatcher = NullDispatcher()


def set_dispatcher(dispatcher: Dispatcher) -> None:
    """Install the process's dispatcher (the CLI does, at start-up)."""
    global _current
    _current = dispatcher


def dispatcher() -> Dispatcher:
    """The process's dispatcher."""
    return _current


def dispatch(flow: str, case_id: str) -> None:
    """Start `flow` for `case_id` after a commit; a failure to dispatch is logged, not raised:
    the daily sweep re-dispatches cases left in an automatic stage."""
    if flow not in FLOWS:
        raise ValueError(f"unknown flow {flow}")
    try:
        _current.dispatch(flow, case_id)
    except Exception:
        log.exception(
            "could not dispatch %s for case %s; the daily sweep will retry", flow, case_id
        )
