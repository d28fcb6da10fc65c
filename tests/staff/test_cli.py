"""`trialbot staff add|list|password|unlock|disable|enable|audit`, as an administrator runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db.migrate import upgrade
from bot.db.session import create_db_engine
from bot.settings import get_settings
from bot.staff import accounts

STRONG = "a long enough passphrase"


@pytest.fixture
def engine(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    upgrade(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    engine = create_db_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()
        get_settings.cache_clear()


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["staff", *args], input=stdin)


def _said(result: Result) -> str:
    return " ".join(result.output.split())


def _sign_in(engine: Engine, email: str, password: str) -> accounts.SignIn:
    with Session(engine) as session, session.begin():
        return accounts.sign_in(session, email, password, accounts.Policy(lockout_failures=2))


def test_add_asks_for_a_password_twice_and_the_account_signs_in(engine: Engine) -> None:
    added = _run(
        "add", "Nurse@Site.example", "--role", "coordinator", stdin=f"{STRONG}\n{STRONG}\n"
    )
    assert added.exit_code == 0, added.output
    assert "Added nurse@site.example (coordinator)" in _said(added)
    assert _sign_in(engine, "nurse@site.example", STRONG).refusal is None
    assert _sign_in(engine, "nurse@site.example", "a wrong passphrase!").refusal == "wrong"
    listed = json.loads(_run("list", "--json").output)
    assert listed == [
        {"email": "nurse@site.example", "role": "coordinator", "state": "active",
         "last_login_at": listed[0]["last_login_at"]},
    ]  # fmt: skip
    assert listed[0]["last_login_at"] is not None


@pytest.mark.parametrize(
    ("args", "stdin", "said"),
    [
        (["not-an-address"], STRONG, "not an e-mail address"),
        (
            ["x@site.example", "--role", "owner"],
            STRONG,
            "the role must be one of coordinator, admin",
        ),
        (["x@site.example"], "short", "at least 12 characters"),
    ],
)
def test_add_refuses_with_the_reason(
    engine: Engine, args: list[str], stdin: str, said: str
) -> None:
    refused = _run("add", *args, "--password-stdin", stdin=f"{stdin}\n")
    assert refused.exit_code == 1
    assert said in _said(refused)
    assert json.loads(_run("list", "--json").output) == []


def test_an_address_has_one_account(engine: Engine) -> None:
    assert _run("add", "x@site.example", "--password-stdin", stdin=STRONG).exit_code == 0
    again = _run("add", "X@site.example", "--password-stdin", stdin=STRONG)
    assert again.exit_code == 1 and "already has an account" in _said(again)


def test_unlock_password_disable_and_enable_are_audited(engine: Engine) -> None:
    _run("add", "x@site.example", "--role", "admin", "--password-stdin", stdin=STRONG)
    for _ in range(2):
        _sign_in(engine, "x@site.example", "a wrong passphrase!")
    assert _sign_in(engine, "x@site.example", STRONG).refusal == "locked"
    assert json.loads(_run("list", "--json").output)[0]["state"] == "locked"
    assert _run("unlock", "x@site.example").exit_code == 0
    assert _sign_in(engine, "x@site.example", STRONG).refusal is None

    new = "another long passphrase"
    assert _run("password", "x@site.example", "--password-stdin", stdin=new).exit_code == 0
    assert _sign_in(engine, "x@site.example", STRONG).refusal == "wrong"
    assert _sign_in(engine, "x@site.example", new).refusal is None

    assert _run("disable", "x@site.example").exit_code == 0
    assert _sign_in(engine, "x@site.example", new).refusal == "disabled"
    assert _run("enable", "x@site.example").exit_code == 0
    assert _sign_in(engine, "x@site.example", new).refusal is None

    missing = _run("unlock", "nobody@site.example")
    assert missing.exit_code == 1 and "no staff account for nobody@site.example" in _said(missing)
    log = json.loads(_run("audit", "--json").output)
    assert [row["action"] for row in log] == [
        "staff.enable", "staff.disable", "staff.password", "staff.unlock", "staff.add",
    ]  # fmt: skip
    assert all(row["actor"].startswith("cli:") for row in log)
    assert log[-1]["subject"] == "staff:x@site.example"
