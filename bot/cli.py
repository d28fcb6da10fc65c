"""`trialbot`: the command line of the assistant (Typer + Rich)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from bot import preflight, private_files, rasa_server
from bot.settings import PROJECT_ROOT, Settings, get_settings, settings_problems

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.supervisor import ChildSpec

app = typer.Typer(help="A patient-support assistant for clinical trials.", no_args_is_help=True)
db_app = typer.Typer(help="The application database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
kb_app = typer.Typer(help="The vetted knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
campaigns_app = typer.Typer(help="Where conversations come from.", no_args_is_help=True)
app.add_typer(campaigns_app, name="campaigns")
consent_app = typer.Typer(help="The consent ledger.", no_args_is_help=True)
app.add_typer(consent_app, name="consent")
retention_app = typer.Typer(help="How long conversation data is kept.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
screenings_app = typer.Typer(
    help="Pre-screenings, and what the study team must follow up.", no_args_is_help=True
)
app.add_typer(screenings_app, name="screenings")
participants_app = typer.Typer(help="Enrolled participants and their chats.", no_args_is_help=True)
app.add_typer(participants_app, name="participants")
appointments_app = typer.Typer(help="Participants' appointments.", no_args_is_help=True)
app.add_typer(appointments_app, name="appointments")
reminders_app = typer.Typer(help="Appointment reminders.", no_args_is_help=True)
app.add_typer(reminders_app, name="reminders")
keys_app = typer.Typer(help="The key that encrypts personal data at rest.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
safety_app = typer.Typer(help="Emergencies and side effects reported.", no_args_is_help=True)
app.add_typer(safety_app, name="safety")
handoff_app = typer.Typer(
    help="People who asked for the study team, and the team's answers.", no_args_is_help=True
)
app.add_typer(handoff_app, name="handoff")
staff_app = typer.Typer(
    help="Accounts for the staff pages (/staff), and the audit log.", no_args_is_help=True
)
app.add_typer(staff_app, name="staff")

out = Console()
err = Console(stderr=True)

KnowledgeDir = Annotated[
    Path | None,
    typer.Option(
        "--knowledge",
        help="The knowledge folder (FAQ, trials, consent texts).",
        envvar="TRIALBOT_KNOWLEDGE_DIR",
        file_okay=False,
    ),
]


def _settings(knowledge: Path | None) -> Settings:
    """The settings, with --knowledge applied for this command and the processes it starts."""
    if knowledge is not None:
        os.environ["TRIALBOT_KNOWLEDGE_DIR"] = str(knowledge.resolve())
        get_settings.cache_clear()
    try:
        return get_settings()
    except ValidationError as error:  # a setting to correct: one line, not a traceback
        _refuse(f"{settings_problems(error)} (correct it in the environment or in .env)")


def _refuse(problem: str) -> NoReturn:
    """Stop on a setting to correct: one line that says which and how, exit code 2."""
    err.print(f"[red]error:[/] {escape(problem)}", soft_wrap=True, highlight=False)
    raise typer.Exit(2)


def _secrets_ready(settings: Settings) -> None:
    """Read (making them the first time) the secrets the processes use, before starting any:
    an empty or damaged secret file stops start-up in one line that names it."""
    try:
        settings.pseudonym_secret(), settings.data_keys(), settings.staff_token()
        settings.rasa_token(), settings.action_token()
        if settings.telegram_enabled:
            settings.telegram_secret()
    except OSError as error:  # a folder in its place, no permission…
        path = Path(error.filename or "")
        _refuse(
            f"{_SECRET_SETTINGS.get(path.name, path.name.upper())}: {path} cannot be read "
            f"({error.strerror}): make it a file the user running trialbot can read, or set "
            f"{_SECRET_SETTINGS.get(path.name, path.name.upper())}"
        )
    except ValueError as error:
        _refuse(str(error))


# The setting that replaces each secret file under var/secrets/ (by default, its name in capitals).
_SECRET_SETTINGS = {"data_key": "DATA_ENCRYPTION_KEY"}


def _upgrade_database(settings: Settings) -> None:
    """Bring the schema up to date; a database that cannot be reached stops start-up in a line."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from bot.db.migrate import upgrade

    try:
        upgrade(settings.db_url)
    except OperationalError as error:
        where = make_url(settings.db_url).render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        _refuse(
            f"DATABASE_URL: cannot use the database at {where} ({reason}): start it, or "
            "correct DATABASE_URL"
        )


