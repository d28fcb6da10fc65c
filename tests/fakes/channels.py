"""The settings that switch a gateway's Telegram and Messenger on, pointed at the fakes."""

from __future__ import annotations

from tests.fakes.graph import FakeGraphAPI
from tests.fakes.telegram import FakeBotAPI

TELEGRAM_SECRET = "telegram-webhook-secret"
APP_SECRET = "messenger-app-secret"
VERIFY_TOKEN = "messenger-verify-token"
PUBLIC_URL = "https://trials.example.org"


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
