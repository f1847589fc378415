"""`vongtay demo` through the real flows on the shared Prefect harness, then everything Prefect
kept read back from its API: flow-run names and parameters carry case ids (or a day) only, and
no name, ID number, address or phone of the generated persons is anywhere in the runs, their
task runs or their logs, with or without diacritics. The demo writes one decision per sample
case, and a second run adds no case and no decision."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner

from benefits_rules.yamlio import load_yaml
from cases import automation, dispatch
from cases.models import Case, Decision
from cases.unit_of_work import UnitOfWork
from tests.api.conftest import reset_caches
from vongtay import cli
from vongtay.demo import SAMPLE_CASES, fake_person

pytestmark = pytest.mark.usefixtures("prefect_harness")

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DAY = r"\d{4}-\d{2}-\d{2}"
#: each flow's run name and its parameters
PATTERNS = {
    "intake": (rf"intake-({UUID})", {"case_id"}),
    "propose_benefits": (rf"propose-({UUID})", {"case_id"}),
    "issue_decision": (rf"issue-({UUID})", {"case_id"}),
    "refer": (rf"refer-({UUID})", {"case_id"}),
    "daily_sweep": (rf"daily-sweep-({DAY})", {"on"}),
    "recalculate": (rf"recalculate-({DAY})", {"changed_on", "chunk_size"}),
}


def _folded(text: str) -> str:
    """Without diacritics (đ is a letter of its own, not a d with a mark)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _forms(text: str) -> set[str]:
    """The text as it could be compared: composed, and without diacritics, in any case."""
    composed = unicodedata.normalize("NFC", text)
    return {composed.casefold(), _folded(composed).casefold()}


def _secrets(count: int) -> set[str]:
    """Every generated person's data as it might leak: the whole name, the name without its
    sample tag, the given names alone, the address and its first part, the ID number, the
    phone; each with and without diacritics."""
    found: set[str] = set()
    for index in range(count):
        person = fake_person(index)
        name = str(person["full_name"])
        plain = name.split(" (", 1)[0]
        address = str(person["address"])
        for value in (
            name,
            plain,
            plain.split(" ", 1)[1],
            address,
            address.split(",", 1)[0],
            str(person["id_number"]),
            str(person["phone"]),
        ):
            found |= _forms(value)
    return found


def _all(read: Callable[..., list[Any]], **filters: Any) -> list[Any]:
    """Every row of a paged Prefect read."""
    found: list[Any] = []
    while True:
        page = read(**filters, limit=200, offset=len(found))
        found += page
        if len(page) < 200:
            return found


@pytest.fixture
def demo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh working directory for the demo's ./var and ./out, on the embedded default; what
    the demo changes in the process (dispatcher, timed steps, consoles) is put back after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VONGTAY_DATABASE_URL", raising=False)
    monkeypatch.delenv("VONGTAY_VAULT_KEY", raising=False)
    monkeypatch.setattr(dispatch, "_current", dispatch.dispatcher())
    for step in ("advance_intake", "propose", "issue", "refer"):
        monkeypatch.setattr(automation, step, getattr(automation, step))
    monkeypatch.setattr(cli, "out", Console(width=240, color_system=None))
    monkeypatch.setattr(cli, "err", Console(stderr=True, width=240, color_system=None))
    reset_caches()
    yield tmp_path
    reset_caches()


def _stored() -> tuple[list[str], list[tuple[str, int]]]:
    with UnitOfWork(write=False) as uow:
        cases = sorted(uow.session.scalars(select(Case.id)))
        decisions = sorted(
            (row.case_id, row.number) for row in uow.session.scalars(select(Decision))
        )
    return cases, decisions


def test_the_demo_leaves_no_personal_data_in_prefect(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter

    samples = len(load_yaml(SAMPLE_CASES))
    originals = {s: getattr(automation, s) for s in ("advance_intake", "propose", "issue", "refer")}
    runner = CliRunner(env={"NO_COLOR": "1"})
    first = runner.invoke(cli.app, ["demo"])
    assert first.exit_code == 0, first.output
    cases, decisions = _stored()
    documents = sorted(p.name for p in (demo_dir / "out").glob("*.docx"))
    assert len(documents) == samples == len(cases) == len(decisions), (documents, decisions)
    assert sorted(n for _c, n in decisions) == list(range(1, samples + 1))

    for step, real in originals.items():  # the demo times its steps by wrapping them
        monkeypatch.setattr(automation, step, real)
    again = runner.invoke(cli.app, ["demo"])
    assert again.exit_code == 0, again.output
    assert _stored() == (cases, decisions)  # no case, no decision added
    assert sorted(p.name for p in (demo_dir / "out").glob("*.docx")) == documents

    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=15)  # the logs still on their way to the API
    with get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in _all(client.read_flows)}
        runs = _all(client.read_flow_runs)
        ids = FlowRunFilter(id=FlowRunFilterId(any_=[r.id for r in runs]))
        tasks = _all(client.read_task_runs, flow_run_filter=ids)
        logs = _all(client.read_logs, log_filter=LogFilter())

    named: dict[str, set[str]] = {}
    for run in runs:
        flow = flows[run.flow_id]
        pattern, parameters = PATTERNS[flow]
        match = re.fullmatch(pattern, run.name)
        assert match, (flow, run.name)
        assert set(run.parameters) <= parameters, (flow, run.parameters)
        if parameters == {"case_id"}:
            assert run.parameters == {"case_id": match.group(1)}
            named.setdefault(match.group(1), set()).add(flow)
    # every sample case went through the journey's flows (the harness holds other tests' too)
    for case_id in cases:
        assert {"intake", "propose_benefits", "issue_decision"} <= named.get(case_id, set())
    assert "daily_sweep" in {flows[r.flow_id] for r in runs}

    secrets = _secrets(samples)
    kept = [
        *(r.model_dump_json() for r in runs),
        *(t.model_dump_json() for t in tasks),
        *(log.model_dump_json() for log in logs),
    ]
    assert logs and tasks  # something was read back
    for text in kept:
        leaked = [s for s in secrets for form in _forms(text) if s in form]
        assert not leaked, (leaked, text[:500])
