"""`trialbot kb`: ask, check, count, tune and index the vetted knowledge base."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from bot.cli.common import AsJson, KnowledgeDir, err, fail, load_settings, out
from bot.settings import Settings

app = typer.Typer(help="The vetted knowledge base.", no_args_is_help=True)

Language = Annotated[str, typer.Option("--lang", help="en or fr.")]
Trial = Annotated[str | None, typer.Option("--trial", help="A trial id, for its own answers.")]


def _knowledge_base(settings: Settings, *, quiet: bool = False) -> Any:
    """The knowledge base, loaded with a progress bar on stderr while embeddings are computed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.knowledge.service import KnowledgeBase

    kb = KnowledgeBase(settings)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task("Indexing the knowledge", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or 1)

        kb.load(progress)
    return kb


def _check_language(lang: str) -> str:
    if lang not in ("en", "fr"):
        raise fail(f"--lang must be en or fr, not {lang!r}")
    return lang


@app.command("ask")
def kb_ask(
    text: Annotated[str, typer.Argument(help="The question, or - for JSON lines on stdin.")],
    lang: Language = "en",
    trial: Trial = None,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Ask the knowledge base one question (or many, one JSON object per line, with -)."""
    settings = load_settings(knowledge, as_json=as_json)
    kb = _knowledge_base(settings, quiet=True)
    if text == "-":
        for line in sys.stdin:
            if line.strip():
                sys.stdout.write(json.dumps(_ask_line(kb, line, lang, trial), ensure_ascii=False))
                sys.stdout.write("\n")
                sys.stdout.flush()
        return
    decision = kb.ask(text, _check_language(lang), trial=trial)
    result = decision.to_json(settings.emergency_number)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    elif result["answered"]:
        out.print(
            f"[bold]{decision.entry.title}[/] ({result['entry_id']}, score {result['score']})"
        )
        out.print(result["answer"])
        out.print(
            f"[dim]Source: {result['source']['name']} <{result['source']['url']}>"
            f" · reviewed {result['reviewed_on']}[/]"
        )
    else:
        out.print(
            f"[yellow]No answer[/] ({result['reason']}); closest: "
            + ", ".join(f"{c['entry_id']} {c['score']}" for c in result["candidates"])
        )
    if not result["answered"] and not as_json:
        raise typer.Exit(1)


def _ask_line(kb: Any, line: str, lang: str, trial: str | None) -> dict[str, Any]:
    try:
        request = json.loads(line)
        if not isinstance(request, dict) or not isinstance(request.get("text"), str):
            raise ValueError('each line must be an object with a "text"')
        language = request.get("lang", lang)
        if language not in ("en", "fr"):
            raise ValueError(f"lang must be en or fr, not {language!r}")
    except ValueError as error:
        return {"error": str(error)}
    decision = kb.ask(request["text"], language, trial=request.get("trial", trial))
    result: dict[str, Any] = decision.to_json(kb.emergency_number)
    return result


@app.command("lint")
def kb_lint(
    as_json: AsJson = False,
    fast: Annotated[
        bool, typer.Option("--fast", help="Skip the check for confusable questions.")
    ] = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Check every knowledge file; exit 1 if any entry is invalid, expired or conflicting."""
    from bot.knowledge.embeddings import Embedder, default_model_path
    from bot.lint import lint

    settings = load_settings(knowledge, as_json=as_json)
    root = settings.knowledge_dir
    embedder = (
        None
        if fast
        else Embedder(settings.embedding_model or default_model_path(), settings.cache_dir)
    )
    report = lint(root, embedder, production=settings.environment == "production")
    if as_json:
        rows = [
            {"severity": kind, "path": str(p.path), "line": p.line, "message": p.message}
            for kind, problems in (("error", report.errors), ("warning", report.warnings))
            for p in problems
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
    else:
        for problem in report.errors:
            out.print(problem.render(root), highlight=False, soft_wrap=True)
        for problem in report.warnings:
            out.print(
                f"{problem.render(root)} [yellow](warning)[/]", highlight=False, soft_wrap=True
            )
        verdict = (
            "[green]clean[/]" if not report.errors else f"[red]{len(report.errors)} problem(s)[/]"
        )
        err.print(f"{len(report.entries)} entries checked: {verdict}")
    if report.errors:
        raise typer.Exit(1)


@app.command("stats")
def kb_stats(as_json: AsJson = False, knowledge: KnowledgeDir = None) -> None:
    """Entries per language, reviews due within 30 days, the most asked unanswered questions."""
    import datetime as dt

    from bot.crypto import Cipher
    from bot.db.session import create_db_engine, make_session_factory
    from bot.knowledge.entries import load_faq
    from bot.knowledge.gaps import top_unanswered

    settings = load_settings(knowledge, as_json=as_json)
    loaded = load_faq(settings.knowledge_dir)
    today = dt.date.today()
    soon = [e for e in loaded.entries if e.review_due - today <= dt.timedelta(days=30)]
    engine = create_db_engine(settings.db_url)
    try:
        with make_session_factory(engine)() as session:
            gaps = top_unanswered(session, Cipher.from_settings(settings))
    finally:
        engine.dispose()
    counts = {lang: sum(e.lang == lang for e in loaded.entries) for lang in ("en", "fr")}
    stats: dict[str, Any] = {
        "entries": counts,
        "invalid_files": len({p.path for p in loaded.problems}),
        "review_due_within_30_days": [
            {"entry_id": e.id, "lang": e.lang, "review_due": e.review_due.isoformat()} for e in soon
        ],
        "top_unanswered": [
            {
                "text": g.text,
                "lang": g.language,
                "count": g.count,
                "last_asked": g.last_asked.isoformat(),
            }
            for g in gaps
        ],
    }
    if as_json:
        sys.stdout.write(json.dumps(stats, ensure_ascii=False) + "\n")
        return
    from rich.table import Table

    out.print(
        f"Entries: {counts['en']} in English, {counts['fr']} in French"
        f"; invalid files: {stats['invalid_files']}"
    )
    out.print(
        f"Reviews due within 30 days: {len(soon)}"
        + "".join(f"\n  {e.lang}/{e.id} on {e.review_due}" for e in soon)
    )
    table = Table("asked", "lang", "question", title="Most asked unanswered questions")
    for gap in gaps:
        table.add_row(str(gap.count), gap.language, gap.text)
    out.print(table if gaps else "No unanswered questions recorded.")


@app.command("tune")
def kb_tune(
    lang: Annotated[
        list[str] | None,
        typer.Option("--lang", help="Tune this language (repeat); default: those it helps."),
    ] = None,
    epochs: Annotated[int, typer.Option(help="Passes over the entries' phrasings.")] = 3,
    if_needed: Annotated[
        bool, typer.Option("--if-needed", help="Only a language not tuned on these entries.")
    ] = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Adapt the question encoder to the entries' wording (a minute or two per language)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    from bot.knowledge.embeddings import default_model_path
    from bot.knowledge.entries import load_faq
    from bot.knowledge.tuning import TUNED_LANGUAGES, tune_language, tuned_on

    settings = load_settings(knowledge)
    if settings.embedding_model:
        raise fail("EMBEDDING_MODEL is set: it encodes every language and is not tuned here")
    loaded = load_faq(settings.knowledge_dir)
    for problem in loaded.problems:
        err.print(problem.render(settings.knowledge_dir), highlight=False, soft_wrap=True)
    if loaded.problems:
        raise fail("fix the knowledge files first (trialbot kb lint)")
    languages = [_check_language(chosen) for chosen in lang or TUNED_LANGUAGES]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[loss]}"),
        TimeElapsedColumn(),
    )
    for chosen in languages:
        current = settings.tuned_encoder_dir / chosen
        if if_needed and tuned_on(loaded.entries, current, loaded.declined):
            out.print(f"The {chosen} encoder is tuned on these entries already: {current}")
            continue
        with Progress(*columns, console=err) as bar:
            task = bar.add_task(f"Tuning the {chosen} encoder", total=None, loss="")

            def progress(step: int, steps: int, loss: float, task: TaskID = task) -> None:
                bar.update(task, completed=step, total=steps, loss=f"loss {loss:.2f}")

            folder = tune_language(
                loaded.entries,
                chosen,
                default_model_path(),
                settings.tuned_encoder_dir,
                declined=loaded.declined.get(chosen, []),
                epochs=epochs,
                progress=progress,
            )
        out.print(f"The {chosen} encoder is tuned: {folder} (restart the stack to use it).")


@app.command("index")
def kb_index(knowledge: KnowledgeDir = None) -> None:
    """Rebuild the embedding index (and its cache), with a progress bar."""
    settings = load_settings(knowledge)
    kb = _knowledge_base(settings)
    counts = {lang: len(kb.entries(lang)) for lang in ("en", "fr")}
    for problem in kb.problems:
        err.print(problem.render(settings.knowledge_dir), highlight=False)
    with err.status("Preparing the question encoders (exported to ONNX once)"):
        for lang in ("en", "fr"):
            kb.encoders.for_language(lang).load()
    encoded = ", ".join(
        f"{name} with {'its tuned model' if kb.encoders.tuned(lang) else 'the shipped model'}"
        f" ({kb.encoders.for_language(lang).backend})"
        for lang, name in (("en", "English"), ("fr", "French"))
    )
    out.print(
        f"Indexed {counts['en']} English and {counts['fr']} French entries; "
        f"questions are encoded: {encoded}."
    )
    if kb.problems:
        raise typer.Exit(1)
