"""Anyone on the internet can call the public endpoints: past a limit they answer 429.

The gateway runs in this process, on a migrated SQLite database, with Rasa unreachable (each
ordinary message gets the gateway's apology: a real answer through the whole path). Requests
come from chosen client addresses through httpx's ASGI transport, so that an address is what
the socket says, as behind no proxy. Over real HTTP, the Telegram webhook is flooded from one
chat with the platform's fake answering.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.migrate import upgrade
from bot.db.models import Conversation, InboundMessage, SafetyEvent
from bot.db.session import create_db_engine
from bot.gateway import limits
from bot.gateway.app import create_app
from bot.localstack import free_port
from bot.settings import Settings
from tests.channels.conftest import gateway_settings, wait_for_telegram
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.server import serve
from tests.fakes.telegram import FakeBotAPI, message_update

# Every limit out of the way but the one a test looks at.
HIGH = 10_000


def _settings(tmp_path: Path, **values: Any) -> Settings:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(database)
    defaults: dict[str, Any] = {
        "TRIALBOT_VAR_DIR": tmp_path / "var",
        "DATABASE_URL": database,
        "PSEUDONYM_KEY": f"test-{secrets.token_hex(8)}",  # its own keys in a shared Redis
        "RASA_PORT": free_port(),  # nothing listens there: Rasa is "down"
        "ACTIONS_PORT": free_port(),
        "RASA_TIMEOUT_SECONDS": 2,
        "RATE_LIMIT_CHAT_PER_ADDRESS": HIGH,
        "RATE_LIMIT_PER_CONVERSATION": HIGH,
        "RATE_LIMIT_NEW_CONVERSATIONS_PER_ADDRESS": HIGH,
        "RATE_LIMIT_PAGES_PER_ADDRESS": HIGH,
        "RATE_LIMIT_UPDATES_PER_ADDRESS": HIGH,
    }
    return Settings(**{**defaults, **values})


Client = Callable[[str], httpx.AsyncClient]


@asynccontextmanager
async def _running(*apps: FastAPI) -> AsyncIterator[list[Client]]:
    """Each app started; for each, a maker of clients that come from a given address."""
    started = []
    try:
        for app in apps:
            context = app.router.lifespan_context(app)
            await context.__aenter__()
            started.append(context)

        def maker(app: FastAPI) -> Client:
            def client(address: str) -> httpx.AsyncClient:
                transport = httpx.ASGITransport(app=app, client=(address, 40_000))
                return httpx.AsyncClient(transport=transport, base_url="http://gateway")

            return client

        yield [maker(app) for app in apps]
    finally:
        for context in reversed(started):
            await context.__aexit__(None, None, None)


async def _chat(client: httpx.AsyncClient, sender: str, text: str, **extra: Any) -> httpx.Response:
    return await client.post("/api/chat", json={"sender": sender, "text": text, **extra})


def _refused(response: httpx.Response) -> str:
    """The 429's text, checked for what a person and a script need to see."""
    assert response.status_code == 429, response.text
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60
    body = response.json()
    assert body["retry_after"] == wait
    (message,) = body["messages"]  # the web chat shows it as the assistant's own line
    assert str(wait) in message["text"] and "112" in message["text"]
    text: str = message["text"]
    return text


