"""Polling mode, for a laptop without a public address: updates are fetched with getUpdates."""

from __future__ import annotations

from pathlib import Path

from bot.gateway.app import create_app
from tests.channels.conftest import gateway_settings, wait_for_telegram
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.server import serve
from tests.fakes.telegram import FakeBotAPI, message_update


def test_a_polled_message_is_answered(
    tmp_path: Path, bot_api: FakeBotAPI, graph_api: FakeGraphAPI
) -> None:
    settings = gateway_settings(
        tmp_path, bot_api, graph_api, TELEGRAM_MODE="polling", PUBLIC_URL=""
    )
    with serve(create_app(settings), lifespan=True) as url:
        wait_for_telegram(url)
        bot_api.push_update(message_update(2001, "hello"))
        bot_api.wait_for("sendMessage", timeout=15)
    (sent,) = bot_api.sent_messages(2001)
    assert "Sorry" in sent["text"]
    assert bot_api.calls("setWebhook") == []
    assert bot_api.calls("getUpdates")
