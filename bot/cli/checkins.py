"""`trialbot checkins list`: participants' scheduled check-ins, their state, and (for one
participant at a time, audited) their answers in words.

With --json, what goes wrong is JSON too: `{"error": "…"}` on stdout, exit 1 (the CONTRACT)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from bot.cli.common import (
    AsJson,
    KnowledgeDir,
    database_session,
    fail_as,
    load_settings,
    out,
    record_audit,
)

if TYPE_CHECKING:
    from bot.checkins.report import CheckinReport, Counts

app = typer.Typer(help="Scheduled check-ins and their answers.", no_args_is_help=True)

COLUMNS = (
    "id",
    "participant",
    "trial",
    "check-in",
    "due (UTC)",
    "state",
    "channel",
    "safety event",
)


@app.command("list")
def checkins_list(
    participant: Annotated[
        str | None,
        typer.Option("--participant", help="One participant (the site's code), with answers."),
    ] = None,
    trial: Annotated[str | None, typer.Option("--trial", help="Only this trial's.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or fr: the answers' words.")] = "en",
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Check-ins by participant and due time, with their state: overdue when sent a day ago or
    more and still unanswered. With --participant, that person's answers in words too: a read of
    their health data, written to the audit log."""
    from bot.checkins import report
    from bot.crypto import Cipher
    from bot.trials import read_catalogue

    settings = load_settings(knowledge, as_json=as_json)
    if lang not in ("en", "fr"):
        raise fail_as(f"--lang {lang!r}: en or fr", as_json)
    trials = read_catalogue(settings.knowledge_dir)
    if trial is not None and trial not in trials:
        known = ", ".join(sorted(trials)) or "none"
        raise fail_as(f"unknown trial {trial!r} (known: {known})", as_json)
    plans = report.schedules(trials)
    with database_session(settings) as session:
        if participant is None:
            rows = report.listed(session, plans, trial=trial, lang=lang)
            counts = None
        else:
            cipher = Cipher.from_settings(settings)
            found = report.of_participant(session, participant, plans, cipher, lang=lang)
            if found is None:
                raise fail_as(f"no participant {participant!r}", as_json)
            rows = [row for row in found.checkins if trial in (None, row.trial)]
            counts = report.Counts.of(row.state for row in rows)
            record_audit(
                session, "checkins.view", f"participant:{found.participant}", count=len(rows)
            )
            session.commit()
    if as_json:
        out.print_json(json.dumps([row.to_json() for row in rows], ensure_ascii=False))
        return
    _print(rows, counts, participant)


def _print(rows: list[CheckinReport], counts: Counts | None, participant: str | None) -> None:
    """A table for people; a single participant's with their counts, then the answers of each
    check-in, titled."""
    from bot.cli.participants import _print_table

    if counts is not None:
        out.print(
            f"Participant [bold]{escape(participant or '')}[/]: {counts.answered} answered, "
            f"{counts.missed} missed, {counts.overdue} overdue, {counts.open} open, "
            f"{counts.scheduled} to send",
            highlight=False,
        )
    if not rows:
        out.print("No check-in.")
        return
    columns = COLUMNS[:1] + COLUMNS[3:] if counts is not None else COLUMNS
    cells = [_cells(row, whose=counts is None) for row in rows]
    _print_table(columns, cells)
    if counts is not None:
        for row in rows:
            _print_answers(row)


def _cells(row: CheckinReport, *, whose: bool) -> tuple[str, ...]:
    return (
        str(row.id),
        *((row.participant, row.trial) if whose else ()),
        row.checkin,
        row.due_at.strftime("%Y-%m-%d %H:%M"),
        row.state,
        row.channel or "",
        str(row.safety_event_id or ""),
    )


def _print_answers(row: CheckinReport) -> None:
    said = [f"  {escape(a.text)} [bold]{escape(a.answer)}[/]" for a in row.answers or ()]
    if row.unreadable:
        said.append("  (its answers were encrypted with a key no longer configured)")
    if row.stopped:
        said.append("  (stopped before the last question)")
    if said:
        out.print(f"[bold]{row.id} {escape(row.title)}[/]", *said, sep="\n", highlight=False)
