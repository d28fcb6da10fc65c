"""The gateway over real HTTP with Telegram and Messenger on (and one with WhatsApp on), their
APIs played by local fakes.

Rasa is not started here (tests/e2e does that): each message gets the gateway's own apology,
which is a real reply through the channel's whole path.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.channels.whatsapp import WhatsAppChannel
from bot.crypto import Cipher
from bot.db.migrate import upgrade
from bot.db.models import InboundMessage
from bot.db.session import create_db_engine, make_session_factory
from bot.gateway.app import create_app
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.localstack import free_port
from bot.settings import Settings
from tests.fakes.channels import (
    APP_SECRET,
    TELEGRAM_SECRET,
    WHATSAPP_APP_SECRET,
    channel_env,
    whatsapp_env,
)
from tests.fakes.graph import FakeGraphAPI, sign
from tests.fakes.server import serve
from tests.fakes.telegram import FakeBotAPI
from tests.fakes.whatsapp import FakeCloudAPI


@dataclass
class Gateway:
    url: str
    settings: Settings
    bot_api: FakeBotAPI
    graph_api: FakeGraphAPI
    engine: Engine

    def received_texts(self) -> list[str | None]:
        """What the gateway keeps of each message received, decrypted (None once answered)."""
        cipher = Cipher.from_settings(self.settings)
        with Session(self.engine) as session:
            rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id))
            return [cipher.decrypt(m.text) if m.text else None for m in rows]

    def telegram(
        self, update: Any, *, secret: str | None = TELEGRAM_SECRET, raw: bytes | None = None
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = raw if raw is not None else json.dumps(update).encode()
        return httpx.post(f"{self.url}/webhooks/telegram", content=body, headers=headers)

    def messenger(
        self, payload: Any, *, raw: bytes | None = None, signature: str | None = None
    ) -> httpx.Response:
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature if signature is not None else sign(body, APP_SECRET),
        }
        return httpx.post(f"{self.url}/webhooks/messenger", content=body, headers=headers)


def gateway_settings(
    tmp_path: Path, bot_api: FakeBotAPI, graph_api: FakeGraphAPI, **extra: Any
) -> Settings:
    # `extra` overrides the channels' settings (TELEGRAM_MODE=polling, say).
    return _rasa_down_settings(tmp_path, **{**channel_env(bot_api, graph_api), **extra})


def _rasa_down_settings(tmp_path: Path, **channels: Any) -> Settings:
    """A gateway on a migrated SQLite database under `tmp_path`, whose Rasa never answers."""
    database = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(database)
    values: dict[str, Any] = {
        "TRIALBOT_VAR_DIR": tmp_path / "var",
        "DATABASE_URL": database,
        "PSEUDONYM_KEY": "test-key",
        "RASA_PORT": free_port(),  # nothing listens there: Rasa is "down"
        "ACTIONS_PORT": free_port(),
        "RASA_TIMEOUT_SECONDS": 2,
        "RECOVERY_INTERVAL_SECONDS": 0.5,
        **channels,
    }
    return Settings(**values)


@pytest.fixture
def gateway(tmp_path: Path, bot_api: FakeBotAPI, graph_api: FakeGraphAPI) -> Iterator[Gateway]:
    settings = gateway_settings(tmp_path, bot_api, graph_api)
    with serve(create_app(settings), lifespan=True) as url:
        wait_for_telegram(url)
        engine = create_db_engine(settings.db_url)
        yield Gateway(url, settings, bot_api, graph_api, engine)
        engine.dispose()


def wait_for_telegram(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz").json().get("telegram") == "up":
                return
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.05)
    raise AssertionError("the Telegram bot did not start")


# A gateway with WhatsApp on, its Cloud API played by a local fake.

PERSON = "33612345678"


@dataclass
class Number:
    url: str
    settings: Settings
    api: FakeCloudAPI
    engine: Engine

    def post(self, payload: Any, *, signature: str | None = None) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature
            if signature is not None
            else sign(body, WHATSAPP_APP_SECRET),
        }
        return httpx.post(f"{self.url}/webhooks/whatsapp", content=body, headers=headers)

    def sent(self, count: int, wa_id: str = PERSON, timeout: float = 15) -> list[dict[str, Any]]:
        """The first `count` messages sent to `wa_id`, once there are that many."""
        deadline = time.monotonic() + timeout
        while len(self.api.whatsapp_sent(wa_id)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        sent = self.api.whatsapp_sent(wa_id)
        assert len(sent) >= count, f"{len(sent)} message(s) sent, {count} expected"
        return sent[:count]

    def received_texts(self) -> list[str | None]:
        cipher = Cipher.from_settings(self.settings)
        with Session(self.engine) as session:
            rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id))
            return [cipher.decrypt(m.text) if m.text else None for m in rows]

    def own_channel(self) -> WhatsAppChannel:
        """The number as a reminder dispatcher holds it, outside the gateway's event loop."""
        sessions = make_session_factory(self.engine)
        rasa = RasaClient(self.settings.rasa_url, "token", timeout=1.0)
        relay = Relay(settings=self.settings, sessions=sessions, rasa=rasa, channels={})
        return WhatsAppChannel(self.settings, relay, sessions)


@pytest.fixture
def number(tmp_path: Path) -> Iterator[Number]:
    with FakeCloudAPI() as api:
        settings = _rasa_down_settings(tmp_path, **whatsapp_env(api, api.url))
        with serve(create_app(settings), lifespan=True) as url:
            engine = create_db_engine(settings.db_url)
            yield Number(url, settings, api, engine)
            engine.dispose()
