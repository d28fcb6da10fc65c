"""`trialbot participants`, `appointments` and `reminders`: enrolled participants, the visits
the site schedules for them, and the reminders those visits bring.

With --json, what goes wrong is JSON too: `{"error": "…"}` on stdout, exit 1 (the CONTRACT)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

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

if TYPE_CHECKING:
    from bot.reminders.participants import Added
    from bot.settings import Settings

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

    from bot.lint import trial_ids
    from bot.reminders import participants

    settings = load_settings(knowledge, as_json=as_json)
    try:
        with database_session(settings, write=True) as session:
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
        raise fail_as(str(error), as_json) from None
    _print_link_code(
        settings, added, as_json, f"Participant [bold]{escape(added.participant.code)}[/] "
        f"registered for {escape(trial)}.",
    )  # fmt: skip


@app.command("list")
def participants_list(
    trial: Annotated[
        str | None, typer.Option("--trial", help="Only the participants of this trial.")
    ] = None,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Participants by code: their chat, link code, next visit, reminders consent, reminders."""
    from bot.consent.texts import load_consents
    from bot.lint import trial_ids
    from bot.reminders import participants

    settings = load_settings(knowledge, as_json=as_json)
    texts = load_consents(settings.knowledge_dir)
    rows = read(settings, lambda session: participants.overview(session, texts, trial=trial))
    if trial is not None and not rows:
        known = trial_ids(settings.knowledge_dir)
        if trial not in known:
            raise fail_as(
                f"unknown trial {trial!r} (known: {', '.join(sorted(known)) or 'none'})", as_json
            )
    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        out.print(f"No participant in {escape(trial)}." if trial else "No participant.")
        return
    _print_table(PARTICIPANT_COLUMNS, [_participant_cells(row) for row in rows])


