"""A flood of anonymous emergencies must not become a flood of staff alerts, nor hide a
participant's.

First the alert outbox alone (each engine): events and handoffs from web chats with no
participant linked go one by one up to the window's allowance, then one alert a window counts
the rest; a participant's alert goes at once, flood or not; every event stays in the inbox.
Then the issue's scenario against the real stack: 1,000 messages from 200 fake senders in 60 s,
from several addresses, while a real conversation goes on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from bot.channels.base import Inbound
from bot.channels.telegram import TelegramChannel
from bot.crypto import Cipher
from bot.db.models import Participant, StaffAlert
from bot.db.session import make_session_factory
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.localstack import local_stack
from bot.pseudonym import pseudonym
from bot.safety import alerts, events
from bot.settings import Settings
from tests.fakes.channels import TELEGRAM_SECRET, channel_env
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.smtp import FakeSMTP
from tests.fakes.telegram import FakeBotAPI, message_update
from tests.handoff.factories import conversation, handoff

STAFF_CHAT = -100_777
ALLOWANCE = 3
DIGEST = "more from web chats with no participant linked"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _settings(tmp_path: Path, bot_api: FakeBotAPI, smtp_port: int, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "TRIALBOT_VAR_DIR": tmp_path / "var",
        "PSEUDONYM_KEY": "test-key",
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "STAFF_TELEGRAM_CHAT_ID": str(STAFF_CHAT),
        "STAFF_EMAILS": "pv@site.example",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
        "SMTP_STARTTLS": False,
        "RATE_LIMIT_UNLINKED_ALERTS": ALLOWANCE,
        **extra,
    }
    return Settings(**values)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def test_a_flood_of_anonymous_events_becomes_a_few_alerts_and_one_count(
    migrated_engine: Engine,
    tmp_path: Path,
    bot_api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = _free_port()
    settings = _settings(tmp_path, bot_api, port)
    sessions = make_session_factory(migrated_engine)
    cipher = Cipher.from_settings(settings)
    # The middle of an alert window, so that the flood does not straddle two.
    start, end = alerts.window(dt.datetime.now(dt.UTC), settings.rate_limit_alert_window_seconds)
    middle = start + (end - start) / 2
    monkeypatch.setattr(alerts, "utcnow", lambda: middle)
    rasa = RasaClient("http://127.0.0.1:9", "token", timeout=1.0)
    relay = Relay(settings=settings, sessions=sessions, rasa=rasa, channels={})

    for n in range(20):
        await relay.handle(Inbound("web", f"flood-{n}", "I can't breathe"))
    with sessions.begin() as session:
        for n in range(4):
            conversation(session, f"web-asks-{n}")
            handoff(session, cipher, f"web-asks-{n}", settings=settings)
    # A participant who linked their web chat, and one on Telegram, in the middle of it.
    linked = {
        channel: pseudonym(settings.pseudonym_secret(), channel, "p")
        for channel in ("web", "telegram")
    }
    with sessions.begin() as session:
        for n, key in enumerate(linked.values()):
            session.add(Participant(code=f"P-{n}", trial="demo-t2d-001", sender_key=key))
    await relay.handle(Inbound("web", "p", "my chest hurts so much, I think it's a heart attack"))
    await relay.handle(Inbound("telegram", "p", "I can't breathe", address="4242"))

    bot = TelegramChannel(settings, relay, sessions)
    await bot.application.initialize()
    clock = Clock(middle + dt.timedelta(seconds=1))
    sender = alerts.AlertSender(
        settings=settings, sessions=sessions, telegram=alerts.telegram_sender(settings, bot),
        clock=clock,
    )  # fmt: skip
    try:
        with FakeSMTP(port) as smtp:
            await sender.run_once()
            at_once = [m["text"] for m in bot_api.sent_messages(STAFF_CHAT)]
            # At once: the window's allowance of anonymous alerts, and both participants'.
            assert len(at_once) == ALLOWANCE + 2 and len(smtp.messages) == ALLOWANCE + 2
            clock.now = end + dt.timedelta(seconds=1)  # the window is over: its digest is due
            await sender.run_once()
            assert await sender.run_once() == 0  # each goes once
    finally:
        await bot.application.shutdown()

    assert sum("channel: telegram" in text for text in at_once) == 1
    assert sum(linked["web"] in text for text in at_once) == 1
    # Then one alert says how many more came, and where they are.
    texts = [m["text"] for m in bot_api.sent_messages(STAFF_CHAT)]
    (digest,) = texts[len(at_once) :]
    more = 20 + 4 - ALLOWANCE
    assert f"{more} {DIGEST}" in digest and "4 handoffs" in digest
    assert "trialbot safety list" in digest
    assert len(smtp.messages) == ALLOWANCE + 2 + 1
    assert f"{more} more alerts" in smtp.messages[-1]["Subject"]
    # Nothing was lost: every event is in the inbox, every alert row is settled.
    with sessions() as session:
        assert len(events.listed(session, cipher)) == 20 + 2
        assert {a.status for a in session.scalars(select(StaffAlert))} == {"sent", "grouped"}
        assert all(a.sent_at is not None for a in session.scalars(select(StaffAlert)))


# The scenario, against the real stack ---------------------------------------------

FLOOD, SENDERS, SECONDS = 1000, 200, 60.0
FLOOD_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
# Short, so that the window's count reaches staff within the test; the allowance is the default.
WINDOW_SECONDS = 60
EMERGENCIES = {"I can't breathe": "emergency", "je n'arrive plus à respirer": "urgence"}
OTHERS = ("hello", "what is this study about?", "bonjour, c'est quoi cette étude ?")
REAL_TURNS = (
    "Hello",
    "What is a clinical trial?",
    "Does it cost anything to take part?",
    "Can I stop taking part whenever I want?",
    "Who can I contact about the study?",
)
APOLOGY = "can't answer right now"
TELEGRAM_CHAT = 777_001


@dataclass
class FloodStack:
    url: str
    var_dir: Path
    bot_api: FakeBotAPI
    smtp: FakeSMTP
    settings: Settings

    def cli(self, *args: str) -> Any:
        env = {**os.environ, "TRIALBOT_VAR_DIR": str(self.var_dir), "DATABASE_URL": ""}
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def telegram(self, text: str) -> None:
        response = httpx.post(
            f"{self.url}/webhooks/telegram",
            json=message_update(TELEGRAM_CHAT, text),
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
            timeout=30,
        )
        assert response.status_code == 200

    def staff_chat(self) -> list[str]:
        return [m["text"] for m in self.bot_api.sent_messages(STAFF_CHAT)]


@pytest.fixture(scope="module")
def flood_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FloodStack]:
    with FakeBotAPI() as bot_api, FakeGraphAPI() as graph_api, FakeSMTP() as smtp:
        env = {
            **channel_env(bot_api, graph_api),
            "STAFF_TELEGRAM_CHAT_ID": str(STAFF_CHAT),
            "STAFF_EMAILS": "pv@site.example",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_STARTTLS": "false",
            "RATE_LIMIT_ALERT_WINDOW_SECONDS": str(WINDOW_SECONDS),
        }
        var_dir = tmp_path_factory.mktemp("flood")
        try:
            with local_stack(var_dir, env=env) as started:
                settings = Settings(TRIALBOT_VAR_DIR=var_dir, **env)  # type: ignore[arg-type]
                yield FloodStack(started.gateway_url, var_dir, bot_api, smtp, settings)
        except RuntimeError as error:
            pytest.fail(str(error))


@dataclass
class Sent:
    text: str
    status: int
    replies: list[str] = field(default_factory=list)
    retry_after: str | None = None


async def _flood(url: str) -> list[Sent]:
    """FLOOD messages from SENDERS fake senders (each a client keeping its own cookie, as a
    browser would), spread over SECONDS, from FLOOD_ADDRESSES; mostly emergencies."""
    clients = [
        httpx.AsyncClient(
            base_url=url,
            timeout=60,
            transport=httpx.AsyncHTTPTransport(
                local_address=FLOOD_ADDRESSES[n % len(FLOOD_ADDRESSES)]
            ),
        )
        for n in range(SENDERS)
    ]
    texts = random.Random(18)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(index: int) -> Sent:
        await asyncio.sleep(max(0.0, start + index * SECONDS / FLOOD - loop.time()))
        kind = sorted(EMERGENCIES) if texts.random() < 0.8 else OTHERS  # mostly emergencies
        text = texts.choice(kind)
        response = await clients[index % SENDERS].post("/api/chat", json={"text": text})
        sent = Sent(text, response.status_code, retry_after=response.headers.get("Retry-After"))
        if response.status_code in (200, 429):
            sent.replies = [m.get("text", "") for m in response.json()["messages"]]
        return sent

    try:
        return await asyncio.gather(*(one(i) for i in range(FLOOD)))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def _real_conversation(url: str, until: asyncio.Event) -> list[tuple[float, list[str]]]:
    """A person on 127.0.0.1 chatting while the flood goes on: each turn's time and replies."""
    turns: list[tuple[float, list[str]]] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as browser:
        index = 0
        while not until.is_set():
            began = time.perf_counter()
            text = REAL_TURNS[index % len(REAL_TURNS)]
            response = await browser.post("/api/chat", json={"text": text})
            elapsed = time.perf_counter() - began
            assert response.status_code == 200, f"{text!r}: {response.status_code} {response.text}"
            turns.append((elapsed, [m.get("text", "") for m in response.json()["messages"]]))
            index += 1
            await asyncio.sleep(2.0)
    return turns


