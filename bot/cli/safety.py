"""`trialbot safety`: the emergencies and side effects reported, for staff to review."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import (
    AsJson,
    KnowledgeDir,
    database_session,
    err,
    fail,
    fail_as,
    load_settings,
    out,
    read,
    record_audit,
    show,
)

app = typer.Typer(help="Emergencies and side effects reported.", no_args_is_help=True)


@app.command("list")
def safety_list(
    since: Annotated[
        str | None, typer.Option("--since", help="Only events from then (ISO-8601).")
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Include the acknowledged ones.")
    ] = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """The emergencies and side effects awaiting staff review, newest first."""

    from bot.crypto import Cipher
    from bot.safety import events

    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise fail(f"--since {since!r} is not an ISO-8601 date or time") from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    settings = load_settings(knowledge, as_json=as_json)
    cipher = Cipher.from_settings(settings)
    rows = read(settings, lambda s: events.listed(s, cipher, since=start, everything=everything))
    show(
        rows,
        as_json,
        ("id", "kind", "what", "when (UTC)", "channel", "trial", "text", "serious", "status"),
        lambda row: (
            str(row["id"]),
            row["kind"],
            row["category"],
            row["created_at"][:16].replace("T", " "),
            row["channel"],
            row["trial"] or "",
            row["text"],
            _serious(row),
            row["status"],
        ),
        "No safety event awaits review.",
    )


def _serious(row: dict[str, Any]) -> str:
    """ "yes, report by 12-05 10:00", "no", "?" (not known yet), "" (an emergency)."""
    follow_up = row.get("follow_up")
    if follow_up is None:
        return ""
    if follow_up["serious"] and row.get("report_due"):
        return f"[bold red]yes[/], report by {row['report_due'][5:16].replace('T', ' ')}"
    return {True: "yes", False: "no", None: "?"}[follow_up["serious"]]


@app.command("ack")
def safety_ack(
    event_id: Annotated[int, typer.Argument(metavar="ID", help="The event's id.")],
    knowledge: KnowledgeDir = None,
) -> None:
    """Mark a safety event as reviewed by staff."""

    from bot.safety import events

    with database_session(load_settings(knowledge), write=True) as session:
        event = events.acknowledge(session, event_id)
        if event is None:
            raise fail(f"there is no safety event {event_id}")
        record_audit(session, "safety.acknowledge", f"safety_event:{event_id}")
        out.print(f"Safety event {event_id} ({event.kind}) acknowledged.")


def _case(session: Any, cipher: Any, event: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from bot.db.models import Participant
    from bot.safety import report

    code = session.scalar(
        select(Participant.code).where(Participant.sender_key == event.sender_key).limit(1)
    )
    return report.case(event, cipher, code)


@app.command("show")
def safety_show(
    event_id: Annotated[int, typer.Argument(metavar="ID", help="The event's id.")],
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """One safety event whole: the person's words and the side effect's follow-up."""

    from rich.table import Table

    from bot.crypto import Cipher
    from bot.db.models import SafetyEvent

    settings = load_settings(knowledge, as_json=as_json)
    cipher = Cipher.from_settings(settings)
    with database_session(settings) as session:
        event = session.get(SafetyEvent, event_id)
        if event is None:
            raise fail_as(f"there is no safety event {event_id}", as_json)
        case = _case(session, cipher, event)
    if as_json:
        out.print_json(json.dumps(case))
        return
    table = Table(show_header=False, box=None)
    for name, value in case.items():
        if name == "follow_up_answers":
            value = (
                "\n".join(
                    f"{a['question']}: {a['answer']}" + (" (button)" if a.get("tapped") else "")
                    for a in value
                )
                or None
            )
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or None
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        table.add_row(f"[bold]{name.replace('_', ' ')}[/]", "—" if value is None else str(value))
    out.print(table)


@app.command("export")
def safety_export(
    trial: Annotated[str, typer.Option("--trial", help="The trial's id.")],
    output_format: Annotated[
        str, typer.Option("--format", help="csv or json.", case_sensitive=False)
    ] = "csv",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to FILE (default: stdout).")
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="adverse_event (default), emergency or all.")
    ] = "adverse_event",
    knowledge: KnowledgeDir = None,
) -> None:
    """A trial's side effects, for the sponsor's safety database: one row per event, fields
    named as in an individual case safety report, oldest first."""

    from sqlalchemy import select

    from bot.crypto import Cipher
    from bot.db.models import SafetyEvent
    from bot.safety import report

    as_json = output_format.lower() == "json"
    if output_format.lower() not in ("csv", "json"):
        raise fail(f"--format {output_format!r}: csv or json")
    if kind not in ("adverse_event", "emergency", "all"):
        raise fail_as(f"--kind {kind!r}: adverse_event, emergency or all", as_json)
    settings = load_settings(knowledge, as_json=as_json)
    cipher = Cipher.from_settings(settings)
    query = select(SafetyEvent).where(SafetyEvent.trial == trial).order_by(SafetyEvent.id)
    if kind != "all":
        query = query.where(SafetyEvent.kind == kind)
    with database_session(settings) as session:
        cases = [_case(session, cipher, event) for event in session.scalars(query)]
        record_audit(session, "safety.export", f"trial:{trial}", count=len(cases))
        session.commit()
    if as_json:
        text = json.dumps(cases, indent=2, ensure_ascii=False) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(report.COLUMNS)
        writer.writerows(report.row(case) for case in cases)
        text = buffer.getvalue()
    if output is None:
        print(text, end="")
        return
    output.write_text(text, encoding="utf-8")
    err.print(f"{len(cases)} event(s) of {trial} written to {output}", highlight=False)


@app.command("correct")
def safety_correct(
    event_id: Annotated[int, typer.Argument(metavar="ID", help="The event's id.")],
    values: Annotated[
        list[str],
        typer.Argument(
            metavar="FIELD=VALUE...",
            help="onset=YYYY-MM-DD, ongoing=yes|no, severity=mild|moderate|severe, "
            "care=none|doctor|emergency|hospital, product=…, last_dose=YYYY-MM-DD, "
            "criteria=a,b (seriousness criteria); FIELD= clears it.",
        ),
    ],
    knowledge: KnowledgeDir = None,
) -> None:
    """Complete or correct a side effect's follow-up record (audited)."""

    from bot.crypto import Cipher
    from bot.db.models import SafetyEvent
    from bot.safety import asking

    changes = {}
    for value in values:
        name, equals, raw = value.partition("=")
        if not equals:
            raise fail(f"{value!r}: write FIELD=VALUE, for example care=hospital")
        changes[name.strip()] = raw
    settings = load_settings(knowledge)
    cipher = Cipher.from_settings(settings)
    with database_session(settings, write=True) as session:
        event = session.get(SafetyEvent, event_id, with_for_update=True)
        if event is None:
            raise fail(f"there is no safety event {event_id}")
        try:
            changed = asking.correct(session, settings, cipher, event, changes)
        except asking.InvalidCorrection as error:
            raise fail(str(error)) from None
        if changed:
            record_audit(session, "safety.correct", f"safety_event:{event_id}", fields=changed)
        serious, due = event.serious, event.report_due
    if not changed:
        out.print(f"Safety event {event_id}: nothing changed.")
        return
    said = f"Safety event {event_id}: {', '.join(changed)} corrected."
    if serious and due is not None:
        said += f" Serious: report due {due:%Y-%m-%d %H:%M} UTC."
    out.print(said, highlight=False)
