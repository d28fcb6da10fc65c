"""Rasa's secrets stay secret: no token in a URL, so none in an error text, a log or the database;
none on the Rasa process's command line; and none of the other services' secrets reach it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from sqlalchemy import Engine, select

from bot.channels.base import Inbound
from bot.db.models import InboundMessage
from bot.db.session import make_session_factory
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.settings import Settings
from tests.e2e.conftest import Stack
from tests.fakes.channels import APP_SECRET, TELEGRAM_SECRET, VERIFY_TOKEN
from tests.security.conftest import SMTP_PASSWORD

TOKEN = "rasa-token-3f9a7be2"


class _Failing(BaseHTTPRequestHandler):
    """A Rasa that answers every request with a server error, and notes what was asked."""

    paths: ClassVar[list[str]] = []

    def _fail(self) -> None:
        self.paths.append(self.path)
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _fail

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_rasa() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_rasa_error_leaves_no_token_in_urls_logs_or_the_database(
    migrated_engine: Engine,
    settings: Settings,
    failing_rasa: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _Failing.paths.clear()
    sessions = make_session_factory(migrated_engine)
    rasa = RasaClient(failing_rasa, TOKEN, timeout=5.0)
    relay = Relay(settings=settings, sessions=sessions, rasa=rasa, channels={})
    try:
        # Worth the NLU's reading (the safety check asks Rasa), then forwarded: both fail.
        replies = await relay.handle(Inbound("web", "sec-error", "my legs feel heavy since monday"))
    finally:
        await rasa.aclose()
    assert replies and replies[0].text and "Sorry" in replies[0].text
    assert len(_Failing.paths) >= 2  # Rasa was asked, and failed
    assert not [path for path in _Failing.paths if TOKEN in path]
    assert "500" in caplog.text and TOKEN not in caplog.text
    with sessions() as session:
        errors = session.scalars(select(InboundMessage.last_error)).all()
    assert errors and all(error and "500" in error for error in errors)
    assert not [error for error in errors if error and (TOKEN in error or "?" in error)]


def _proc(pid: int, name: str) -> str:
    return Path(f"/proc/{pid}/{name}").read_bytes().replace(b"\0", b"\n").decode()


def test_the_rasa_process_shows_no_secret_and_gets_none_of_the_others(stack: Stack) -> None:
    settings = Settings(TRIALBOT_VAR_DIR=stack.var_dir, DATABASE_URL="")
    pid = stack.child_pid("rasa run")
    command_line, environment = _proc(pid, "cmdline"), _proc(pid, "environ")
    rasa_secrets = [settings.rasa_token(), *(key.decode() for key in settings.data_keys())]
    assert "--enable-api" in command_line  # the right process
    assert [s for s in rasa_secrets if s in command_line] == []
    others = {
        "TELEGRAM_BOT_TOKEN": stack.bot_api.token,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "MESSENGER_PAGE_TOKEN": stack.graph_api.page_token,
        "MESSENGER_APP_SECRET": APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "PSEUDONYM_KEY": settings.pseudonym_secret().decode(),
        "STAFF_API_TOKEN": settings.staff_token(),
    }
    assert [name for name, secret in others.items() if secret in environment] == []
    assert settings.rasa_token() not in stack.log.read_text(errors="replace")


def test_rasa_api_still_needs_its_secret(stack: Stack) -> None:
    assert httpx.get(f"{stack.rasa_url}/status", timeout=10).status_code == 401
    assert stack.health().json()["rasa"] == "up"  # the gateway's own calls are let in
