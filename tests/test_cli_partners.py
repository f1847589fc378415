"""`vongtay partners create` and `vongtay partners list`, and a partner account made for the
registered organisation, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from rich.console import Console
from typer.testing import CliRunner

from tests.api.conftest import reset_caches
from vongtay import cli
from vongtay.cli import app

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture
def runner(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner on a fresh migrated database, with wide consoles so nothing wraps."""
    monkeypatch.setenv("VONGTAY_DATABASE_URL", db_url)
    monkeypatch.setenv("VONGTAY_VAULT_KEY", Fernet.generate_key().decode())
    monkeypatch.setattr(cli, "out", Console(width=240, color_system=None))
    monkeypatch.setattr(cli, "err", Console(stderr=True, width=240, color_system=None))
    reset_caches()
    yield CliRunner(env={"NO_COLOR": "1"})
    reset_caches()


def _text(raw: str) -> str:
    return " ".join(_ANSI.sub("", raw).split())


def _rows(raw: str) -> list[list[str]]:
    """The body rows of a rich table, as their cells."""
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in _ANSI.sub("", raw).splitlines()
        if "│" in line
    ]


def test_partners_are_created_listed_and_get_accounts(runner: CliRunner) -> None:
    create = ["partners", "create", "--name", "Ngân hàng CSXH", "--service", "vbsp_loan"]
    made = runner.invoke(app, [*create, "--slug", "vbsp-sample", "--province", "sample"])
    assert made.exit_code == 0, made.output
    assert "created partner vbsp-sample (vbsp_loan, sample)" in _text(made.output)
    national = runner.invoke(app, [*create, "--slug", "vbsp-all", "--province", "national"])
    assert "(vbsp_loan, national)" in _text(national.output)

    again = runner.invoke(app, [*create, "--slug", "vbsp-sample", "--province", "sample"])
    assert again.exit_code == 2 and "--slug" in _text(again.output) and "unique" in again.output
    bad = runner.invoke(
        app, [*create[:-2], "--service", "tarot", "--slug", "x-1", "--province", "sample"]
    )
    assert bad.exit_code == 2 and "--service" in _text(bad.output)
    nowhere = runner.invoke(app, [*create, "--slug", "x-2", "--province", "atlantis"])
    assert nowhere.exit_code == 2 and "--province" in _text(nowhere.output)

    listed = runner.invoke(app, ["partners", "list"])
    assert listed.exit_code == 0, listed.output
    assert _rows(listed.output) == [
        ["vbsp-all", "vbsp_loan", "national", "yes", "Ngân hàng CSXH"],
        ["vbsp-sample", "vbsp_loan", "sample", "yes", "Ngân hàng CSXH"],
    ]

    user = runner.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "banker",
            "--role",
            "partner",
            "--partner",
            "vbsp-sample",
        ],
    )
    assert user.exit_code == 0, user.output
    assert "created banker (partner, partner vbsp-sample)" in _text(user.output)
