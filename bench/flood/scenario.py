"""A flood of emergencies on the web chat while a real conversation goes on (issue 18).

The whole stack (`trialbot run`, abuse limits on) with the staff alerted on a local Telegram
Bot API and a local SMTP server. `MESSAGES` messages from `SENDERS` fake senders (each a client
keeping its own cookie, as a browser would) spread over `SECONDS`, from several loopback
addresses so that per-address limits are not all that is measured, mostly "I can't breathe" /
"je n'arrive plus à respirer"; meanwhile a person on 127.0.0.1 asks questions every 2 s, and a
participant linked on Telegram reports an emergency halfway through. Used by
tests/security/test_alert_flood.py and by `bench/flood`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.localstack import local_stack
from bot.safety import alerts
from bot.settings import Settings
from tests.fakes.channels import TELEGRAM_SECRET, channel_env
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.smtp import FakeSMTP
from tests.fakes.telegram import FakeBotAPI, message_update

MESSAGES, SENDERS, SECONDS = 1000, 200, 60.0
FLOOD_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
# Short, so that the window's count reaches staff within a run; the allowance is the default.
WINDOW_SECONDS = 60
STAFF_CHAT = -100_777
TELEGRAM_CHAT = 777_001
# Each fake sender speaks one language (every other one French): an emergency in it, a word its
# reply must hold, and the other things it says.
EMERGENCIES = {"en": "I can't breathe", "fr": "je n'arrive plus à respirer"}
EMERGENCY_WORDS = {"en": "emergency", "fr": "urgence"}
OTHERS = {
    "en": ("hello", "what is this study about?"),
    "fr": ("bonjour", "c'est quoi cette étude ?"),
}
REAL_TURNS = (
    "Hello",
    "What is a clinical trial?",
    "Does it cost anything to take part?",
    "Can I stop taking part whenever I want?",
    "Who can I contact about the study?",
)
APOLOGY = "can't answer right now"
DIGEST = "more from web chats with no participant linked"


@dataclass
class FloodStack:
    url: str
    var_dir: Path
    bot_api: FakeBotAPI
    smtp: FakeSMTP
    settings: Settings

    def cli(self, *args: str) -> Any:
        """`trialbot ARGS --json` on the stack's database; the JSON it printed."""
        env = {**os.environ, "TRIALBOT_VAR_DIR": str(self.var_dir), "DATABASE_URL": ""}
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"trialbot {' '.join(args)} failed: {done.stderr}")
        return json.loads(done.stdout)

    def telegram(self, text: str) -> None:
        """A message from the linked participant's Telegram chat, through the webhook."""
        response = httpx.post(
            f"{self.url}/webhooks/telegram",
            json=message_update(TELEGRAM_CHAT, text),
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
            timeout=30,
        )
        response.raise_for_status()

    def staff_chat(self) -> list[str]:
        return [m["text"] for m in self.bot_api.sent_messages(STAFF_CHAT)]

    def link_participant(self) -> None:
        code = self.cli("participants", "add", "FLOOD-1", "--trial", "demo-t2d-001", "--json")
        self.telegram(f"/start {code['link_code']}")


@contextmanager
def flood_stack(var_dir: Path) -> Iterator[FloodStack]:
    """The stack with abuse limits on and staff alerts going to local fakes."""
    with FakeBotAPI() as bot_api, FakeGraphAPI() as graph_api, FakeSMTP() as smtp:
        env = {
            **channel_env(bot_api, graph_api),
            "STAFF_TELEGRAM_CHAT_ID": str(STAFF_CHAT),
            "STAFF_EMAILS": "pv@site.example",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_STARTTLS": "false",
            "RATE_LIMIT_ENABLED": "true",
            "RATE_LIMIT_ALERT_WINDOW_SECONDS": str(WINDOW_SECONDS),
        }
        with local_stack(var_dir, env=env) as started:
            settings = Settings(TRIALBOT_VAR_DIR=var_dir, **env)  # type: ignore[arg-type]
            yield FloodStack(started.gateway_url, var_dir, bot_api, smtp, settings)


@dataclass
class Sent:
    """One flood message and what it got."""

    text: str
    lang: str
    status: int
    replies: list[str] = field(default_factory=list)
    retry_after: str | None = None

    @property
    def emergency(self) -> bool:
        return self.text == EMERGENCIES[self.lang]


