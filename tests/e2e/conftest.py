"""The real stack, once per test session: `trialbot run` with Rasa, the action server and the
gateway on free ports, SQLite under a temporary folder, and the model trained once per change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.localstack import LocalStack, local_stack
from bot.settings import PROJECT_ROOT
from tests.fakes.channels import (
    APP_SECRET,
    PUBLIC_URL,
    TELEGRAM_SECRET,
    WHATSAPP_APP_SECRET,
    channel_env,
    whatsapp_env,
)
from tests.fakes.graph import FakeGraphAPI, sign
from tests.fakes.telegram import FakeBotAPI
from tests.fakes.whatsapp import DISPLAY_NUMBER, FakeCloudAPI


@dataclass
class Stack:
    url: str
    process: subprocess.Popen[bytes]
    var_dir: Path
    log: Path
    bot_api: FakeBotAPI
    graph_api: FakeGraphAPI  # Messenger's Send API (and WhatsApp's Cloud API: `cloud_api`)
    rasa_url: str = ""
    # One cookie jar per sender, as one browser each: the conversation belongs to the token
    # the gateway gave with its first message.
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, sender: str) -> httpx.Client:
        """The web chat client that talks as `sender` (made with its first message)."""
        if sender not in self.clients:
            self.clients[sender] = httpx.Client(base_url=self.url, timeout=60)
        return self.clients[sender]

    def telegram(self, update: dict[str, Any]) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        return httpx.post(f"{self.url}/webhooks/telegram", json=update, headers=headers, timeout=60)

    def messenger(self, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(body, APP_SECRET),
        }
        return httpx.post(f"{self.url}/webhooks/messenger", content=body, headers=headers)

    @property
    def cloud_api(self) -> FakeCloudAPI:
        """The Graph API's WhatsApp number (the session's stack has one)."""
        assert isinstance(self.graph_api, FakeCloudAPI), "this stack has no WhatsApp number"
        return self.graph_api

    def whatsapp(self, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(body, WHATSAPP_APP_SECRET),
        }
        return httpx.post(f"{self.url}/webhooks/whatsapp", content=body, headers=headers)

    def chat(self, sender: str, text: str, **extra: Any) -> list[dict[str, Any]]:
        response = self.client(sender).post(
            "/api/chat", json={"sender": sender, "text": text, **extra}
        )
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    def updates(self, sender: str, after: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"sender": sender}
        if after is not None:
            params["after"] = after
        response = self.client(sender).get("/api/chat/updates", params=params, timeout=10)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def trialbot(self, *args: str) -> str:
        """What `trialbot ARGS` prints, run as staff run it beside this stack (the accounts set
        that make each channel's link); it must succeed."""
        environment = {
            **os.environ,
            "TRIALBOT_VAR_DIR": str(self.var_dir),
            "DATABASE_URL": "",
            "TELEGRAM_BOT_USERNAME": "demo_trials_bot",
            "MESSENGER_PAGE_NAME": "demotrials",
            "WHATSAPP_PHONE_NUMBER": DISPLAY_NUMBER,
            "PUBLIC_URL": PUBLIC_URL,
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True, text=True, env=environment, cwd=PROJECT_ROOT, timeout=120,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.url}/healthz", timeout=10)

    def child_pid(self, marker: str) -> int:
        """The pid of the supervised child whose command line contains `marker`."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.process.pid and marker in cmdline:
                return int(stat.parent.name)
        raise LookupError(f"no child of the stack runs {marker!r}")


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextmanager
def talking_to(
    started: LocalStack, bot_api: FakeBotAPI, graph_api: FakeGraphAPI
) -> Iterator[Stack]:
    """A started stack as the tests talk to it; its web chat clients closed afterwards."""
    stack = Stack(
        started.gateway_url,
        started.process,
        started.var_dir,
        started.log,
        bot_api,
        graph_api,
        rasa_url=started.rasa_url,
    )
    try:
        yield stack
    finally:
        for client in stack.clients.values():
            client.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with FakeBotAPI() as bot_api, FakeCloudAPI() as graph_api:
        channels = {
            **channel_env(bot_api, graph_api),
            **whatsapp_env(graph_api, graph_api.url),
            "REMINDER_INTERVAL_SECONDS": "1",
            "CHECKIN_PLAN_SECONDS": "1",
            "SERVER_TIMING": "true",  # where each message's time went (test_message_path.py)
        }
        try:
            with (
                local_stack(tmp_path_factory.mktemp("stack"), env=channels) as started,
                talking_to(started, bot_api, graph_api) as stack,
            ):
                yield stack
        except RuntimeError as error:
            pytest.fail(str(error))