async def _scenario(stack: FloodStack) -> tuple[list[Sent], list[tuple[float, list[str]]], float]:
    done = asyncio.Event()
    person = asyncio.create_task(_real_conversation(stack.url, done))
    flood = asyncio.create_task(_flood(stack.url))
    await asyncio.sleep(SECONDS / 2)
    # A linked participant's emergency, in the middle of the flood.
    said_at = time.monotonic()
    await asyncio.to_thread(stack.telegram, "I can't breathe")
    sent = await flood
    done.set()
    return sent, await person, said_at


@pytest.mark.e2e
def test_a_flood_of_emergencies_leaves_the_real_conversation_and_staff_alerts_workable(
    flood_stack: FloodStack,
) -> None:
    stack = flood_stack
    code = stack.cli("participants", "add", "FLOOD-1", "--trial", "demo-t2d-001", "--json")
    stack.telegram(f"/start {code['link_code']}")
    window_first = alerts.window(dt.datetime.now(dt.UTC), WINDOW_SECONDS)[0]

    sent, turns, said_at = asyncio.run(_scenario(stack))

    # The participant's alert was not held back by the flood.
    def participant_alert() -> bool:
        return any("channel: telegram" in text for text in stack.staff_chat())

    _wait(participant_alert, 20, "the participant's staff alert")
    participant_delay = time.monotonic() - said_at
    assert participant_delay < 15

    # Every emergency got the emergency reply, in its language; nothing else was refused.
    emergencies = [s for s in sent if s.text in EMERGENCIES]
    for message in emergencies:
        assert message.status == 200, (message.text, message.status)
        assert "112" in message.replies[0] and EMERGENCIES[message.text] in message.replies[0]
    others = [s for s in sent if s.text not in EMERGENCIES]
    assert {s.status for s in others} <= {200, 429}
    limited = [s for s in others if s.status == 429]
    assert all(s.retry_after and int(s.retry_after) >= 1 for s in limited)

    # The real conversation was answered every time, quickly.
    latencies = sorted(elapsed for elapsed, _ in turns)
    assert all(replies and not any(APOLOGY in r for r in replies) for _, replies in turns)
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]

    # Every accepted emergency is in the staff queue.
    queue = stack.cli("safety", "list", "--json")
    web_events = [e for e in queue if e["channel"] == "web"]
    assert len(web_events) == len(emergencies)
    assert sum(e["channel"] == "telegram" for e in queue) == 1

    # Staff were told of every one, one by one up to the allowance, then counted; wait for the
    # last window's count.
    def counted() -> int:
        alone = sum("Participant (pseudonym): web-" in text for text in stack.staff_chat())
        return alone + sum(_digest_count(text) for text in stack.staff_chat())

    _wait(lambda: counted() >= len(web_events), 2 * WINDOW_SECONDS + 30, "the window's count")
    window_last = alerts.window(dt.datetime.now(dt.UTC), WINDOW_SECONDS)[0]
    windows = int((window_last - window_first).total_seconds()) // WINDOW_SECONDS + 1
    bound = windows * (stack.settings.rate_limit_unlinked_alerts + 1) + 1  # + the participant
    telegram_alerts, mails = len(stack.staff_chat()), len(stack.smtp.messages)
    print(
        f"\nflood: {len(sent)} messages, {len(emergencies)} emergencies (all answered), "
        f"{len(others) - len(limited)} others answered, {len(limited)} limited (429); "
        f"events queued: {len(web_events)}; staff alerts: {telegram_alerts} on Telegram, "
        f"{mails} by e-mail (bound {bound} over {windows} windows); participant's alert after "
        f"{participant_delay:.1f} s; real conversation: {len(turns)} turns, "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )
    assert telegram_alerts <= bound and mails <= bound
    assert p95 <= 1.0


def _digest_count(text: str) -> int:
    head, found, _ = text.partition(f" {DIGEST}")
    return int(head.rsplit(" ", 1)[-1]) if found else 0


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.5)
