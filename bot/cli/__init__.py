"""`trialbot`: the command line of the assistant (Typer + Rich).

Each capability's commands live in a module of their own; this one puts them under one root, in
the order `trialbot --help` lists them: the commands of the top level, then the groups.
"""

from __future__ import annotations

import typer

from bot.cli import (
    campaigns,
    checkins,
    consent,
    database,
    handoff,
    keys,
    knowledge,
    participants,
    safety,
    screening,
    stack,
    staff,
)

app = typer.Typer(help="A patient-support assistant for clinical trials.", no_args_is_help=True)

for command in (
    stack.run,
    stack.serve,
    stack.dispatcher,
    stack.actions,
    stack.rasa,
    stack.train,
    stack.chat,
    screening.screen,
):
    app.command()(command)

for name, group in (
    ("db", database.app),
    ("kb", knowledge.app),
    ("campaigns", campaigns.app),
    ("consent", consent.app),
    ("retention", consent.retention_app),
    ("screenings", screening.app),
    ("participants", participants.app),
    ("appointments", participants.appointments_app),
    ("reminders", participants.reminders_app),
    ("keys", keys.app),
    ("safety", safety.app),
    ("checkins", checkins.app),
    ("handoff", handoff.app),
    ("staff", staff.app),
):
    app.add_typer(group, name=name)

__all__ = ["app"]
