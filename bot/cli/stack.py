"""The commands that run the assistant: the whole stack, or one of its processes, the Rasa model
and the terminal chat. They stand at the top level (`trialbot run`), put there by `bot.cli`.

On one machine, `trialbot run` starts and watches everything. A fleet (several machines, or
replicas behind a load balancer) runs each role as a command of its own, configured by settings
alone: `trialbot serve` (gateways), `trialbot rasa` (Rasa servers), `trialbot actions` (action
servers) and `trialbot dispatcher` (reminders). Its steps, once per release, before any of them
starts: `trialbot db upgrade` (the schema; one-shot, never every gateway at its start, which
would race) and `trialbot train` (the model, into RASA_MODEL_DIR, which every Rasa server reads;
`trialbot rasa` refuses to start without it). Every process of a fleet holds the same secrets
from its settings: a role process on a shared database never makes one of its own (see
`_secrets_ready`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer

from bot import preflight, private_files, rasa_server
from bot.cli.common import KnowledgeDir, err, fail, load_settings, out, refuse
from bot.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from bot.supervisor import ChildSpec


def run(knowledge: KnowledgeDir = None) -> None:
    """Start the whole stack: action server, Rasa and the gateway."""
    from bot.supervisor import Supervisor

    settings = _one_machine(load_settings(knowledge))
    try:  # nothing starts on top of a stranger's port, or trips on a setting later
        preflight.check(settings)
    except preflight.StartProblem as problem:
        refuse(str(problem))
    _refuse_unfinished_knowledge(settings)
    try:
        private_files.make_private(settings)  # before any process creates a file there
    except OSError as error:
        refuse(
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


def _one_machine(settings: Settings) -> Settings:
    """`run`'s settings: its children on this machine, whatever RASA_URL and ACTIONS_URL say
    (they are for a fleet); the children inherit the same through the environment."""
    for name in ("RASA_URL", "ACTIONS_URL"):
        os.environ[name] = ""
    return settings.model_copy(update={"rasa_url_setting": "", "actions_url_setting": ""})


def serve(knowledge: KnowledgeDir = None) -> None:
    """Run the gateway alone (web chat, channel webhooks, health); it reaches Rasa at RASA_URL."""
    import uvicorn

    from bot.gateway.app import create_app

    settings = load_settings(knowledge)
    _refuse_unfinished_knowledge(settings)
    _secrets_ready(settings, make=_alone(settings))
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


def dispatcher(knowledge: KnowledgeDir = None) -> None:
    """Send due appointment reminders, as a process of its own (gateways send them too)."""
    from bot.reminders import standalone

    settings = load_settings(knowledge)
    _secrets_ready(settings, make=_alone(settings))
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its URLs hold the channel tokens
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(standalone.run(settings))


def actions(knowledge: KnowledgeDir = None) -> None:
    """Run the Rasa action server (on ACTIONS_HOST, 127.0.0.1 by default), for Rasa alone
    (ACTION_SERVER_TOKEN)."""
    from bot import action_server

    settings = load_settings(knowledge)
    _secrets_ready(settings, make=_alone(settings))
    os.environ.setdefault("LOG_LEVEL", settings.log_level.upper())  # rasa_sdk reads it
    os.environ.setdefault("SANIC_HOST", settings.actions_host)
    action_server.run(
        "actions", settings.action_token(), settings.actions_port, settings.log_level.upper()
    )


def rasa(knowledge: KnowledgeDir = None) -> None:
    """Run a Rasa server alone on the trained model (`trialbot train` makes it), on RASA_HOST
    and RASA_PORT; it calls the actions at ACTIONS_URL. With several Rasa servers, REDIS_URL
    (their lock store) and a shared tracker store (TRACKER_STORE_URL or DATABASE_URL on
    PostgreSQL) are needed: one conversation's messages are then handled one at a time."""
    settings = load_settings(knowledge)
    _secrets_ready(settings, make=_alone(settings))
    model = rasa_server.model_path(settings)
    if not model.exists():
        raise fail(
            f"no trained model for these files in {settings.rasa_model_dir} ({model.name}): "
            "run `trialbot train` first (once per release, into a RASA_MODEL_DIR that every "
            "Rasa server reads)"
        )
    try:
        argv = rasa_server.run_argv(settings, model)
    except rasa_server.RasaNotInstalled as error:
        raise fail(str(error)) from None
    # Rasa becomes this process: a signal to it is a signal to Rasa (no supervisor here).
    os.chdir(PROJECT_ROOT)
    os.execve(argv[0], argv, rasa_server.run_env(settings))  # noqa: S606


def train(
    force: Annotated[bool, typer.Option(help="Train even if the model is up to date.")] = False,
    knowledge: KnowledgeDir = None,
) -> None:
    """Train the Rasa model when config.yml, domain.yml or data/ changed."""
    settings = load_settings(knowledge)
    _ensure_model(settings, force=force)


