"""The settings that switch a gateway's channels on (Telegram, Messenger, WhatsApp), pointed at
the fakes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.db.migrate import upgrade
from bot.db.session import create_db_engine, make_session_factory
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.settings import Settings
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.telegram import FakeBotAPI
from tests.fakes.whatsapp import DISPLAY_NUMBER, FakeCloudAPI

TELEGRAM_SECRET = "telegram-webhook-secret"
APP_SECRET = "messenger-app-secret"
VERIFY_TOKEN = "messenger-verify-token"
PUBLIC_URL = "https://trials.example.org"
WHATSAPP_APP_SECRET = "whatsapp-app-secret"
WHATSAPP_VERIFY_TOKEN = "whatsapp-verify-token"


def whatsapp_env(cloud_api: FakeCloudAPI, graph_url: str) -> dict[str, str]:
    """A WhatsApp business number on the fake Cloud API (which shares the Graph API's address
    with Messenger in production: `graph_url` is where both fakes are reached)."""
    return {
        "WHATSAPP_ACCESS_TOKEN": cloud_api.token,
        "WHATSAPP_PHONE_NUMBER_ID": cloud_api.phone_number_id,
        "WHATSAPP_APP_SECRET": WHATSAPP_APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": WHATSAPP_VERIFY_TOKEN,
        "WHATSAPP_PHONE_NUMBER": DISPLAY_NUMBER,
        "GRAPH_API_BASE_URL": graph_url,
    }


def channel_env(bot_api: FakeBotAPI, graph_api: FakeGraphAPI) -> dict[str, str]:
    """Telegram in webhook mode and a Messenger page, both talking to the local fakes."""
    return {
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "PUBLIC_URL": PUBLIC_URL,
        "MESSENGER_PAGE_TOKEN": graph_api.page_token,
        "MESSENGER_APP_SECRET": APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
        "GRAPH_API_BASE_URL": graph_api.url,
    }


@contextmanager
def relay_on_fakes(
    folder: Path, bot_api: FakeBotAPI, graph_api: FakeGraphAPI
) -> Iterator[tuple[Settings, sessionmaker[Session], Relay]]:
    """Settings for both fakes, a migrated SQLite database under `folder`, and a relay whose
    Rasa is unreachable: what a channel adapter needs outside a running gateway."""
    values: dict[str, Any] = {
        "TRIALBOT_VAR_DIR": folder / "var",
        "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
        "PSEUDONYM_KEY": "test-key",
        **channel_env(bot_api, graph_api),
    }
    settings = Settings(**values)
    upgrade(settings.db_url)
    engine = create_db_engine(settings.db_url)
    sessions = make_session_factory(engine)
    rasa = RasaClient("http://127.0.0.1:9", "t", 1.0)
    try:
        yield (
            settings,
            sessions,
            Relay(settings=settings, sessions=sessions, rasa=rasa, channels={}),
        )
    finally:
        engine.dispose()
