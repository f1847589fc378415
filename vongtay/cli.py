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


users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
db_app = typer.Typer(help="The case database.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
vault_app = typer.Typer(help="The identity vault.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(vault_app, name="vault")


def _database_url() -> str:
    from cases.settings import ConfigurationError, get_settings

    settings = get_settings()
    try:
        settings.resolved_vault_key()
    except ConfigurationError as exc:
        raise _fail(str(exc)) from None
    return settings.database_url


def _ensure_schema(url: str) -> None:
    """The SQLite default migrates itself; any other database must be upgraded on purpose."""
    from cases import migrate
    from cases.settings import get_settings

    if get_settings().is_sqlite_default:
        migrate.upgrade(url)
        return
    if migrate.current(url) != migrate.head():
        raise _fail("the database is not at the newest schema: run `vongtay db upgrade` first")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Apply the migrations to VONGTAY_DATABASE_URL."""
    from cases import migrate

    url = _database_url()
    migrate.upgrade(url, revision)
    out.print(f"database at revision {migrate.current(url)}")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option("--username", help="the login name")],
    role: Annotated[
        str,
        typer.Option(
            "--role", help="intake_officer, approver, followup_worker, auditor, admin or partner"
        ),
    ],
    province: Annotated[
        str | None,
        typer.Option("--province", help="a province slug, or `national` (not for a partner)"),
    ] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="full name, printed when signing decisions")
    ] = None,
    partner: Annotated[
        str | None,
        typer.Option("--partner", help="a partner account's organisation (its slug)"),
    ] = None,
) -> None:
    """Create an account and print its one-time password. A staff account needs a province;
    a partner account needs its organisation, whose province it takes."""
    from cases.accounts import create_user
    from cases.exceptions import CaseError

    if province is None and partner is None:
        raise _fail("province: a staff account needs --province SLUG or --province national")
    _ensure_schema(_database_url())
    try:
        user_id, password = create_user(
            username,
            role,
            None if province in (None, "national") else province,
            display_name,
            partner,
        )
    except CaseError as exc:
        raise _fail(f"{exc.field}: {exc.detail} ({exc.rule})") from None
    scope = f"partner {partner}" if partner else province
    out.print(f"created {username} ({role}, {scope}), id {user_id}")
    out.print(f"one-time password: {password}", highlight=False)


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Option("--username")]) -> None:
    """Disable an account and revoke its tokens."""
    from cases.accounts import disable_user
    from cases.exceptions import CaseError

    _ensure_schema(_database_url())
    try:
        disable_user(username)
    except CaseError as exc:
        raise _fail(f"{exc.field}: {exc.detail}") from None
    out.print(f"disabled {username}; its tokens are revoked")


@audit_app.command("verify")
def audit_verify() -> None:
    """Verify the audit log's hash chain; exit 1 at the first broken link."""
    from cases.service import verify_audit

    _ensure_schema(_database_url())
    report = verify_audit()
    if report.intact:
        out.print(f"audit chain intact: {report.rows} rows, head {report.head_hash}")
        return
    out.print(
        f"audit chain BROKEN at row {report.first_broken_id}: {report.problem} "
        f"({report.rows} rows read)"
    )
    raise typer.Exit(1)


@vault_app.command("new-key")
def vault_new_key() -> None:
    """Print a new vault key for VONGTAY_VAULT_KEY (keep it secret, keep a copy)."""
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode())


partners_app = typer.Typer(
    help="Partner organisations a person is referred to.", no_args_is_help=True
)
app.add_typer(partners_app, name="partners")


@partners_app.command("create")
def partners_create(
    slug: Annotated[str, typer.Option("--slug", help="the partner's id in accounts and lists")],
    name: Annotated[str, typer.Option("--name", help="the organisation's name")],
    service: Annotated[
        str,
        typer.Option(
            "--service",
            help="vocational_training, employment_service, vbsp_loan, legal_aid or "
            "psychological_support",
        ),
    ],
    province: Annotated[
        str, typer.Option("--province", help="the province it serves, or `national`")
    ],
) -> None:
    """Register a partner organisation; then give it accounts with
    `vongtay users create --role partner --partner SLUG`."""
    from pydantic import ValidationError

    from cases.exceptions import CaseError
    from cases.partners import register_partner
    from cases.referral_schemas import PartnerCreate

    try:
        command = PartnerCreate.model_validate(
            {
                "slug": slug,
                "name": name,
                "service": service,
                "province": None if province == "national" else province,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise _fail(f"--{field}: {first['msg']}") from None
    _ensure_schema(_database_url())
    try:
        partner = register_partner(command)
    except CaseError as exc:
        raise _fail(f"--{exc.field}: {exc.detail} ({exc.rule})") from None
    scope = partner.province or "national"
    out.print(f"created partner {partner.slug} ({partner.service}, {scope}), id {partner.id}")


@partners_app.command("list")
def partners_list() -> None:
    """Every partner organisation: slug, service, province, whether active."""
    from rich.table import Table

    from cases.partners import list_partners

    _ensure_schema(_database_url())
    table = Table("slug", "service", "province", "active", "name")
    for partner in list_partners(None):
        table.add_row(
            partner.slug,
            partner.service,
            partner.province or "national",
            "yes" if partner.active else "no",
            partner.name,
        )
    out.print(table)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="address the API listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the API's port")] = 8000,
    workers: Annotated[int, typer.Option(help="API worker processes")] = 1,
    api_only: Annotated[bool, typer.Option("--api-only", help="only the API")] = False,
    runner_only: Annotated[
        bool, typer.Option("--runner-only", help="only a Prefect runner for the deployments")
    ] = False,
) -> None:
    """Start the API and the Prefect runner that hosts the deployments and the daily sweep.

    Without PREFECT_API_URL a local Prefect server is started too; with it, several runners
    on several hosts can serve the same deployments."""
    from vongtay.serving import serve as run

    _ensure_schema(_database_url())
    run(host, port, workers, api=not runner_only, runner=not api_only, console=out)


