"""What the gateway writes to its log: what an engineer on call needs, never a token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from bot.db.migrate import upgrade
from bot.localstack import free_port
from bot.settings import PROJECT_ROOT
from tests.channels.conftest import wait_for_telegram
from tests.fakes.channels import TELEGRAM_SECRET, channel_env
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.telegram import FakeBotAPI, message_update


def test_the_log_says_what_happened_without_the_tokens(
    tmp_path: Path, bot_api: FakeBotAPI, graph_api: FakeGraphAPI
) -> None:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(database)
    port = free_port()
    env = {
        **os.environ,
        **channel_env(bot_api, graph_api),
        "GATEWAY_PORT": str(port),
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "TRIALBOT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database,
        "LOG_LEVEL": "INFO",
    }
    log = tmp_path / "gateway.log"
    with log.open("wb") as output:
        gateway = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_telegram(url, timeout=60)
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        httpx.post(f"{url}/webhooks/telegram", json=message_update(4001, "hello"), headers=headers)
        bot_api.wait_for("sendMessage")
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=30)
    text = log.read_text()
    assert "Telegram bot @trial_test_bot is up" in text
    assert "Rasa could not answer" in text
    for secret in (bot_api.token, graph_api.page_token, TELEGRAM_SECRET):
        assert secret not in text
