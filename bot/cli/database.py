"""`trialbot db`: the application database's schema."""

from __future__ import annotations

import json

import typer

from bot.cli.common import AsJson, KnowledgeDir, load_settings, out

app = typer.Typer(help="The application database.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(knowledge: KnowledgeDir = None) -> None:
    """Apply every migration not applied yet."""
    from bot.db.migrate import upgrade

    settings = load_settings(knowledge)
    upgrade(settings.db_url)
    out.print("database is up to date")


@app.command("status")
def db_status(as_json: AsJson = False, knowledge: KnowledgeDir = None) -> None:
    """Show the applied and the latest migration."""
    from bot.db.migrate import current_revision, head_revision

    settings = load_settings(knowledge, as_json=as_json)
    current, head = current_revision(settings.db_url), head_revision()
    status = {"current": current, "head": head, "up_to_date": current == head}
    if as_json:
        out.print_json(json.dumps(status))
    else:
        out.print(f"applied: {status['current']}  latest: {status['head']}")
    if not status["up_to_date"]:
        raise typer.Exit(1)
