"""`trialbot campaigns`: how many conversations each campaign link started."""

from __future__ import annotations

import json

import typer

from bot.cli.common import AsJson, KnowledgeDir, load_settings, out

app = typer.Typer(help="Where conversations come from.", no_args_is_help=True)


@app.command("list")
def campaigns_list(as_json: AsJson = False, knowledge: KnowledgeDir = None) -> None:
    """Conversations started by each campaign link (/start camp_<id>, ?ref=camp_<id>)."""
    from rich.table import Table

    from bot.campaigns import campaign_counts
    from bot.db.session import create_db_engine, make_session_factory

    engine = create_db_engine(load_settings(knowledge).db_url)
    try:
        with make_session_factory(engine)() as session:
            counts = campaign_counts(session)
    finally:
        engine.dispose()
    if as_json:
        rows = [{"campaign": c.campaign, "conversations": c.conversations} for c in counts]
        out.print_json(json.dumps(rows))
        return
    if not counts:
        out.print("No conversation has come from a campaign link yet.")
        return
    table = Table("campaign", "conversations")
    for count in counts:
        table.add_row(count.campaign, str(count.conversations))
    out.print(table)