@app.command("recalc")
def recalc(
    changed_on: Annotated[
        str, typer.Option("--changed-on", help="the day the new value applies from")
    ],
    chunk: Annotated[int, typer.Option(help="cases per transaction")] = 5000,
) -> None:
    """The recalculation campaign after a law or rate change, with a progress bar; the deltas
    wait for another approver's batch approval (POST /api/v1/campaigns/{id}/approval)."""
    import threading

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    day = _parse_as_of(changed_on)
    assert day is not None
    _ensure_schema(_database_url())
    from cases import campaigns
    from cases.accounts import system_actor
    from vongtay.demo import configure_prefect

    configure_prefect(Path("var") / "prefect")
    status = campaigns.start(system_actor(), day)
    from flows.campaign import recalculate

    result: dict[str, object] = {}
    errors: list[BaseException] = []

    def work() -> None:
        try:
            result.update(recalculate(day, chunk))
        except BaseException as exc:  # reported below, after the progress bar
            errors.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    ) as progress:
        bar = progress.add_task(
            f"campaign {status.id[:8]} (change on {day.isoformat()})", total=status.total_cases or 1
        )
        while thread.is_alive():
            now = campaigns.status(status.id)
            progress.update(bar, completed=now.done_cases, total=max(now.total_cases, 1))
            thread.join(timeout=0.5)
        now = campaigns.status(status.id)
        progress.update(bar, completed=now.done_cases)
    if errors:
        raise _fail(
            f"the campaign stopped: {type(errors[0]).__name__}; run the same command to resume"
        )
    out.print(
        f"campaign {now.id}: {now.done_cases} computed, {now.changed_cases} changed, "
        f"net {now.net_delta_vnd:,} VND; state {now.state}. Another approver approves the batch "
        f"with POST /api/v1/campaigns/{now.id}/approval"
    )


@app.command("demo")
def demo_command(
    out_dir: Annotated[Path, typer.Option("--out", help="where the decision documents go")] = Path(
        "out"
    ),
) -> None:
    """The main job: the sample cases through every stage with the real Prefect flows, on the
    embedded SQLite default; decisions written to ./out/, then a status table."""
    from vongtay.demo import run_demo

    _database_url()
    out.print(
        "[bold]Vòng Tay demo[/]: sample cases, generated persons, demo rates (no legal value)"
    )
    timing = run_demo(out_dir, out)
    overhead = timing.flows - timing.steps
    out.print(
        f"{timing.flow_runs} flow runs; total {timing.total:.1f} s: importing Prefect "
        f"{timing.prefect_start:.1f} s, flow runs {timing.flows:.1f} s of which the steps' own "
        f"work {timing.steps:.1f} s and Prefect's overhead {overhead:.1f} s "
        f"({overhead / timing.total:.0%} of the total, its temporary server's start included)"
    )
    out.print(f"decision documents in {out_dir.resolve()}")


@app.command("report")
def report_command(
    province: Annotated[
        str, typer.Option("--province", help="a province slug, or `national` for all")
    ],
    year: Annotated[str, typer.Option("--year", help="the year of reception, YYYY")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="where the PNG chart and the JSON go")
    ] = Path("out"),
) -> None:
    """The provincial report: suppressed tables, a PNG chart of persons by stage per month
    and the same tables as JSON; read as the national system account, and audited."""
    from benefits_rules.provinces import is_known
    from cases import statistics
    from cases.accounts import system_actor
    from cases.exceptions import CaseError
    from vongtay.reporting import print_report, write_report

    if province != "national" and not is_known(province):
        raise _fail(f"--province: not a province of the registry: {province!r}")
    if not (year.isdigit() and len(year) == 4):
        raise _fail(f"--year: not a year YYYY: {year!r}")
    _ensure_schema(_database_url())
    try:
        report = statistics.provincial_report(
            system_actor(), None if province == "national" else province, int(year)
        )
    except CaseError as exc:
        raise _fail(f"--{exc.field}: {exc.detail} ({exc.rule})") from None
    print_report(report, out)
    written = write_report(report, statistics.chart_png(report), out_dir)
    out.print(f"chart {written.chart}, tables {written.data}", highlight=False)


def main() -> None:  # pragma: no cover - console entry for `python -m vongtay.cli`
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
