"""`vongtay`: the one command line of Vòng Tay (design §4)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from benefits_rules import Calculation, FactsError, RulesError, compute
from benefits_rules.yamlio import load_yaml
from vongtay import golden as golden_check
from vongtay.display import calculation_tables

app = typer.Typer(
    help="Vòng Tay: from shelter intake to a stable life.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

SAMPLE_CASES = Path(__file__).parent / "data" / "sample_cases.yaml"


def today_in_viet_nam() -> date:
    """Today where the users are: a default date must not depend on the server's zone."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _parse_as_of(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _fail(f"--as-of: not an ISO date YYYY-MM-DD: {raw!r}") from None


@app.command("compute")
def compute_command(
    file: Annotated[
        Path, typer.Argument(help="golden-format file (as_of, facts, rates) or bare facts")
    ],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="date of the calculation (default: the file's, else today)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
) -> None:
    """Compute one case: its items, total and trace. Exit 2 on invalid facts."""
    if not file.is_file():
        raise _fail(f"{file}: no such file")
    try:
        data = load_yaml(file)
    except RulesError as exc:
        raise _fail(str(exc)) from None
    chosen = _parse_as_of(as_of)
    rates: Any = None
    if isinstance(data, dict) and isinstance(data.get("facts"), dict):
        facts = data["facts"]
        rates = data.get("rates")
        if chosen is None and "as_of" in data:
            try:
                chosen = golden_check.parse_date("as_of", data["as_of"])
            except golden_check.MalformedGoldenError as exc:
                raise _fail(f"{file}: {exc}") from None
    elif isinstance(data, dict):
        facts = data
    else:
        raise _fail(f"{file}: must hold a mapping of facts, or as_of/facts/rates")
    day = chosen or today_in_viet_nam()
    try:
        calculation = compute(facts, day, rates)
    except FactsError as exc:
        if as_json:
            print(json.dumps({"error": "FactsError", "field": exc.field, "rule": exc.rule}))
        raise _fail(f"invalid facts: field {exc.field}, rule {exc.rule} ({exc.detail})") from None
    except RulesError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        print(json.dumps(calculation.to_dict(), ensure_ascii=False, indent=2))
        return
    _print_calculation(calculation)


def _print_calculation(calculation: Calculation) -> None:
    for renderable in calculation_tables(calculation):
        out.print(renderable)


@app.command("golden")
def golden_command(
    paths: Annotated[list[Path], typer.Argument(help="golden files or directories of them")],
) -> None:
    """Check golden cases: one line per case, then `N passed, M failed`; exit 1 on any failure."""
    passed = failed = 0
    for path in golden_check.golden_files(paths):
        if not path.exists():
            print(f"FAIL {path}: no such file")
            failed += 1
            continue
        result = golden_check.check_file(path)
        print(result.line())
        if result.passed:
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


@app.command("demo")
def demo_command() -> None:
    """Compute the sample cases of the demo province `sample` and print their items."""
    cases = load_yaml(SAMPLE_CASES)
    summary = Table(
        title="Sample cases (rates of the demo province: MẪU – không có giá trị pháp lý)"
    )
    for column in ("case", "regime", "items", "total VND", "legal check"):
        summary.add_column(column, justify="right" if column == "total VND" else "left")
    for number, case in enumerate(cases, start=1):
        as_of = golden_check.parse_date("as_of", case["as_of"])
        calculation = compute(case["facts"], as_of, case.get("rates"))
        out.rule(f"[bold]Case {number}[/]: {case['name']}")
        _print_calculation(calculation)
        summary.add_row(
            str(number),
            str(calculation.regime),
            str(len(calculation.items)),
            f"{calculation.total_vnd:,}",
            ", ".join(calculation.needs_legal_check) or "-",
        )
    out.print(summary)


def main() -> None:  # pragma: no cover - console entry for `python -m vongtay.cli`
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
