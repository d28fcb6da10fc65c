"""`trialbot staff`: the accounts for the staff pages, and the audit log of what staff did."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.common import AsJson, KnowledgeDir, fail, load_settings, out, read, record_audit, show
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(
    help="Accounts for the staff pages (/staff), and the audit log.", no_args_is_help=True
)

StaffEmail = Annotated[str, typer.Argument(help="The staff member's e-mail address.")]


def _staff_change(
    settings: Settings, email: str, action: str, change: Callable[[Session, Any], Any]
) -> None:
    """Apply `change` to one account and write it to the audit log, in one transaction."""
    from bot.db.session import create_db_engine, make_session_factory
    from bot.staff import accounts

    engine = create_db_engine(settings.db_url)
    try:
        with make_session_factory(engine).begin() as session:
            user = accounts.find(session, email)
            if user is None:
                raise fail(f"no staff account for {email}")
            try:
                change(session, user)
            except accounts.AccountError as error:
                raise fail(str(error)) from None
            record_audit(session, action, f"staff:{user.email}")
    finally:
        engine.dispose()


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]


@app.command("add")
def staff_add(
    email: StaffEmail,
    role: Annotated[
        str, typer.Option("--role", help="coordinator (the pages) or admin (also accounts).")
    ] = "coordinator",
    password_stdin: PasswordStdin = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Create an account for the staff pages; asks for its password (12 characters or more)."""
    from bot.db.session import create_db_engine, make_session_factory
    from bot.staff import accounts

    settings = load_settings(knowledge, as_json=as_json)
    try:
        address = accounts.normalise_email(email)
        if role not in accounts.ROLES:
            raise accounts.AccountError(f"the role must be one of {', '.join(accounts.ROLES)}")
        password = _new_password(password_stdin)
        engine = create_db_engine(settings.db_url)
        try:
            with make_session_factory(engine).begin() as session:
                user = accounts.add(session, address, role, password)
                record_audit(session, "staff.add", f"staff:{user.email}", role=role)
        finally:
            engine.dispose()
    except accounts.AccountError as error:
        raise fail(str(error)) from None
    if as_json:
        out.print_json(json.dumps({"email": address, "role": role}))
    else:
        out.print(
            f"Added {address} ({role}). Sign in at {settings.gateway_url}/staff", highlight=False
        )


@app.command("list")
def staff_list(as_json: AsJson = False, knowledge: KnowledgeDir = None) -> None:
    """The staff accounts, with their state (active, locked, disabled)."""
    from bot.staff import accounts

    def rows(session: Session) -> list[dict[str, Any]]:
        listed = accounts.listed(session)
        for row in listed:
            moment = row["last_login_at"]
            row["last_login_at"] = moment and moment.isoformat(timespec="seconds")
        return listed

    show(
        read(load_settings(knowledge, as_json=as_json), rows),
        as_json,
        ("e-mail", "role", "state", "last sign-in (UTC)"),
        lambda row: (row["email"], row["role"], row["state"], row["last_login_at"] or "never"),
        "No staff accounts yet: add one with `trialbot staff add EMAIL --role coordinator`.",
    )


@app.command("password")
def staff_password(
    email: StaffEmail, password_stdin: PasswordStdin = False, knowledge: KnowledgeDir = None
) -> None:
    """Set a new password; it signs the account out everywhere and lifts a lock-out."""
    from bot.staff import accounts

    password = _new_password(password_stdin)
    _staff_change(
        load_settings(knowledge), email, "staff.password",
        lambda session, user: accounts.set_password(session, user, password),
    )  # fmt: skip
    out.print(f"New password set for {email}; its sessions have ended.", highlight=False)


@app.command("unlock")
def staff_unlock(email: StaffEmail, knowledge: KnowledgeDir = None) -> None:
    """Lift a lock-out after too many wrong passwords."""
    from bot.staff import accounts

    _staff_change(
        load_settings(knowledge), email, "staff.unlock", lambda _, user: accounts.unlock(user)
    )
    out.print(f"{email} can sign in again.", highlight=False)


@app.command("disable")
def staff_disable(email: StaffEmail, knowledge: KnowledgeDir = None) -> None:
    """Stop an account signing in (kept for the audit log); `enable` brings it back."""
    from bot.staff import accounts

    _staff_change(load_settings(knowledge), email, "staff.disable", accounts.disable)
    out.print(f"{email} is disabled and signed out.", highlight=False)


@app.command("enable")
def staff_enable(email: StaffEmail, knowledge: KnowledgeDir = None) -> None:
    """Let a disabled account sign in again."""
    from bot.staff import accounts

    _staff_change(
        load_settings(knowledge), email, "staff.enable", lambda _, user: accounts.enable(user)
    )
    out.print(f"{email} can sign in again.", highlight=False)


@app.command("audit")
def staff_audit(
    who: Annotated[str | None, typer.Option("--who", help="Only this staff e-mail.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 100,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """The audit log of staff actions (sign-ins, acknowledgements, answers, exports…)."""
    from bot.staff import audit

    show(
        read(
            load_settings(knowledge, as_json=as_json),
            lambda s: audit.entries(s, actor=who, limit=limit),
        ),
        as_json,
        ("when (UTC)", "who", "action", "subject", "from"),
        lambda row: (
            row["at"],
            row["actor"],
            row["action"],
            row["subject"] or "",
            row["address"] or "",
        ),
        "The audit log is empty.",
    )
