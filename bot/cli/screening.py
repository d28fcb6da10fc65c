"""`trialbot screen` (a trial's criteria against answers in a file) and `trialbot screenings`:
the pre-screenings people did, and what the study team owes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import AsJson, KnowledgeDir, err, fail, load_settings, out, read, show

app = typer.Typer(
    help="Pre-screenings, and what the study team must follow up.", no_args_is_help=True
)


# A command of the top level (`trialbot screen`): `bot.cli` puts it there.
def screen(
    trial: Annotated[str, typer.Option("--trial", help="The trial id (its knowledge folder).")],
    answers: Annotated[
        Path,
        typer.Option(
            "--answers", help='A JSON object {"question_id": value}; null: "don\'t know".'
        ),
    ],
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Evaluate pre-screening answers against a trial's criteria."""
    from bot.screening.criteria import load_criteria
    from bot.screening.evaluate import evaluate, validate

    settings = load_settings(knowledge, as_json=as_json)
    path = settings.knowledge_dir / "trials" / trial / "eligibility.yml"
    if not path.exists():
        raise fail(f"no criteria for trial {trial!r}: {path} does not exist")
    criteria, problems = load_criteria(path)
    if criteria is None:
        for problem in problems:
            err.print(problem.render(settings.knowledge_dir), highlight=False)
        raise fail(f"the criteria of {trial!r} have problems (above)")
    try:
        given = json.loads(answers.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise fail(f"cannot read {answers}: {error}") from None
    if not isinstance(given, dict):
        raise fail(f"{answers} must hold a JSON object {{question_id: value}}")
    wrong = validate(criteria, given)
    if wrong:
        raise fail("; ".join(wrong))
    result = evaluate(criteria, given)
    if as_json:
        out.print_json(json.dumps(result.to_json()))
        return
    out.print(f"[bold]{result.outcome}[/] (criteria version {result.criteria_version})")
    for reason in result.reasons:
        mark = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]unknown[/]"}
        out.print(f"  {mark[reason.met]}  {reason.criterion}")
    if result.next_question:
        out.print(f"Next question: {result.next_question}")


@app.command("list")
def screenings_list(
    outcome: Annotated[
        str | None,
        typer.Option(help="Only this outcome: likely_eligible, not_eligible, needs_review, …"),
    ] = None,
    answers: Annotated[
        bool, typer.Option("--answers", help="Decrypt and show the answers (health data).")
    ] = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Pre-screenings, newest first: trial, outcome, and why."""

    from bot.crypto import Cipher
    from bot.screening import report

    settings = load_settings(knowledge, as_json=as_json)
    cipher = Cipher.from_settings(settings)
    rows = read(settings, lambda s: report.screenings(s, cipher, outcome=outcome, answers=answers))
    show(
        rows,
        as_json,
        ("id", "trial", "outcome", "not met / unknown", "started", "campaign"),
        lambda row: (
            str(row["id"]),
            row["trial"],
            row["outcome"],
            "; ".join(r["criterion"] for r in row["reasons"] if r["met"] is not True),
            row["started_at"][:16],
            row["campaign"] or "",
        ),
        "No pre-screening yet.",
    )


@app.command("follow-ups")
def screenings_follow_ups(
    everything: Annotated[
        bool, typer.Option("--all", help="Include the done and cancelled ones.")
    ] = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """What the study team owes people: call-backs, answers to review, appointment changes."""

    from bot.crypto import Cipher
    from bot.screening import report

    settings = load_settings(knowledge, as_json=as_json)
    cipher = Cipher.from_settings(settings)
    rows = read(settings, lambda s: report.follow_ups(s, cipher, everything=everything))

    def about(row: dict[str, Any]) -> str:
        if row["screening"]:
            return f"screening {row['screening']}"
        return f"appointment {row['appointment']}" if row["appointment"] else ""

    show(
        rows,
        as_json,
        ("id", "kind", "trial", "about", "when", "how", "phone", "lang", "status"),
        lambda row: (
            str(row["id"]),
            row["kind"],
            row["trial"],
            about(row),
            row["preferred_time"] or "",
            row["channel"] or "",
            row["phone"] or "",
            row["language"],
            row["status"],
        ),
        "Nothing to follow up.",
    )