def _channel_lines(settings: Settings) -> list[str]:
    """What `run` says about Telegram and Messenger once the stack is up."""
    public = settings.public_url.rstrip("/") or "<PUBLIC_URL>"
    lines = []
    if settings.telegram_enabled:
        mode = "webhook" if settings.telegram_webhook else "polling, no public address needed"
        lines.append(f"Telegram: on ({mode})")
    else:
        lines.append("Telegram: off (set TELEGRAM_BOT_TOKEN to switch it on)")
    if settings.messenger_enabled:
        lines.append(f"Messenger: on; Meta's callback URL is {public}/webhooks/messenger")
    else:
        lines.append("Messenger: off (set MESSENGER_PAGE_TOKEN and MESSENGER_APP_SECRET)")
    return lines


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(1)


def _refuse_unfinished_knowledge(settings: Settings) -> None:
    """In production, text left for the site to complete must never reach a patient."""
    from bot.knowledge.placeholders import start_blocker

    blocker = start_blocker(settings.knowledge_dir, settings.environment == "production")
    if blocker is not None:
        err.print(f"[red]error:[/] {blocker}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)


@app.command()
def run(knowledge: KnowledgeDir = None) -> None:
    """Start the whole stack: action server, Rasa and the gateway."""
    from bot.supervisor import Supervisor

    settings = _settings(knowledge)
    try:  # nothing starts on top of a stranger's port, or trips on a setting later
        preflight.check(settings)
    except preflight.StartProblem as problem:
        _refuse(str(problem))
    _refuse_unfinished_knowledge(settings)
    try:
        private_files.make_private(settings)  # before any process creates a file there
    except OSError as error:
        _refuse(
            f"TRIALBOT_VAR_DIR: {settings.var_dir} cannot be made ({error.strerror}): set "
            "TRIALBOT_VAR_DIR to a folder the user running trialbot can write"
        )
    _secrets_ready(settings)
    _upgrade_database(settings)
    model = _ensure_model(settings)
    specs = _child_specs(settings, model)

    def ready() -> None:
        url = f"{settings.gateway_url}/"
        err.print(
            f"\n[bold green]Ready.[/] Chat at [link={url}]{url}[/]"
            " or with `.venv/bin/trialbot chat`. Ctrl-C stops everything.",
            highlight=False,
        )
        for line in _channel_lines(settings):
            err.print(f"  {line}", highlight=False)
        err.print(
            f"  Staff pages: {settings.gateway_url}/staff (accounts: `trialbot staff add EMAIL`)",
            highlight=False,
        )
        err.print()

    raise typer.Exit(asyncio.run(Supervisor(specs, err).run(on_ready=ready)))


@app.command()
def serve(knowledge: KnowledgeDir = None) -> None:
    """Run the gateway alone (web chat, channel webhooks, health)."""
    import uvicorn

    from bot.gateway.app import create_app

    settings = _settings(knowledge)
    _refuse_unfinished_knowledge(settings)
    _secrets_ready(settings)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request's URL, which holds the bot token (Telegram) or the page token
    # (Messenger): never at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    uvicorn.run(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_level=settings.log_level.lower(),
        # One line per request costs time on every message and says nothing the logs need.
        access_log=settings.log_level.upper() == "DEBUG",
        # X-Forwarded-For is believed from TRUSTED_PROXIES only, by the app (bot.gateway.limits);
        # uvicorn's own handling would believe anyone on 127.0.0.1.
        proxy_headers=False,
    )


@app.command()
def dispatcher(knowledge: KnowledgeDir = None) -> None:
    """Send due appointment reminders, as a process of its own (gateways send them too)."""
    from bot.reminders import standalone

    settings = _settings(knowledge)
    _secrets_ready(settings)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its URLs hold the channel tokens
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(standalone.run(settings))


@app.command()
def actions(knowledge: KnowledgeDir = None) -> None:
    """Run the Rasa action server (on 127.0.0.1), for Rasa alone (ACTION_SERVER_TOKEN)."""
    from bot import action_server

    settings = _settings(knowledge)
    _secrets_ready(settings)
    os.environ.setdefault("LOG_LEVEL", settings.log_level.upper())  # rasa_sdk reads it
    action_server.run(
        "actions", settings.action_token(), settings.actions_port, settings.log_level.upper()
    )


