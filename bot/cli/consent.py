"""`trialbot consent` and `trialbot retention`: the consent ledger, and the purge of conversations
kept past the retention period (which keeps the ledger)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import (
    AsJson,
    KnowledgeDir,
    database_session,
    err,
    fail,
    load_settings,
    out,
    record_audit,
)

app = typer.Typer(help="The consent ledger.", no_args_is_help=True)
retention_app = typer.Typer(help="How long conversation data is kept.", no_args_is_help=True)


@app.command("verify")
def consent_verify(as_json: AsJson = False, knowledge: KnowledgeDir = None) -> None:
    """Check the ledger's hash chain; exit 1 naming the first broken record."""
    from bot.consent import ledger

    with database_session(load_settings(knowledge, as_json=as_json)) as session:
        result = ledger.verify(session)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": result.ok,
                    "records": result.records,
                    "head": result.head,
                    "broken": None if result.ok else _broken(result),
                }
            )
        )
    elif result.ok:
        out.print(
            f"[green]The consent ledger holds:[/] {result.records} record(s), chain unbroken.\n"
            f"Head hash (keep it outside the database to prove nothing was cut off the end): "
            f"{result.head}",
            highlight=False,
        )
    else:
        err.print(
            f"[red]The consent ledger is broken at record {result.broken_seq}[/] "
            f"(row id {result.broken_id}): {result.reason}. "
            f"The {result.records} record(s) before it verify.",
            highlight=False,
        )
    if not result.ok:
        raise typer.Exit(1)


def _broken(result: Any) -> dict[str, Any]:
    return {"seq": result.broken_seq, "id": result.broken_id, "reason": result.reason}


@app.command("copy")
def consent_copy(
    participant: Annotated[str, typer.Option("--participant", help="The site's participant code.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PDF file to write.")],
    lang: Annotated[
        str | None, typer.Option("--lang", help="en or fr (theirs if left out).")
    ] = None,
    knowledge: KnowledgeDir = None,
) -> None:
    """A participant's consent decisions, each with its exact text, as the PDF they got."""
    from sqlalchemy import select

    from bot.channels import registry
    from bot.consent import copy
    from bot.db.models import Participant

    with database_session(load_settings(knowledge), write=True) as session:
        found = session.scalar(select(Participant).where(Participant.code == participant))
        if found is None:
            raise fail(f"no participant {participant!r}")
        history = copy.of_participant(session, found, lang or found.language)
        if history is None:
            raise fail(
                f"participant {participant!r} has made no consent decision"
                + ("" if found.sender_key else " (their chat is not linked yet)")
            )
        pdf = copy.render(history, registry.title)
        record_audit(
            session, "consent.copy", f"participant:{participant}",
            decisions=len(history.entries), to=output.name,
        )  # fmt: skip
    output.write_bytes(pdf)
    out.print(f"Wrote {len(history.entries)} decision(s) of {participant} to {output}.")


@app.command("export")
def consent_export(
    format_: Annotated[
        str, typer.Option("--format", help="csv or json.", case_sensitive=False)
    ] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="A file; standard output if left out.")
    ] = None,
    knowledge: KnowledgeDir = None,
) -> None:
    """Every ledger record, for the trial master file (pseudonyms only, never a channel id)."""
    import csv

    from bot.consent import ledger

    kind = format_.lower()
    if kind not in ("csv", "json"):
        raise fail(f"--format must be csv or json, not {format_!r}")
    with database_session(load_settings(knowledge), write=True) as session:
        rows = list(ledger.export_rows(session))
        check = ledger.verify(session)
        record_audit(
            session, "consent.export", format=kind, records=len(rows),
            to=output.name if output else "stdout",
        )  # fmt: skip
    target = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        if kind == "json":
            json.dump({"records": rows, "head": check.head, "verified": check.ok}, target, indent=2)
            target.write("\n")
        else:
            writer = csv.DictWriter(target, fieldnames=list(ledger.EXPORT_FIELDS))
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if output:
            target.close()
    if output:
        out.print(f"Exported {len(rows)} record(s) to {output}.")
    if not check.ok:
        err.print(
            f"[red]warning:[/] the chain is broken at record {check.broken_seq}: {check.reason}",
            highlight=False,
        )
        raise typer.Exit(1)


@retention_app.command("purge")
def retention_purge(
    days: Annotated[
        int | None, typer.Option(help="Keep this many days (default: RETENTION_DAYS).", min=1)
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Delete conversations silent for longer than the retention period, here and in Rasa."""
    import datetime as dt

    from bot.rights import erasure

    settings = load_settings(knowledge, as_json=as_json)
    period = days or settings.retention_days
    with database_session(settings, write=not dry_run) as session:
        purged = erasure.purge(
            session, settings.rasa_tracker_url, dt.timedelta(days=period), dry_run=dry_run
        )
        if not dry_run:
            record_audit(session, "retention.purge", None, days=period, **purged.as_dict())
    if as_json:
        out.print_json(json.dumps({"days": period, "dry_run": dry_run, **purged.as_dict()}))
        return
    verb = "Would delete" if dry_run else "Deleted"
    out.print(
        f"{verb} {purged.conversations} conversation(s) silent for over {period} days "
        f"({purged.tracker_events} Rasa event(s)), {purged.screenings} pre-screening(s), "
        f"{purged.questions} unanswered question(s) and {purged.feedback} feedback answer(s). "
        "The consent ledger is kept."
    )
