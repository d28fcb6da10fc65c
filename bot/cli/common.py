"""What every command group shares: the consoles, the common options, the settings, the database
session, the audit record and the way rows are shown.

Heavy imports stay inside the functions, so that `trialbot --help` starts fast.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from bot.settings import Settings, get_settings, settings_problems

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

out = Console()
err = Console(stderr=True)

KnowledgeDir = Annotated[
    Path | None,
    typer.Option(
        "--knowledge",
        help="The knowledge folder (FAQ, trials, consent texts).",
        envvar="TRIALBOT_KNOWLEDGE_DIR",
        file_okay=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def load_settings(knowledge: Path | None, *, as_json: bool = False) -> Settings:
    """The settings, with --knowledge applied for this command and the processes it starts; a
    setting to correct stops the command (as JSON on standard output with `as_json`)."""
    if knowledge is not None:
        os.environ["TRIALBOT_KNOWLEDGE_DIR"] = str(knowledge.resolve())
        get_settings.cache_clear()
    try:
        return get_settings()
    except ValidationError as error:  # a setting to correct: one line, not a traceback
        refuse(
            f"{settings_problems(error)} (correct it in the environment or in .env)",
            as_json=as_json,
        )


def refuse(problem: str, *, as_json: bool = False) -> NoReturn:
    """Stop on a setting to correct: one line that says which and how, exit code 2; with
    `as_json`, `{"error": …}` on standard output, for the script that asked for JSON."""
    if as_json:
        out.print_json(json.dumps({"error": problem}))
    else:
        err.print(f"[red]error:[/] {escape(problem)}", soft_wrap=True, highlight=False)
    raise typer.Exit(2)


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(1)


def fail_as(message: str, as_json: bool) -> typer.Exit:
    """An error: `{"error": …}` on stdout with --json (the CONTRACT), a line on stderr otherwise;
    exit 1 either way."""
    if as_json:
        out.print_json(json.dumps({"error": message}))
        return typer.Exit(1)
    return fail(escape(message))


@contextlib.contextmanager
def database_session(settings: Settings, *, write: bool = False) -> Iterator[Any]:
    """A session on the application database, committed at the end when `write`."""
    from bot.db.session import create_db_engine, make_session_factory

    engine = create_db_engine(settings.db_url)
    try:
        sessions = make_session_factory(engine)
        with sessions.begin() if write else sessions() as session:
            yield session
    finally:
        engine.dispose()


def cli_actor() -> str:
    """Who acts at the command line, for the audit log: the account running the command."""
    import getpass

    return f"cli:{getpass.getuser()}"


def record_audit(session: Session, action: str, subject: str | None = None, **detail: Any) -> None:
    """Write what staff did at the command line to the audit log, in the action's transaction."""
    from bot.staff import audit

    audit.record(session, cli_actor(), action, subject=subject, **detail)


def read(
    settings: Settings, query: Callable[[Session], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The rows `query` reads, in a session of their own."""
    with database_session(settings) as session:
        return query(session)


def show(
    rows: list[dict[str, Any]],
    as_json: bool,
    columns: tuple[str, ...],
    cells: Callable[[dict[str, Any]], tuple[str, ...]],
    empty: str,
) -> None:
    """Rows as JSON for scripts, or as a table for people."""
    from rich.table import Table

    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        out.print(empty)
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*cells(row))
    out.print(table)
