"""`trialbot safety`: the emergencies and side effects reported, for staff to review."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli.common import (
    AsJson,
    KnowledgeDir,
    database_session,
    fail,
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
        ("id", "kind", "what", "when (UTC)", "channel", "trial", "text", "status"),
        lambda row: (
            str(row["id"]),
            row["kind"],
            row["category"],
            row["created_at"][:16].replace("T", " "),
            row["channel"],
            row["trial"] or "",
            row["text"],
            row["status"],
        ),
        "No safety event awaits review.",
    )


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