def _count(settings: Settings, model: Any) -> int:
    engine = create_db_engine(settings.db_url)
    try:
        with Session(engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


async def test_past_the_per_address_limit_the_chat_answers_429_in_the_person_s_language(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, RATE_LIMIT_CHAT_PER_ADDRESS=3)
    async with (
        _running(create_app(settings)) as (client,),
        client("203.0.113.7") as flooder,
        client("198.51.100.20") as neighbour,
    ):
        for n in range(3):
            assert (await _chat(flooder, f"s-{n}", "hello")).status_code == 200
        english = _refused(await _chat(flooder, "s-9", "hello"))
        assert "faster than I can read" in english
        french = _refused(await _chat(flooder, "s-9", "bonjour", lang="fr"))
        assert "plus vite que je ne peux les lire" in french
        # Another address is not held back by this one.
        assert (await _chat(neighbour, "n-1", "hello")).status_code == 200
    # A refused request reached nothing: three messages, and the neighbour's, were kept.
    assert _count(settings, InboundMessage) == 4


async def test_past_the_per_conversation_limit_only_that_conversation_waits(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, RATE_LIMIT_PER_CONVERSATION=2)
    async with (
        _running(create_app(settings)) as (client,),
        client("203.0.113.8") as browser,
        client("203.0.113.8") as other,
    ):
        for text in ("bonjour", "je voudrais des informations"):
            assert (await _chat(browser, "chatty", text)).status_code == 200
        french = _refused(await _chat(browser, "chatty", "encore une question"))
        assert "Attendez" in french  # the conversation speaks French
        # The same address, another conversation: answered.
        assert (await _chat(other, "quiet", "hello")).status_code == 200


async def test_new_web_conversations_per_address_are_limited(tmp_path: Path) -> None:
    settings = _settings(tmp_path, RATE_LIMIT_NEW_CONVERSATIONS_PER_ADDRESS=2)
    async with _running(create_app(settings)) as (client,), client("203.0.113.9") as script:
        for n in range(2):
            assert (await _chat(script, f"fresh-{n}", "hello")).status_code == 200
        for n in range(2, 12):
            _refused(await _chat(script, f"fresh-{n}", "hello"))
        # A conversation already going on goes on.
        assert (await _chat(script, "fresh-0", "still there?")).status_code == 200
    # The refused ones left nothing behind: a flood of fresh senders does not fill the database.
    with Session(create_db_engine(settings.db_url)) as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 2


async def test_an_emergency_over_every_limit_gets_the_emergency_reply_and_is_recorded(
    tmp_path: Path,
) -> None:
    settings = _settings(
        tmp_path,
        RATE_LIMIT_CHAT_PER_ADDRESS=1,
        RATE_LIMIT_PER_CONVERSATION=1,
        RATE_LIMIT_NEW_CONVERSATIONS_PER_ADDRESS=1,
    )
    async with _running(create_app(settings)) as (client,), client("203.0.113.10") as person:
        assert (await _chat(person, "p-1", "hello")).status_code == 200
        _refused(await _chat(person, "p-1", "hello again"))
        for sender, text, words in (
            ("p-1", "I can't breathe", "112"),  # over the address and conversation limits
            ("p-2", "je n'arrive plus à respirer", "Appelez"),  # and a new conversation
        ):
            response = await _chat(person, sender, text)
            assert response.status_code == 200, response.text
            reply = response.json()["messages"][0]  # then the apology for "hello", still kept
            assert "112" in reply["text"] and words in reply["text"]
    assert _count(settings, SafetyEvent) == 2


async def test_the_web_chat_page_and_consent_pages_are_limited_too(tmp_path: Path) -> None:
    settings = _settings(tmp_path, RATE_LIMIT_PAGES_PER_ADDRESS=2)
    async with _running(create_app(settings)) as (client,), client("203.0.113.11") as browser:
        headers = {"Accept": "text/html", "Accept-Language": "fr-FR,fr;q=0.9"}
        assert (await browser.get("/", headers=headers)).status_code == 200
        assert (await browser.get("/consent/" + "0" * 64, headers=headers)).status_code == 404
        page = await browser.get("/", headers=headers)
        assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1
        assert page.headers["content-type"].startswith("text/html")
        assert "Attendez" in page.text


async def test_x_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    async def spread(app_settings: Settings, peer: str) -> list[int]:
        """Five requests from `peer`, each claiming another client address."""
        async with (
            _running(create_app(app_settings)) as (client,),
            client(peer) as connection,
        ):
            return [
                (
                    await connection.post(
                        "/api/chat",
                        json={"sender": f"{peer}-{n}", "text": "hello"},
                        headers={"X-Forwarded-For": f"192.0.2.{n + 1}"},
                    )
                ).status_code
                for n in range(5)
            ]

    limit = {"RATE_LIMIT_CHAT_PER_ADDRESS": 2}
    untrusted = _settings(tmp_path / "a", **limit)
    assert await spread(untrusted, "10.0.0.5") == [200, 200, 429, 429, 429]
    trusted = _settings(tmp_path / "b", TRUSTED_PROXIES="10.0.0.0/24", **limit)
    assert await spread(trusted, "10.0.0.5") == [200] * 5  # each client counted apart
    # A client that is not the proxy cannot name itself through the header.
    assert await spread(trusted, "198.51.100.30") == [200, 200, 429, 429, 429]


def test_a_setting_that_is_not_an_address_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"TRUSTED_PROXIES: 'proxy\.local'"):
        _settings(tmp_path, TRUSTED_PROXIES="10.0.0.1, proxy.local")