@app.command("show")
def participants_show(
    code: Annotated[str, typer.Argument(help="The site's own participant code.")],
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """One participant whole: their chat and link code, appointments, reminders and consents."""
    from bot.consent.texts import load_consents
    from bot.reminders import participants

    settings = load_settings(knowledge, as_json=as_json)
    texts = load_consents(settings.knowledge_dir)
    try:
        with database_session(settings) as session:
            found = participants.record(session, texts, code)
    except participants.UnknownParticipant as error:
        raise fail_as(str(error), as_json) from None
    if as_json:
        out.print_json(json.dumps(found))
        return
    _print_table(("", ""), list(zip(PARTICIPANT_COLUMNS, _participant_cells(found), strict=True)))
    out.print("[bold]Appointments[/]")
    if found["appointments"]:
        _print_table(APPOINTMENT_COLUMNS, [_appointment_cells(r) for r in found["appointments"]])
    else:
        out.print("No appointment.")
    out.print("[bold]Reminders[/]")
    if found["reminders"]:
        _print_table(REMINDER_COLUMNS, [_reminder_cells(r) for r in found["reminders"]])
    else:
        out.print("No reminder.")
    out.print("[bold]Consent decisions[/]")
    if found["consents"]:
        _print_table(
            ("purpose", "decision", "version", "language", "when (UTC)", "ledger record"),
            [
                (
                    c["purpose"], c["decision"], str(c["version"]), c["language"],
                    _minute(c["recorded_at"]), str(c["seq"]),
                )
                for c in found["consents"]
            ],
        )  # fmt: skip
    else:
        out.print("None" + ("." if found["linked"] else " (no chat is bound yet)."))


@app.command("reissue")
def participants_reissue(
    code: Annotated[str, typer.Argument(help="The site's own participant code.")],
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """A new one-time link code (lost, expired, or a new phone); their older unused codes stop
    working, and the new one binds the chat that uses it, even if they were linked already."""
    import datetime as dt

    from bot.reminders import participants

    settings = load_settings(knowledge, as_json=as_json)
    try:
        with database_session(settings, write=True) as session:
            issued = participants.reissue(
                session, code, valid_for=dt.timedelta(hours=settings.link_code_hours)
            )
            record_audit(
                session, "participant.reissue", f"participant:{issued.participant.code}",
                trial=issued.participant.trial, superseded=issued.superseded,
            )  # fmt: skip
            linked = issued.participant.sender_key is not None
    except participants.UnknownParticipant as error:
        raise fail_as(str(error), as_json) from None
    headline = f"New link code for participant [bold]{escape(issued.participant.code)}[/]"
    if issued.superseded:
        headline += f"; {issued.superseded} older unused code(s) no longer work"
    if linked:
        headline += " (their chat stays bound until the new code binds another)"
    _print_link_code(settings, issued, as_json, headline + ".")


def _print_link_code(settings: Settings, added: Added, as_json: bool, headline: str) -> None:
    """What `add` and `reissue` print: the code, the link on each channel, when it expires."""
    from bot.channels import registry

    result = {
        "participant_code": added.participant.code,
        "link_code": added.link_code,
        **registry.links(settings, added.link_code),
        "expires_at": added.expires_at.isoformat(),
    }
    if as_json:
        out.print_json(json.dumps(result))
        return
    out.print(headline)
    until = added.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    out.print(f"One-time link code: [bold]{added.link_code}[/] (works once, until {until})")
    for spec in registry.specs():
        if spec.link is not None:
            link = result[f"{spec.name}_link"]
            out.print(
                f"  {link}" if link else f"  (set {spec.link.setting} for the {spec.name} link)"
            )
    out.print("They can also type the code in any chat with the assistant.")


PARTICIPANT_COLUMNS = (
    "code", "trial", "language", "chat", "link code", "next visit (local time)", "reminders",
)  # fmt: skip
APPOINTMENT_COLUMNS = ("id", "participant", "trial", "site", "local time", "kind", "status")
REMINDER_COLUMNS = ("id", "appointment", "participant", "due (UTC)", "status", "channel", "why")


def _participant_cells(row: dict[str, Any]) -> tuple[str, ...]:
    link, upcoming = row["link_code"], row["next_appointment"]
    if link is None or link["state"] != "active":
        code_state = link["state"] if link else "none"
    else:
        code_state = f"active until {_minute(link['expires_at'])} UTC"
    if row["linked"]:
        chat = f"{row['channel'] or 'a chat'}, linked {_minute(row['linked_at'])} UTC"
    else:
        chat = "not linked"
    visit = "none"
    if upcoming:
        visit = f"{_minute(upcoming['local_time'])} {upcoming['kind']}"
        if upcoming["status"] != "scheduled":
            visit += f" ({upcoming['status'].replace('_', ' ')})"
    return (
        row["participant_code"],
        row["trial"],
        f"{row['language']}, {row['timezone']}",
        chat,
        code_state,
        visit,
        ("consent in force" if row["reminders_consent"] else "no consent")
        + f"; {row['reminders_sent']} sent, {row['reminders_failed']} failed",
    )


def _appointment_cells(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(row["id"]),
        row["participant_code"],
        row["trial"],
        row["site"],
        _minute(row["local_time"]),
        row["kind"],
        row["status"],
    )


def _reminder_cells(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(row["id"]),
        str(row["appointment"]),
        row["participant_code"],
        _minute(row["due_at"]),
        row["status"]
        + (" (maybe twice)" if row["sends"] > 1 else "")
        + (f", {row['delivery']}" if row["delivery"] else ""),
        row["channel"] or "",
        row["last_error"] or row["delivery_error"] or row["cancel_reason"] or "",
    )


def _minute(moment: str | None) -> str:
    """An ISO time to the minute, as a person reads it ("2026-12-10 09:00")."""
    return moment[:16].replace("T", " ") if moment else ""


def _print_table(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A table for people that cuts nothing: each column as wide as its longest cell while the
    terminal has room; then the widest give way, down to their longest word (up to WORD, so a
    date or a trial's id stays whole), the cells wrapping between words; past that, words fold."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Column, Table

    texts = [(name, *(cells[i] for cells in rows)) for i, name in enumerate(columns)]
    widths = [max(cell_len(text) for text in column) for column in texts]
    least = [
        min(max(cell_len(word) for text in column for word in text.split() or [""]), WORD)
        for column in texts
    ]
    room = out.width - 2 * (len(columns) - 1)  # between columns: a space, and the rule's
    while sum(widths) > room:
        roomy = [i for i, width in enumerate(widths) if width > least[i]]
        # Once every column is down to its longest word, words fold (to FOLDED at the least).
        candidates = roomy or [i for i, width in enumerate(widths) if width > FOLDED]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
    table = Table(
        *(Column(name, overflow="fold", width=w) for name, w in zip(columns, widths, strict=True)),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        show_header=any(columns),
    )
    for cells in rows:
        table.add_row(*(escape(cell) for cell in cells))
    out.print(table)


WORD = 16  # "America/New_York"
FOLDED = 4


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

    settings = load_settings(knowledge, as_json=as_json)
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

    rows = read(
        load_settings(knowledge, as_json=as_json), lambda s: report.appointments(s, participant)
    )
    show(rows, as_json, APPOINTMENT_COLUMNS, _appointment_cells, "No appointment.")


@reminders_app.command("list")
def reminders_list(
    participant: ParticipantCode = None, as_json: AsJson = False, knowledge: KnowledgeDir = None
) -> None:
    """Reminders, by due time, with their status, channel, and what the platform said of them
    since (delivered, read or failed, where it says: WhatsApp)."""

    from bot.reminders import report

    rows = read(
        load_settings(knowledge, as_json=as_json), lambda s: report.reminders(s, participant)
    )
    show(rows, as_json, REMINDER_COLUMNS, _reminder_cells, "No reminder.")
