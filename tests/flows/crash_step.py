"""Run one step of the case file in this process and kill the process at a chosen point, the way
a power cut or the OOM killer would: `os._exit`, so no `finally`, no rollback, no clean close.

The test in `test_crash.py` runs it with the database and the key in the environment:

    VONGTAY_DATABASE_URL=... VONGTAY_VAULT_KEY=... python crash_step.py issue CASE_ID POINT
    ... python crash_step.py campaign CHANGED_ON CHUNK_SIZE POINT
    ... python crash_step.py approve CAMPAIGN_ID APPROVER_USERNAME POINT

POINT is where to die: `after_number`, `after_render` (issuing), `after_compute`,
`between_chunks` (the campaign), `before_commit`, `after_commit` (any step; only the step's
own commits count). The exit status is `CRASHED` when the process died there, 0 when the step
finished without reaching the point (the test treats that as a failure).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import date
from types import ModuleType
from typing import Any

CRASHED = 86


def _die() -> None:
    os._exit(CRASHED)


def main(argv: list[str]) -> int:
    from cases import campaigns, decisions
    from cases.accounts import Actor, system_actor
    from cases.schemas import Role
    from cases.unit_of_work import UnitOfWork

    step, point = argv[0], argv[-1]
    armed = {"on": False}  # only the step's own work dies, not the set-up around it
    real_commit = UnitOfWork.commit

    def commit(self: UnitOfWork) -> None:
        if armed["on"] and point == "before_commit":
            _die()
        real_commit(self)
        if armed["on"] and point == "after_commit":
            _die()

    UnitOfWork.commit = commit  # type: ignore[method-assign]

    def die_after(module: ModuleType, name: str, wanted: str) -> None:
        real: Callable[..., Any] = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = real(*args, **kwargs)
            if armed["on"] and point == wanted:
                _die()
            return result

        setattr(module, name, wrapper)

    die_after(decisions, "_next_number", "after_number")
    die_after(decisions, "render_decision", "after_render")
    die_after(campaigns, "compute_frame", "after_compute")

    system = system_actor()
    if step == "issue":
        armed["on"] = True
        decisions.issue_decision(system, argv[1])
    elif step == "campaign":
        status = campaigns.start(system, date.fromisoformat(argv[1]))
        armed["on"] = True
        status = campaigns.run_chunk(status.id, int(argv[2]))
        if point == "between_chunks":
            _die()
        while status.state == "running":
            status = campaigns.run_chunk(status.id, int(argv[2]))
    elif step == "approve":
        with UnitOfWork(write=False) as uow:
            user = uow.repo.user_by_name(argv[2])
            assert user is not None
            approver = Actor(user.id, user.username, Role(user.role), user.province)
        armed["on"] = True
        campaigns.approve(approver, argv[1])
    else:
        raise SystemExit(f"unknown step {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
