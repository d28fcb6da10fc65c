"""`trialbot campaigns`: the links of a recruitment post, and how many conversations each
campaign's links started."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.cli.common import AsJson, KnowledgeDir, load_settings, out

app = typer.Typer(help="Where conversations come from.", no_args_is_help=True)


@app.command("link")
def campaigns_link(
    campaign: Annotated[
        str | None, typer.Argument(help="The campaign's name, e.g. spring-fb.")
    ] = None,
    trial: Annotated[
        str | None, typer.Option("--trial", help="The trial the post is about.")
    ] = None,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """The links to put in a recruitment post, on every channel: each credits the campaign with
    the conversations it starts, and with --trial, "can I take part?" goes to that trial."""
    from bot.campaigns import link_payload
    from bot.channels import registry
    from bot.trials import Catalogue

    settings = load_settings(knowledge, as_json=as_json)
    problem = None
    if trial and trial not in Catalogue(settings.knowledge_dir).get():
        problem = f"unknown trial {trial!r}: no trials/{trial}/trial.yml"
    try:
        payload = link_payload(campaign, trial) if problem is None else ""
    except ValueError as error:
        problem = str(error)
    if problem is not None:
        if as_json:
            out.print_json(json.dumps({"error": problem}))
            raise typer.Exit(1)
        from bot.cli.common import fail

        raise fail(problem)
    links = registry.links(settings, payload)
    if as_json:
        out.print_json(json.dumps({"payload": payload, **links}))
        return
    # One line each, never cut or folded: they are copied into a post.
    for spec in registry.specs():
        if spec.link is not None:
            link = links[f"{spec.name}_link"]
            shown = link or f"[dim](set {spec.link.setting} to make it)[/]"
            out.print(f"[bold]{spec.title + ':':<10}[/] {shown}", soft_wrap=True, highlight=False)


@app.command("list")
def campaigns_list(as_json: AsJson = False, knowledge: KnowledgeDir = None) -> None:
    """Conversations started by each campaign link (/start camp_<id>, ?ref=camp_<id>)."""
    from rich.table import Table

    from bot.campaigns import campaign_counts
    from bot.db.session import create_db_engine, make_session_factory

    engine = create_db_engine(load_settings(knowledge, as_json=as_json).db_url)
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
