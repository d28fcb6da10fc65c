"""The gateway over real HTTP with its staff pages, and a browser-like client that signs in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.db.migrate import upgrade
from bot.db.session import create_db_engine
from bot.gateway.app import create_app
from bot.localstack import free_port
from bot.settings import Settings
from bot.staff import accounts
from tests.fakes.server import serve
from tests.knowledge.conftest import SHARED_CACHE

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    url: str
    settings: Settings
    engine: Engine

    def add_staff(self, email: str, role: str = "coordinator", password: str = PASSWORD) -> None:
        with Session(self.engine) as session, session.begin():
            accounts.add(session, email, role, password)

    def browser(self) -> StaffClient:
        return StaffClient(base_url=self.url, follow_redirects=False)


class StaffClient(httpx.Client):
    """What a browser does: keeps cookies, reads the CSRF token off the page it was shown."""

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        page = self.get("/staff/login")
        return self.post(
            "/staff/login",
            data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        )

    def submit(self, page: str, action: str, **fields: str) -> httpx.Response:
        """Post one of the page's forms with the token the page carries."""
        return self.post(action, data={"csrf_token": csrf_of(self.get(page).text), **fields})


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@contextmanager
def running_site(tmp_path: Path, database_url: str, **extra: Any) -> Iterator[Site]:
    """The gateway with its staff pages on `database_url`, settings overridden by `extra`."""
    upgrade(database_url)
    values: dict[str, Any] = {
        "TRIALBOT_VAR_DIR": tmp_path / "var",
        "DATABASE_URL": database_url,
        "PSEUDONYM_KEY": "test-key",
        "RASA_PORT": free_port(),  # nothing listens there: the pages do not need Rasa
        "ACTIONS_PORT": free_port(),
        "STAFF_LOCKOUT_FAILURES": 3,
        "TRIALBOT_CACHE_DIR": SHARED_CACHE,  # the model's ONNX export, made once by set-up
        **extra,
    }
    settings = Settings(**values)
    engine = create_db_engine(settings.db_url)
    try:
        with serve(create_app(settings), lifespan=True) as url:
            yield Site(url, settings, engine)
    finally:
        engine.dispose()


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Iterator[Site]:
    with running_site(tmp_path, database_url) as running:
        yield running