async def test_two_gateways_share_their_counts_through_redis(
    tmp_path: Path, redis_url: str
) -> None:
    settings = _settings(tmp_path, REDIS_URL=redis_url, RATE_LIMIT_CHAT_PER_ADDRESS=4)
    async with (
        _running(create_app(settings), create_app(settings)) as (one, two),
        one("203.0.113.12") as first,
        two("203.0.113.12") as second,
    ):
        answers = []
        for n in range(3):
            answers.append((await _chat(first, f"r-{n}", "hello")).status_code)
            answers.append((await _chat(second, f"q-{n}", "hello")).status_code)
    assert answers == [200, 200, 200, 200, 429, 429]


async def test_with_redis_down_nobody_is_refused_for_it_and_the_log_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = _settings(tmp_path, REDIS_URL=dead, RATE_LIMIT_CHAT_PER_ADDRESS=3)
    caplog.set_level(logging.WARNING, logger="bot.gateway.limits")
    async with _running(create_app(settings)) as (client,), client("203.0.113.13") as person:
        answers = [(await _chat(person, f"d-{n}", "hello")).status_code for n in range(4)]
    # Answered; and the flood still meets this gateway's own count.
    assert answers == [200, 200, 200, 429]
    assert "Redis is not answering" in caplog.text


async def test_a_local_window_opens_again_after_a_minute() -> None:
    now = [1000.0]
    counter = limits.LocalCounter(clock=lambda: now[0])
    rule = limits.Limit("t", 2)
    verdicts = [await counter.hit("k", rule) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, False, False]
    assert [v.first_refusal for v in verdicts] == [False, False, True, False]
    assert verdicts[2].retry_after == 60
    now[0] += 45
    assert (await counter.hit("k", rule)).retry_after == 15
    now[0] += 15
    assert (await counter.hit("k", rule)).allowed


def test_a_flooding_telegram_chat_is_told_once_and_the_webhook_still_answers_200(
    tmp_path: Path, bot_api: FakeBotAPI, graph_api: FakeGraphAPI
) -> None:
    settings = gateway_settings(tmp_path, bot_api, graph_api, RATE_LIMIT_PER_CONVERSATION=3)
    secret = {"X-Telegram-Bot-Api-Secret-Token": "telegram-webhook-secret"}
    with serve(create_app(settings), lifespan=True) as url:
        wait_for_telegram(url)
        for n in range(6):
            update = message_update(4242, f"question number {n}")
            response = httpx.post(f"{url}/webhooks/telegram", json=update, headers=secret)
            assert response.status_code == 200  # a 429 would hold back every chat's updates
        calm = httpx.post(
            f"{url}/webhooks/telegram", json=message_update(5151, "hello"), headers=secret
        )
        assert calm.status_code == 200
        _wait_for(lambda: len(bot_api.sent_messages(4242)) >= 4)
        _wait_for(lambda: len(bot_api.sent_messages(5151)) >= 1)
        time.sleep(1.0)  # nothing more comes
    texts = [m["text"] for m in bot_api.sent_messages(4242)]
    told = [t for t in texts if "faster than I can read" in t]
    assert len(told) == 1 and "112" in told[0]
    assert len(texts) == 3 + 1  # three answers (apologies: Rasa is down), then told once
    assert _count(settings, InboundMessage) == 3 + 1  # the dropped ones were not kept


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
