"""The two state machines of design §2, as data: the person's path and each support decision.

Every move goes through `check_move`, and the service applies it as a compare-and-set on the
stored state, so a move that is not in these tables, or that raced with another, is refused
with `TransitionNotAllowed` and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from cases.exceptions import TransitionNotAllowed


class Stage(StrEnum):
    """Where the person is on their path."""

    received = "received"
    awaiting_verification = "awaiting_verification"
    identified = "identified"
    not_identified = "not_identified"
    referred = "referred"
    following_up = "following_up"
    closed = "closed"


class CalcState(StrEnum):
    """Where a support decision is."""

    proposed = "proposed"
    approved = "approved"
    issued = "issued"
    returned = "returned"
    superseded = "superseded"
    replaced = "replaced"


STAGE_MOVES: dict[Stage, frozenset[Stage]] = {
    # a minor stays `received` while the person they came with is verified, then follows
    # that person's identification result: identified or not_identified
    Stage.received: frozenset(
        {Stage.awaiting_verification, Stage.identified, Stage.not_identified, Stage.closed}
    ),
    Stage.awaiting_verification: frozenset({Stage.identified, Stage.not_identified, Stage.closed}),
    Stage.identified: frozenset({Stage.referred, Stage.closed}),
    Stage.not_identified: frozenset({Stage.closed}),
    Stage.referred: frozenset({Stage.following_up, Stage.closed}),
    Stage.following_up: frozenset({Stage.closed}),
    Stage.closed: frozenset(),
}

CALC_MOVES: dict[CalcState, frozenset[CalcState]] = {
    CalcState.proposed: frozenset({CalcState.approved, CalcState.returned, CalcState.superseded}),
    CalcState.approved: frozenset({CalcState.issued, CalcState.superseded}),
    CalcState.issued: frozenset({CalcState.replaced}),
    CalcState.returned: frozenset({CalcState.superseded}),
    CalcState.superseded: frozenset(),
    CalcState.replaced: frozenset(),
}

#: stages in which support may be proposed (the waiting-period support, then full support)
PROPOSE_STAGES = frozenset({Stage.awaiting_verification, Stage.identified})
#: stages in which the case is still open to facts, refusals and decisions
OPEN_STAGES = frozenset(set(Stage) - {Stage.closed})


def check_move(current: Stage, target: Stage) -> None:
    """Refuse a stage move the lifecycle does not allow."""
    if target not in STAGE_MOVES[current]:
        raise TransitionNotAllowed(
            f"a case cannot move from {current} to {target}", field="stage", rule="lifecycle"
        )


def check_calc_move(current: CalcState, target: CalcState) -> None:
    """Refuse a calculation state move the lifecycle does not allow."""
    if target not in CALC_MOVES[current]:
        raise TransitionNotAllowed(
            f"a calculation cannot move from {current} to {target}",
            field="calculation.state",
            rule="lifecycle",
        )
