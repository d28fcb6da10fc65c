"""`trialbot participants`, `appointments` and `reminders`: enrolled participants, the visits
the site schedules for them, and the reminders those visits bring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import (
    AsJson,
    KnowledgeDir,
    err,
    fail,
    load_settings,
    out,
    read,
    record_audit,
    show,
)

app = typer.Typer(help="Enrolled participants and their chats.", no_args_is_help=True)
appointments_app = typer.Typer(help="Participants' appointments.", no_args_is_help=True)
reminders_app = typer.Typer(help="Appointment reminders.", no_args_is_help=True)


@app.command("add")
def participants_add(
    code: Annotated[str, typer.Argument(help="The site's own participant code.")],
    trial: Annotated[str, typer.Option("--trial", help="The trial they are enrolled in.")],
    lang: Annotated[str, typer.Option("--lang", help="en or fr.")] = "en",
    timezone: Annotated[
        str, typer.Option("--timezone", help="Area/City, for reminder times.")
    ] = "Europe/Paris",
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Register an enrolled participant; print the one-time code and links that bind their chat."""
    import datetime as dt

    from bot.channels import registry
    from bot.db.session import create_db_engine, make_session_factory
    from bot.lint import trial_ids
    from bot.reminders import participants

    settings = load_settings(knowledge)
    engine = create_db_engine(settings.db_url)
    try:
        with make_session_factory(engine).begin() as session:
            added = participants.add(
                session,
                code,
                trial,
                trial_ids(settings.knowledge_dir),
                language=lang,
                timezone=timezone,
                valid_for=dt.timedelta(hours=settings.link_code_hours),
            )
            record_audit(
                session, "participant.add", f"participant:{added.participant.code}", trial=trial
            )
    except participants.InvalidParticipant as error:
        raise fail(str(error)) from None
    finally:
        engine.dispose()
    result = {
        "participant_code": added.participant.code,
        "link_code": added.link_code,
        **registry.links(settings, added.link_code),
        "expires_at": added.expires_at.isoformat(),
    }
    if as_json:
        out.print_json(json.dumps(result))
        return
    out.print(f"Participant [bold]{added.participant.code}[/] registered for {trial}.")
    until = added.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    out.print(f"One-time link code: [bold]{added.link_code}[/] (works once, until {until})")
    for spec in registry.specs():
        if spec.link is not None:
            link = result[f"{spec.name}_link"]
            out.print(
                f"  {link}" if link else f"  (set {spec.link.setting} for the {spec.name} link)"
            )
    out.print("They can also type the code in any chat with the assistant.")


ParticipantCode = Annotated[
    str | None, typer.Option("--participant", help="Only this participant (the site's code).")
]


@appointments_app.command("import")
def appointments_import(
    file: Annotated[
        Path,
        typer.Argument(help="CSV: participant_code,trial,site,starts_at,timezone,kind"),
    ],
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Schedule appointments (and their reminders) from a CSV; bad lines are reported, not fatal."""
    from bot.db.session import create_db_engine, make_session_factory
    from bot.reminders import appointments
    from bot.trials import read_catalogue

    settings = load_settings(knowledge)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"cannot read {file}: {error}") from None
    engine = create_db_engine(settings.db_url)
    try:
        with make_session_factory(engine).begin() as session:
            imported = appointments.import_csv(
                session, text, read_catalogue(settings.knowledge_dir)
            )
            scheduled = [
                {"line": s.line, "id": s.appointment.id, "reminders": s.reminders}
                for s in imported.scheduled
            ]
            if scheduled:  # an import that changed nothing is a failed one
                record_audit(
                    session, "appointments.import", file=file.name,
                    scheduled=len(scheduled), rejected=len(imported.rejected),
                )  # fmt: skip
    finally:
        engine.dispose()
    rejected = [{"line": line, "reason": reason} for line, reason in imported.rejected]
    if as_json:
        out.print_json(json.dumps({"scheduled": scheduled, "rejected": rejected}))
    else:
        out.print(f"{len(scheduled)} appointment(s) scheduled, {len(rejected)} line(s) rejected.")
        for item in scheduled:
            out.print(
                f"  line {item['line']}: appointment {item['id']}, {item['reminders']} reminder(s)"
            )
        for bad in rejected:
            err.print(f"  [red]{file}:{bad['line']}[/]: {bad['reason']}", highlight=False)
    if rejected:
        raise typer.Exit(1)


@appointments_app.command("list")
def appointments_list(
    participant: ParticipantCode = None, as_json: AsJson = False, knowledge: KnowledgeDir = None
) -> None:
    """Appointments, soonest first, with their status."""

    from bot.reminders import report

    rows = read(load_settings(knowledge), lambda s: report.appointments(s, participant))
    show(
        rows,
        as_json,
        ("id", "participant", "trial", "site", "local time", "kind", "status"),
        lambda row: (
            str(row["id"]),
            row["participant_code"],
            row["trial"],
            row["site"],
            row["local_time"][:16].replace("T", " "),
            row["kind"],
            row["status"],
        ),
        "No appointment.",
    )


@reminders_app.command("list")
def reminders_list(
    participant: ParticipantCode = None, as_json: AsJson = False, knowledge: KnowledgeDir = None
) -> None:
    """Reminders, by due time, with their status, channel, and what the platform said of them
    since (delivered, read or failed, where it says: WhatsApp)."""

    from bot.reminders import report

    rows = read(load_settings(knowledge), lambda s: report.reminders(s, participant))
    show(
        rows,
        as_json,
        ("id", "appointment", "participant", "due (UTC)", "status", "channel", "why"),
        lambda row: (
            str(row["id"]),
            str(row["appointment"]),
            row["participant_code"],
            row["due_at"][:16].replace("T", " "),
            row["status"]
            + (" (maybe twice)" if row["sends"] > 1 else "")
            + (f", {row['delivery']}" if row["delivery"] else ""),
            row["channel"] or "",
            row["last_error"] or row["delivery_error"] or row["cancel_reason"] or "",
        ),
        "No reminder.",
    )