def chat(
    sender: Annotated[str | None, typer.Option(help="Who you are in the conversation.")] = None,
    lang: Annotated[str | None, typer.Option(help="en or fr")] = None,
    knowledge: KnowledgeDir = None,
) -> None:
    """Chat in the terminal through the running gateway. Type a button's number to press it."""
    from bot.terminal_chat import chat_loop

    settings = load_settings(knowledge)
    if lang not in (None, "en", "fr"):
        raise fail("--lang takes en or fr")
    who = sender or f"terminal-{os.getpid()}"
    tokens = settings.var_dir / "secrets" / "terminal-chat"
    raise typer.Exit(chat_loop(settings.gateway_url, who, lang, out, tokens if sender else None))


def _alone(settings: Settings) -> bool:
    """Whether a role process may make the secrets it lacks: only on a database of its own
    (SQLite on this machine). On a shared database (PostgreSQL) it is one process of a fleet,
    whose every process must hold the same secrets, from its settings: one made here would be
    this machine's alone (a gateway's pseudonyms unlike another's, data no one else decrypts)."""
    return settings.db_url.startswith("sqlite")


# Each secret's setting, and its file under var/secrets/ (the embedded default's).
_SHARED_SECRETS = {
    "PSEUDONYM_KEY": ("pseudonym_key", "pseudonym_key"),
    "DATA_ENCRYPTION_KEY": ("data_encryption_key", "data_key"),
    "STAFF_API_TOKEN": ("staff_api_token", "staff_api_token"),
    "RASA_AUTH_TOKEN": ("rasa_auth_token", "rasa_auth_token"),
    "ACTION_SERVER_TOKEN": ("action_server_token", "action_server_token"),
}


def missing_shared_secrets(settings: Settings) -> list[str]:
    """The secrets a fleet process lacks: neither set nor already in a file under var/secrets/."""
    missing = [
        name
        for name, (field, file) in _SHARED_SECRETS.items()
        if getattr(settings, field) is None and not (settings.var_dir / "secrets" / file).exists()
    ]
    telegram = settings.var_dir / "secrets" / "telegram_webhook_secret"
    if settings.telegram_enabled and not settings.telegram_webhook_secret and not telegram.exists():
        missing.append("TELEGRAM_WEBHOOK_SECRET")
    return missing


def _secrets_ready(settings: Settings, *, make: bool = True) -> None:
    """Read (making them the first time, when `make`) the secrets the processes use, before
    starting any: an empty or damaged secret file stops start-up in one line that names it, and
    so does a secret that a process of a fleet (`make` False) was not given."""
    if not make and (missing := missing_shared_secrets(settings)):
        refuse(
            f"{', '.join(missing)}: not set, and this process shares its database with others "
            "(DATABASE_URL is not SQLite): every process of the site needs the same ones, set "
            "in its environment or .env (see .env.example for how to make each)"
        )
    try:
        settings.pseudonym_secret(), settings.data_keys(), settings.staff_token()
        settings.rasa_token(), settings.action_token()
        if settings.telegram_enabled:
            settings.telegram_secret()
    except OSError as error:  # a folder in its place, no permission…
        path = Path(error.filename or "")
        refuse(
            f"{_SECRET_SETTINGS.get(path.name, path.name.upper())}: {path} cannot be read "
            f"({error.strerror}): make it a file the user running trialbot can read, or set "
            f"{_SECRET_SETTINGS.get(path.name, path.name.upper())}"
        )
    except ValueError as error:
        refuse(str(error))


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
        refuse(
            f"DATABASE_URL: cannot use the database at {where} ({reason}): start it, or "
            "correct DATABASE_URL"
        )


def _channel_lines(settings: Settings) -> list[str]:
    """What `run` says about each platform once the stack is up (the web chat has its line)."""
    from bot.channels import registry

    return [spec.status(settings) for spec in registry.specs() if spec.describe is not None]


def _refuse_unfinished_knowledge(settings: Settings) -> None:
    """In production, text left for the site to complete must never reach a patient."""
    from bot.knowledge.placeholders import start_blocker

    blocker = start_blocker(settings.knowledge_dir, settings.environment == "production")
    if blocker is not None:
        err.print(f"[red]error:[/] {blocker}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)


def _ensure_model(settings: Settings, *, force: bool = False) -> Path:
    target = rasa_server.model_path(settings)
    if target.exists() and not force:
        err.print(f"Rasa model is up to date ({target.name})")
        return target
    err.print("[bold]Training the Rasa model[/] (about 2 minutes; Rasa shows each step)…")
    try:
        model = rasa_server.train(settings, force=force)
    except rasa_server.RasaNotInstalled as error:
        raise fail(str(error)) from None
    except subprocess.CalledProcessError as error:
        raise fail(f"training failed (exit {error.returncode}); see Rasa's output above") from None
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
    from bot.gateway.health import answers_ok

    async def check() -> bool:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return await answers_ok(client, url)

    return check