@app.command()
def train(
    force: Annotated[bool, typer.Option(help="Train even if the model is up to date.")] = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Train the Rasa model when config.yml, domain.yml or data/ changed."""
    settings = _settings(knowledge)
    _ensure_model(settings, force=force)


@app.command()
def chat(
    sender: Annotated[str | None, typer.Option(help="Who you are in the conversation.")] = None,
    lang: Annotated[str | None, typer.Option(help="en or fr")] = None,
    knowledge: KnowledgeDir = None,
) -> None:
    """Chat in the terminal through the running gateway. Type a button's number to press it."""
    from bot.terminal_chat import chat_loop

    settings = _settings(knowledge)
    if lang not in (None, "en", "fr"):
        raise _fail("--lang takes en or fr")
    who = sender or f"terminal-{os.getpid()}"
    tokens = settings.var_dir / "secrets" / "terminal-chat"
    raise typer.Exit(chat_loop(settings.gateway_url, who, lang, out, tokens if sender else None))


@db_app.command("upgrade")
def db_upgrade(knowledge: KnowledgeDir = None) -> None:
    """Apply every migration not applied yet."""
    from bot.db.migrate import upgrade

    settings = _settings(knowledge)
    upgrade(settings.db_url)
    out.print("database is up to date")


@db_app.command("status")
def db_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Show the applied and the latest migration."""
    from bot.db.migrate import current_revision, head_revision

    settings = _settings(knowledge)
    current, head = current_revision(settings.db_url), head_revision()
    status = {"current": current, "head": head, "up_to_date": current == head}
    if as_json:
        out.print_json(json.dumps(status))
    else:
        out.print(f"applied: {status['current']}  latest: {status['head']}")
    if not status["up_to_date"]:
        raise typer.Exit(1)


Language = Annotated[str, typer.Option("--lang", help="en or fr.")]
Trial = Annotated[str | None, typer.Option("--trial", help="A trial id, for its own answers.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


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
        raise _fail(f"--lang must be en or fr, not {lang!r}")
    return lang


@kb_app.command("ask")
def kb_ask(
    text: Annotated[str, typer.Argument(help="The question, or - for JSON lines on stdin.")],
    lang: Language = "en",
    trial: Trial = None,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Ask the knowledge base one question (or many, one JSON object per line, with -)."""
    settings = _settings(knowledge)
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


@kb_app.command("lint")
def kb_lint(
    as_json: AsJson = False,
    fast: Annotated[
        bool, typer.Option("--fast", help="Skip the check for confusable questions.")
    ] = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Check every knowledge file; exit 1 if any entry is invalid, expired or conflicting."""
    from bot.knowledge.embeddings import Embedder, default_model_path
    from bot.knowledge.lint import lint

    settings = _settings(knowledge)
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


@kb_app.command("stats")
def kb_stats(as_json: AsJson = False, knowledge: KnowledgeDir = None) -> None:
    """Entries per language, reviews due within 30 days, the most asked unanswered questions."""
    import datetime as dt

    from bot.crypto import Cipher
    from bot.db.session import create_db_engine, make_session_factory
    from bot.knowledge.entries import load_faq
    from bot.knowledge.gaps import top_unanswered

    settings = _settings(knowledge)
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


@kb_app.command("tune")
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

    settings = _settings(knowledge)
    if settings.embedding_model:
        raise _fail("EMBEDDING_MODEL is set: it encodes every language and is not tuned here")
    loaded = load_faq(settings.knowledge_dir)
    for problem in loaded.problems:
        err.print(problem.render(settings.knowledge_dir), highlight=False, soft_wrap=True)
    if loaded.problems:
        raise _fail("fix the knowledge files first (trialbot kb lint)")
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
        if if_needed and tuned_on(loaded.entries, current):
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
                epochs=epochs,
                progress=progress,
            )
        out.print(f"The {chosen} encoder is tuned: {folder} (restart the stack to use it).")


@kb_app.command("index")
def kb_index(knowledge: KnowledgeDir = None) -> None:
    """Rebuild the embedding index (and its cache), with a progress bar."""
    settings = _settings(knowledge)
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


@campaigns_app.command("list")
def campaigns_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Conversations started by each campaign link (/start camp_<id>, ?ref=camp_<id>)."""
    from rich.table import Table

    from bot.campaigns import campaign_counts
    from bot.db.session import create_db_engine, make_session_factory

    engine = create_db_engine(_settings(knowledge).db_url)
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


def _ensure_model(settings: Settings, *, force: bool = False) -> Path:
    target = rasa_server.model_path(settings)
    if target.exists() and not force:
        err.print(f"Rasa model is up to date ({target.name})")
        return target
    err.print("[bold]Training the Rasa model[/] (about 2 minutes; Rasa shows each step)…")
    try:
        model = rasa_server.train(settings, force=force)
    except rasa_server.RasaNotInstalled as error:
        raise _fail(str(error)) from None
    except subprocess.CalledProcessError as error:
        raise _fail(f"training failed (exit {error.returncode}); see Rasa's output above") from None
    err.print(f"[green]trained[/] {model.name}")
    return model


def _child_specs(settings: Settings, model: Path) -> list[ChildSpec]:
    from bot.gateway.rasa import RasaClient
    from bot.supervisor import ChildSpec

    rasa = RasaClient(settings.rasa_url, settings.rasa_token(), timeout=2.0)
    me = [sys.executable, "-m", "bot"]
    return [
        # Its port stays open across its restarts: Rasa's action calls wait rather than fail.
        ChildSpec("actions", [*me, "actions"], _http_ok(f"{settings.actions_url}/health"),
                  style="magenta", start_timeout=60, listen=_actions_socket(settings)),
        ChildSpec("rasa", rasa_server.run_argv(settings, model), rasa.is_up,
                  env=rasa_server.run_env(settings), cwd=str(PROJECT_ROOT), style="blue",
                  start_timeout=300, alive=_answers(f"{settings.rasa_url}/")),
        # The gateway's health says Rasa's too: alive is its answering at all.
        ChildSpec("gateway", [*me, "serve"], _http_ok(f"{settings.gateway_url}/healthz"),
                  style="green", start_timeout=60,
                  alive=_answers(f"{settings.gateway_url}/healthz")),
    ]  # fmt: skip


def _actions_socket(settings: Settings) -> tuple[str, int] | None:
    """Where the supervisor listens for the action server: with one process only (Sanic's
    workers bind the port themselves)."""
    if os.environ.get("ACTION_SERVER_SANIC_WORKERS", "1").strip() not in ("", "1"):
        return None
    return (os.environ.get("SANIC_HOST", "127.0.0.1"), settings.actions_port)


def _answers(url: str) -> Any:
    """A check that `url` answers HTTP at all, whatever the status."""

    async def check() -> bool:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                await client.get(url)
        except httpx.HTTPError:
            return False
        return True

    return check


def _http_ok(url: str) -> Any:
    from bot.gateway.app import answers_ok

    async def check() -> bool:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return await answers_ok(client, url)

    return check


@contextlib.contextmanager
def _database(settings: Settings, *, write: bool = False) -> Iterator[Any]:
    """A session on the application database, committed at the end when `write`."""
    from bot.db.session import create_db_engine, make_session_factory

    engine = create_db_engine(settings.db_url)
    try:
        sessions = make_session_factory(engine)
        with sessions.begin() if write else sessions() as session:
            yield session
    finally:
        engine.dispose()


def _cli_actor() -> str:
    """Who acts at the command line, for the audit log: the account running the command."""
    import getpass

    return f"cli:{getpass.getuser()}"


def _audit(session: Session, action: str, subject: str | None = None, **detail: Any) -> None:
    """Write what staff did at the command line to the audit log, in the action's transaction."""
    from bot.staff import audit

    audit.record(session, _cli_actor(), action, subject=subject, **detail)


@consent_app.command("verify")
def consent_verify(as_json: AsJson = False, knowledge: KnowledgeDir = None) -> None:
    """Check the ledger's hash chain; exit 1 naming the first broken record."""
    from bot.consent import ledger

    with _database(_settings(knowledge)) as session:
        result = ledger.verify(session)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": result.ok,
                    "records": result.records,
                    "head": result.head,
                    "broken": None
                    if result.ok
                    else {
                        "seq": result.broken_seq,
                        "id": result.broken_id,
                        "reason": result.reason,
                    },
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


@consent_app.command("export")
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
        raise _fail(f"--format must be csv or json, not {format_!r}")
    with _database(_settings(knowledge), write=True) as session:
        rows = list(ledger.export_rows(session))
        check = ledger.verify(session)
        _audit(
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

    from bot.consent import erasure

    settings = _settings(knowledge)
    period = days or settings.retention_days
    with _database(settings, write=not dry_run) as session:
        purged = erasure.purge(
            session, settings.rasa_tracker_url, dt.timedelta(days=period), dry_run=dry_run
        )
        if not dry_run:
            _audit(session, "retention.purge", None, days=period, **purged.as_dict())
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


@keys_app.command("rotate")
def keys_rotate(
    reencrypt_only: Annotated[
        bool,
        typer.Option(
            "--reencrypt-only",
            help="Only re-encrypt with the newest configured key (DATA_ENCRYPTION_KEY users).",
        ),
    ] = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Start encrypting with a new key and re-encrypt everything stored with it."""
    from bot import keys, tracker_keys
    from bot.crypto import Cipher

    settings = _settings(knowledge)
    if not reencrypt_only:
        if settings.data_encryption_key is not None:
            raise _fail(
                "DATA_ENCRYPTION_KEY is set, so the key is yours to change: put a new key first "
                "in it (comma-separated, old ones after), restart every process, then run "
                "`trialbot keys rotate --reencrypt-only`. A new key: " + keys.new_key()
            )
        count = keys.add_key_to_file(settings.data_key_file)
        out.print(f"Added a new key to {settings.data_key_file} ({count} key(s), newest first).")
    cipher = Cipher.from_settings(settings)
    try:
        with _database(settings, write=True) as session:
            each = keys.reencrypt_each(session, cipher)
            done = sum(each.values())
            _audit(session, "keys.rotate", new_key=not reencrypt_only, reencrypted=done)
    except keys.Unreadable as error:
        raise _fail(
            f"no configured key decrypts {error.column} of row {error.row}, so nothing was "
            "re-encrypted: put back the key that encrypted it (DATA_ENCRYPTION_KEY, or "
            f"{settings.data_key_file}) after the newest one, and run this again"
        ) from None
    try:
        each["events.data (Rasa)"] = tracker_keys.reencrypt_tracker(
            settings.rasa_tracker_url, cipher
        )
    except tracker_keys.UnreadableEvent as error:
        raise _fail(
            f"{error}, so Rasa's conversations were not re-encrypted (the application's were): "
            "put back the key that encrypted it after the newest one, and run this again"
        ) from None
    done = sum(each.values())
    out.print(f"Re-encrypted {done} value(s) with the newest key:")
    width = max(len(name) for name in each)
    for name, count in each.items():
        out.print(f"  {name:<{width}}  {count}", highlight=False)
    out.print(
        "Restart the gateway, Rasa and the action server so that they encrypt with it too; "
        "older keys stay only to read older backups."
    )


@app.command()
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

    settings = _settings(knowledge)
    path = settings.knowledge_dir / "trials" / trial / "eligibility.yml"
    if not path.exists():
        raise _fail(f"no criteria for trial {trial!r}: {path} does not exist")
    criteria, problems = load_criteria(path)
    if criteria is None:
        for problem in problems:
            err.print(problem.render(settings.knowledge_dir), highlight=False)
        raise _fail(f"the criteria of {trial!r} have problems (above)")
    try:
        given = json.loads(answers.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise _fail(f"cannot read {answers}: {error}") from None
    if not isinstance(given, dict):
        raise _fail(f"{answers} must hold a JSON object {{question_id: value}}")
    wrong = validate(criteria, given)
    if wrong:
        raise _fail("; ".join(wrong))
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


@screenings_app.command("list")
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

    settings = _settings(knowledge)
    cipher = Cipher.from_settings(settings)
    rows = _read(settings, lambda s: report.screenings(s, cipher, outcome=outcome, answers=answers))
    _show(
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


@screenings_app.command("follow-ups")
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

    settings = _settings(knowledge)
    cipher = Cipher.from_settings(settings)
    rows = _read(settings, lambda s: report.follow_ups(s, cipher, everything=everything))

    def about(row: dict[str, Any]) -> str:
        if row["screening"]:
            return f"screening {row['screening']}"
        return f"appointment {row['appointment']}" if row["appointment"] else ""

    _show(
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


@safety_app.command("list")
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
            raise _fail(f"--since {since!r} is not an ISO-8601 date or time") from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    settings = _settings(knowledge)
    cipher = Cipher.from_settings(settings)
    rows = _read(settings, lambda s: events.listed(s, cipher, since=start, everything=everything))
    _show(
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


@safety_app.command("ack")
def safety_ack(
    event_id: Annotated[int, typer.Argument(metavar="ID", help="The event's id.")],
    knowledge: KnowledgeDir = None,
) -> None:
    """Mark a safety event as reviewed by staff."""

    from bot.safety import events

    with _database(_settings(knowledge), write=True) as session:
        event = events.acknowledge(session, event_id)
        if event is None:
            raise _fail(f"there is no safety event {event_id}")
        _audit(session, "safety.acknowledge", f"safety_event:{event_id}")
        out.print(f"Safety event {event_id} ({event.kind}) acknowledged.")


@handoff_app.command("list")
def handoff_list(
    everything: Annotated[bool, typer.Option("--all", help="Include the closed ones.")] = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """The open requests for the study team, newest first, with a summary and the messages."""

    from bot.crypto import Cipher
    from bot.handoff import service

    settings = _settings(knowledge)
    cipher = Cipher.from_settings(settings)
    rows = _read(settings, lambda s: service.listed(s, cipher, everything=everything))
    _show(
        rows,
        as_json,
        ("id", "since (UTC)", "from", "summary", "last message", "status"),
        lambda row: (
            str(row["id"]),
            row["created_at"][:16].replace("T", " "),
            f"{row['channel']}, {row['language']}" + (f"\n{row['trial']}" if row["trial"] else ""),
            row["text"],
            _last_message(row["messages"]),
            row["status"],
        ),
        "Nobody is waiting for the study team.",
    )


def _last_message(said: list[dict[str, Any]]) -> str:
    if not said:
        return ""
    last = said[-1]
    who = last["author"] + (f", {last['delivery']}" if last["delivery"] else "")
    return f"{who}: {last['text']}"


HandoffId = Annotated[int, typer.Argument(metavar="ID", help="The handoff's id (handoff list).")]


@handoff_app.command("reply")
def handoff_reply(
    handoff_id: HandoffId,
    text: Annotated[str, typer.Argument(help="The answer, as the person will read it.")],
    close: Annotated[
        bool, typer.Option("--close", help="Close the handoff with this answer.")
    ] = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Answer the person on their channel: at once, or retried by the gateway or dispatcher."""
    outcome = _handoff_send(
        _settings(knowledge), handoff_id, "handoff.reply",
        lambda d: d.answer(handoff_id, text, close=close), chars=len(text), close=close,
    )  # fmt: skip
    _said(outcome, as_json, f"Answer to handoff {handoff_id}", closed=close)


@handoff_app.command("close")
def handoff_close(
    handoff_id: HandoffId, as_json: AsJson = False, knowledge: KnowledgeDir = None
) -> None:
    """Close a request; the person is told they are back with the assistant."""
    outcome = _handoff_send(
        _settings(knowledge), handoff_id, "handoff.close", lambda d: d.close(handoff_id)
    )
    _said(outcome, as_json, f"The notice that handoff {handoff_id} is closed", closed=True)


def _handoff_send(
    settings: Settings, handoff_id: int, action: str, call: Callable[[Any], Any], **detail: Any
) -> Any:
    """Run `call` with a HandoffDelivery on the handoff's channel, built in this process.

    The delivery keeps the message in transactions of its own, so the audit record follows it.
    """
    from bot.channels.outbound import outbound_channels
    from bot.db.session import create_db_engine, make_session_factory
    from bot.handoff import service
    from bot.handoff.delivery import HandoffDelivery
    from bot.staff import audit

    async def send() -> Any:
        engine = create_db_engine(settings.db_url)
        try:
            sessions = make_session_factory(engine)
            with sessions() as session:
                channel = service.channel(session, handoff_id)
            async with outbound_channels(
                settings, sessions, only={channel}, wait=False
            ) as channels:
                delivery = HandoffDelivery(settings=settings, sessions=sessions, channels=channels)
                return await call(delivery)
        finally:
            engine.dispose()

    try:
        outcome = asyncio.run(send())
    except service.HandoffError as error:
        raise _fail(str(error)) from None
    engine = create_db_engine(settings.db_url)
    try:
        audit.handoff_delivered(
            make_session_factory(engine), _cli_actor(), action, handoff_id, outcome.delivery,
            **detail,
        )  # fmt: skip
    finally:
        engine.dispose()
    return outcome


def _said(outcome: Any, as_json: bool, what: str, *, closed: bool) -> None:
    if as_json:
        out.print_json(json.dumps(outcome.to_json()))
    elif outcome.delivery == "sent":
        out.print(f"{what} was delivered on {outcome.channel}.")
    elif outcome.delivery == "pending":
        # Without an error, a running gateway or dispatcher took it first and is sending it.
        why = f" ({outcome.error})" if outcome.error else ""
        out.print(
            f"{what} is queued: not delivered yet{why}. The gateway or `trialbot dispatcher` "
            "tries again until it is.",
            highlight=False,
        )
    if closed and not as_json:
        out.print(f"Handoff {outcome.handoff_id} is closed.")
    if outcome.delivery == "failed":
        raise _fail(f"{what} cannot be delivered: {outcome.error}")


def _read(
    settings: Settings, query: Callable[[Session], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    from bot.db.session import create_db_engine, make_session_factory

    engine = create_db_engine(settings.db_url)
    try:
        with make_session_factory(engine)() as session:
            return query(session)
    finally:
        engine.dispose()


@participants_app.command("add")
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

    from bot.db.session import create_db_engine, make_session_factory
    from bot.knowledge.lint import trial_ids
    from bot.reminders import participants

    settings = _settings(knowledge)
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
            _audit(session, "participant.add", f"participant:{added.participant.code}", trial=trial)
    except participants.InvalidParticipant as error:
        raise _fail(str(error)) from None
    finally:
        engine.dispose()
    result = {
        "participant_code": added.participant.code,
        "link_code": added.link_code,
        **participants.links(
            added.link_code, settings.telegram_bot_username, settings.messenger_page_name
        ),
        "expires_at": added.expires_at.isoformat(),
    }
    if as_json:
        out.print_json(json.dumps(result))
        return
    out.print(f"Participant [bold]{added.participant.code}[/] registered for {trial}.")
    until = added.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    out.print(f"One-time link code: [bold]{added.link_code}[/] (works once, until {until})")
    for name, setting in (
        ("telegram_link", "TELEGRAM_BOT_USERNAME"),
        ("messenger_link", "MESSENGER_PAGE_NAME"),
    ):
        link = result[name]
        out.print(f"  {link}" if link else f"  (set {setting} for the {name.split('_')[0]} link)")
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

    settings = _settings(knowledge)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"cannot read {file}: {error}") from None
    engine = create_db_engine(settings.db_url)
    try:
        with make_session_factory(engine).begin() as session:
            imported = appointments.import_csv(
                session, text, appointments.read_trials(settings.knowledge_dir)
            )
            scheduled = [
                {"line": s.line, "id": s.appointment.id, "reminders": s.reminders}
                for s in imported.scheduled
            ]
            if scheduled:  # an import that changed nothing is a failed one
                _audit(
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

    rows = _read(_settings(knowledge), lambda s: report.appointments(s, participant))
    _show(
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
    """Reminders, by due time, with their status and channel."""

    from bot.reminders import report

    rows = _read(_settings(knowledge), lambda s: report.reminders(s, participant))
    _show(
        rows,
        as_json,
        ("id", "appointment", "participant", "due (UTC)", "status", "channel", "why"),
        lambda row: (
            str(row["id"]),
            str(row["appointment"]),
            row["participant_code"],
            row["due_at"][:16].replace("T", " "),
            row["status"] + (" (maybe twice)" if row["sends"] > 1 else ""),
            row["channel"] or "",
            row["last_error"] or row["cancel_reason"] or "",
        ),
        "No reminder.",
    )


def _show(
    rows: list[dict[str, Any]],
    as_json: bool,
    columns: tuple[str, ...],
    cells: Callable[[dict[str, Any]], tuple[str, ...]],
    empty: str,
) -> None:
    """Rows as JSON for scripts, or as a table for people."""
    from rich.table import Table

    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        out.print(empty)
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*cells(row))
    out.print(table)


StaffEmail = Annotated[str, typer.Argument(help="The staff member's e-mail address.")]


def _staff_change(
    settings: Settings, email: str, action: str, change: Callable[[Session, Any], Any]
) -> None:
    """Apply `change` to one account and write it to the audit log, in one transaction."""
    from bot.db.session import create_db_engine, make_session_factory
    from bot.staff import accounts

    engine = create_db_engine(settings.db_url)
    try:
        with make_session_factory(engine).begin() as session:
            user = accounts.find(session, email)
            if user is None:
                raise _fail(f"no staff account for {email}")
            try:
                change(session, user)
            except accounts.AccountError as error:
                raise _fail(str(error)) from None
            _audit(session, action, f"staff:{user.email}")
    finally:
        engine.dispose()


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]


@staff_app.command("add")
def staff_add(
    email: StaffEmail,
    role: Annotated[
        str, typer.Option("--role", help="coordinator (the pages) or admin (also accounts).")
    ] = "coordinator",
    password_stdin: PasswordStdin = False,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Create an account for the staff pages; asks for its password (12 characters or more)."""
    from bot.db.session import create_db_engine, make_session_factory
    from bot.staff import accounts

    settings = _settings(knowledge)
    try:
        address = accounts.normalise_email(email)
        if role not in accounts.ROLES:
            raise accounts.AccountError(f"the role must be one of {', '.join(accounts.ROLES)}")
        password = _new_password(password_stdin)
        engine = create_db_engine(settings.db_url)
        try:
            with make_session_factory(engine).begin() as session:
                user = accounts.add(session, address, role, password)
                _audit(session, "staff.add", f"staff:{user.email}", role=role)
        finally:
            engine.dispose()
    except accounts.AccountError as error:
        raise _fail(str(error)) from None
    if as_json:
        out.print_json(json.dumps({"email": address, "role": role}))
    else:
        out.print(
            f"Added {address} ({role}). Sign in at {settings.gateway_url}/staff", highlight=False
        )


@staff_app.command("list")
def staff_list(as_json: AsJson = False, knowledge: KnowledgeDir = None) -> None:
    """The staff accounts, with their state (active, locked, disabled)."""
    from bot.staff import accounts

    def rows(session: Session) -> list[dict[str, Any]]:
        listed = accounts.listed(session)
        for row in listed:
            moment = row["last_login_at"]
            row["last_login_at"] = moment and moment.isoformat(timespec="seconds")
        return listed

    _show(
        _read(_settings(knowledge), rows),
        as_json,
        ("e-mail", "role", "state", "last sign-in (UTC)"),
        lambda row: (row["email"], row["role"], row["state"], row["last_login_at"] or "never"),
        "No staff accounts yet: add one with `trialbot staff add EMAIL --role coordinator`.",
    )


@staff_app.command("password")
def staff_password(
    email: StaffEmail, password_stdin: PasswordStdin = False, knowledge: KnowledgeDir = None
) -> None:
    """Set a new password; it signs the account out everywhere and lifts a lock-out."""
    from bot.staff import accounts

    password = _new_password(password_stdin)
    _staff_change(
        _settings(knowledge), email, "staff.password",
        lambda session, user: accounts.set_password(session, user, password),
    )  # fmt: skip
    out.print(f"New password set for {email}; its sessions have ended.", highlight=False)


@staff_app.command("unlock")
def staff_unlock(email: StaffEmail, knowledge: KnowledgeDir = None) -> None:
    """Lift a lock-out after too many wrong passwords."""
    from bot.staff import accounts

    _staff_change(
        _settings(knowledge), email, "staff.unlock", lambda _, user: accounts.unlock(user)
    )
    out.print(f"{email} can sign in again.", highlight=False)


@staff_app.command("disable")
def staff_disable(email: StaffEmail, knowledge: KnowledgeDir = None) -> None:
    """Stop an account signing in (kept for the audit log); `enable` brings it back."""
    from bot.staff import accounts

    _staff_change(_settings(knowledge), email, "staff.disable", accounts.disable)
    out.print(f"{email} is disabled and signed out.", highlight=False)


@staff_app.command("enable")
def staff_enable(email: StaffEmail, knowledge: KnowledgeDir = None) -> None:
    """Let a disabled account sign in again."""
    from bot.staff import accounts

    _staff_change(
        _settings(knowledge), email, "staff.enable", lambda _, user: accounts.enable(user)
    )
    out.print(f"{email} can sign in again.", highlight=False)


@staff_app.command("audit")
def staff_audit(
    who: Annotated[str | None, typer.Option("--who", help="Only this staff e-mail.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 100,
    as_json: AsJson = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """The audit log of staff actions (sign-ins, acknowledgements, answers, exports…)."""
    from bot.staff import audit

    _show(
        _read(_settings(knowledge), lambda s: audit.entries(s, actor=who, limit=limit)),
        as_json,
        ("when (UTC)", "who", "action", "subject", "from"),
        lambda row: (
            row["at"],
            row["actor"],
            row["action"],
            row["subject"] or "",
            row["address"] or "",
        ),
        "The audit log is empty.",
    )