@dataclass
class Outcome:
    sent: list[Sent]
    turns: list[tuple[float, list[str]]]  # the real conversation: seconds, replies
    participant_alert_after: float | None  # seconds from their message to the staff alert
    started_at: dt.datetime

    def latency(self, share: float) -> float:
        ordered = sorted(elapsed for elapsed, _ in self.turns)
        return ordered[max(0, round(share * len(ordered)) - 1)]

    def figures(self, stack: FloodStack) -> dict[str, Any]:
        emergencies = [s for s in self.sent if s.emergency]
        others = [s for s in self.sent if not s.emergency]
        return {
            "messages": len(self.sent),
            "emergencies": len(emergencies),
            "emergencies_answered": sum(s.status == 200 for s in emergencies),
            "others_answered": sum(s.status == 200 for s in others),
            "others_limited": sum(s.status == 429 for s in others),
            "staff_telegram_alerts": len(stack.staff_chat()),
            "staff_emails": len(stack.smtp.messages),
            "participant_alert_after_s": self.participant_alert_after,
            "real_turns": len(self.turns),
            "real_p50_ms": round(statistics.median(e for e, _ in self.turns) * 1000),
            "real_p95_ms": round(self.latency(0.95) * 1000),
        }


async def _flood(url: str, messages: int, senders: int, seconds: float) -> list[Sent]:
    clients = [
        httpx.AsyncClient(
            base_url=url,
            timeout=60,
            transport=httpx.AsyncHTTPTransport(
                local_address=FLOOD_ADDRESSES[n % len(FLOOD_ADDRESSES)]
            ),
        )
        for n in range(senders)
    ]
    texts = random.Random(18)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(index: int) -> Sent:
        await asyncio.sleep(max(0.0, start + index * seconds / messages - loop.time()))
        sender = index % senders
        lang = "fr" if sender % 2 else "en"
        # Mostly emergencies.
        text = EMERGENCIES[lang] if texts.random() < 0.8 else texts.choice(OTHERS[lang])
        response = await clients[sender].post("/api/chat", json={"text": text})
        retry_after = response.headers.get("Retry-After")
        sent = Sent(text, lang, response.status_code, retry_after=retry_after)
        if response.status_code in (200, 429):
            sent.replies = [m.get("text", "") for m in response.json()["messages"]]
        return sent

    try:
        return await asyncio.gather(*(one(i) for i in range(messages)))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def _real_conversation(url: str, until: asyncio.Event) -> list[tuple[float, list[str]]]:
    """A person on 127.0.0.1 asking a question every 2 s: each turn's seconds and replies."""
    turns: list[tuple[float, list[str]]] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as browser:
        index = 0
        while not until.is_set():
            began = time.perf_counter()
            text = REAL_TURNS[index % len(REAL_TURNS)]
            response = await browser.post("/api/chat", json={"text": text})
            elapsed = time.perf_counter() - began
            if response.status_code != 200:
                raise AssertionError(f"{text!r}: {response.status_code} {response.text}")
            turns.append((elapsed, [m.get("text", "") for m in response.json()["messages"]]))
            index += 1
            await asyncio.sleep(2.0)
    return turns


async def _watch(seen: Callable[[], bool], since: float, within: float) -> float | None:
    """Seconds from `since` until `seen()`; None if not within `within` seconds."""
    while time.monotonic() - since < within:
        if seen():
            return time.monotonic() - since
        await asyncio.sleep(0.2)
    return None


async def run(
    stack: FloodStack,
    messages: int = MESSAGES,
    senders: int = SENDERS,
    seconds: float = SECONDS,
) -> Outcome:
    """The flood, the real conversation and the participant's emergency, all at once."""
    started_at = dt.datetime.now(dt.UTC)
    done = asyncio.Event()
    person = asyncio.create_task(_real_conversation(stack.url, done))
    flood = asyncio.create_task(_flood(stack.url, messages, senders, seconds))
    await asyncio.sleep(seconds / 2)
    said = time.monotonic()
    await asyncio.to_thread(stack.telegram, "I can't breathe")
    alerted = asyncio.create_task(
        _watch(lambda: any("channel: telegram" in t for t in stack.staff_chat()), said, 60)
    )
    sent = await flood
    done.set()
    return Outcome(sent, await person, await alerted, started_at)


def told_of(stack: FloodStack) -> int:
    """Web events staff were told of: one by one, or counted in a digest."""
    texts = stack.staff_chat()
    alone = sum("Participant (pseudonym): web-" in text for text in texts)
    return alone + sum(digest_count(text) for text in texts)


def digest_count(text: str) -> int:
    head, found, _ = text.partition(f" {DIGEST}")
    return int(head.rsplit(" ", 1)[-1]) if found else 0


def windows_since(started_at: dt.datetime) -> int:
    """How many alert windows the run has touched so far."""
    first = alerts.window(started_at, WINDOW_SECONDS)[0]
    last = alerts.window(dt.datetime.now(dt.UTC), WINDOW_SECONDS)[0]
    return int((last - first).total_seconds()) // WINDOW_SECONDS + 1
