"""A web conversation belongs to the browser (or script) the server gave its token to.

Over real HTTP, with the gateway in this process (Rasa unreachable: each message gets the
apology, which is enough to see who may talk and read). An attacker who knows, or guesses, a
sender id can neither read the replies queued for it (a study team's answer among them) nor
write into that conversation; a forged or altered token is refused; the page keeps no history
where the next person on the device, or another site, could read it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.channels import web
from bot.channels.base import Reply
from bot.db.models import Conversation, InboundMessage, LanguageSource
from bot.gateway.app import create_app
from bot.pseudonym import pseudonym
from bot.settings import PROJECT_ROOT, Settings
from tests.staff import conftest as staff_conftest
from tests.staff.conftest import Site, running_site
from tests.staff.test_browser import chromium  # noqa: F401 (the fixture)

PAGE = PROJECT_ROOT / "bot" / "gateway" / "static" / "index.html"
STAFF_ANSWER = "Message from the study team:\nYour next visit is on Monday at 9:30."


@pytest.fixture
def apps(monkeypatch: pytest.MonkeyPatch) -> list[FastAPI]:
    """The gateway apps the tests start, to reach their web channel."""
    made: list[FastAPI] = []

    def create(settings: Settings) -> FastAPI:
        made.append(create_app(settings))
        return made[-1]

    monkeypatch.setattr(staff_conftest, "create_app", create)
    return made


@pytest.fixture
def site(tmp_path: Path, database_url: str, apps: list[FastAPI]) -> Iterator[Site]:
    with running_site(tmp_path, database_url) as running:
        yield running


def _conversation(site: Site, sender: str) -> Conversation | None:
    key = pseudonym(site.settings.pseudonym_secret(), web.NAME, sender)
    with Session(site.engine) as session:
        return session.scalars(
            select(Conversation).where(Conversation.sender_key == key)
        ).one_or_none()


def _messages_of(site: Site, sender: str) -> int:
    conversation = _conversation(site, sender)
    assert conversation is not None
    with Session(site.engine) as session:
        count = session.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.conversation_id == conversation.id)
        )
        return int(count or 0)


def _team_answers(gateway: FastAPI, site: Site, sender: str) -> None:
    """The study team's answer waits in the web outbox, as a handoff's answer does."""
    conversation = _conversation(site, sender)
    assert conversation is not None
    outbox: web.WebChannel = gateway.state.webchat
    asyncio.run(outbox.deliver(conversation.id, [Reply(text=STAFF_ANSWER)]))


def _start(site: Site, sender: str = "alice-7f3a") -> tuple[httpx.Client, str]:
    """A browser-like client (it keeps cookies) that starts `sender`'s conversation."""
    client = httpx.Client(base_url=site.url, timeout=30)
    response = client.post("/api/chat", json={"sender": sender, "text": "hello"})
    assert response.status_code == 200, response.text
    token = response.json()["conversation"]
    assert isinstance(token, str) and len(token) >= 40
    return client, token


def test_a_second_client_cannot_read_the_first_one_s_replies(
    site: Site, apps: list[FastAPI]
) -> None:
    alice, _ = _start(site)
    _team_answers(apps[0], site, "alice-7f3a")
    with httpx.Client(base_url=site.url, timeout=30) as mallory:
        stolen = mallory.get("/api/chat/updates", params={"sender": "alice-7f3a", "after": 0})
        assert stolen.status_code == 401, stolen.text
        assert "Message from the study team" not in stolen.text
        mallory.post("/api/chat", json={"text": "hi"})  # now with a conversation of her own
        stolen = mallory.get("/api/chat/updates", params={"sender": "alice-7f3a", "after": 0})
        assert stolen.status_code == 403, stolen.text
        assert "Message from the study team" not in stolen.text
        own = mallory.get("/api/chat/updates", params={"after": 0})
        assert own.status_code == 200 and own.json()["messages"] == []
    mine = alice.get("/api/chat/updates", params={"sender": "alice-7f3a", "after": 0})
    assert mine.status_code == 200
    assert [m["text"] for m in mine.json()["messages"]] == [STAFF_ANSWER]


def test_a_second_client_cannot_continue_the_first_one_s_conversation(site: Site) -> None:
    _start(site)
    with httpx.Client(base_url=site.url, timeout=30) as mallory:
        refused = mallory.post("/api/chat", json={"sender": "alice-7f3a", "text": "my number?"})
        assert refused.status_code == 403
        assert "belongs to someone else" in refused.json()["detail"]
        assert "trialbot_chat" not in refused.headers.get("set-cookie", "")
        mallory.post("/api/chat", json={"text": "bonjour"})  # with a token of her own
        french = mallory.post(
            "/api/chat", json={"sender": "alice-7f3a", "text": "et alors ?", "lang": "fr"}
        )
        assert french.status_code == 403
        assert "appartient à quelqu’un d’autre" in french.json()["detail"]
    assert _messages_of(site, "alice-7f3a") == 1  # neither was handled


def test_a_forged_or_altered_token_is_refused(site: Site) -> None:
    from bot.gateway import webchat_identity

    _, token = _start(site)
    owner, signature = token.rsplit(".", 1)
    altered = [
        owner + "." + ("A" if signature[0] != "A" else "B") + signature[1:],
        ("x" if owner[0] != "x" else "y") + owner[1:] + "." + signature,
        "not-a-token",
        webchat_identity.TokenSigner(b"another gateway's secret").issue().token,
    ]
    for forged in altered:
        response = httpx.post(
            f"{site.url}/api/chat",
            json={"sender": "alice-7f3a", "text": "hello again"},
            headers={"X-Chat-Token": forged},
            timeout=30,
        )
        assert response.status_code == 401, forged
        updates = httpx.get(
            f"{site.url}/api/chat/updates",
            params={"sender": "alice-7f3a", "after": 0},
            cookies={"trialbot_chat": forged},
            timeout=30,
        )
        assert updates.status_code == 401, forged
    assert _messages_of(site, "alice-7f3a") == 1


def test_the_owner_continues_with_its_cookie_or_its_token(site: Site) -> None:
    alice, token = _start(site)
    again = alice.post("/api/chat", json={"sender": "alice-7f3a", "text": "are you there?"})
    assert again.status_code == 200
    # A script without a cookie jar sends the token back in a header.
    scripted = httpx.post(
        f"{site.url}/api/chat",
        json={"sender": "alice-7f3a", "text": "still me"},
        headers={"X-Chat-Token": token},
        timeout=30,
    )
    assert scripted.status_code == 200
    assert _messages_of(site, "alice-7f3a") == 3


def test_without_a_sender_the_conversation_is_the_browser_s_own(site: Site) -> None:
    with httpx.Client(base_url=site.url, timeout=30) as browser:
        first = browser.post("/api/chat", json={"text": "hello"})
        assert first.status_code == 200
        browser.post("/api/chat", json={"text": "hello again"})
    with Session(site.engine) as session:
        (conversation,) = session.scalars(select(Conversation)).all()
        assert conversation.messages_seen == 2
        assert conversation.web_owner is not None
        assert first.json()["conversation"] not in conversation.web_owner


def test_a_conversation_from_before_tokens_is_not_taken_over(site: Site) -> None:
    key = pseudonym(site.settings.pseudonym_secret(), web.NAME, "old-sender")
    with Session(site.engine) as session, session.begin():
        session.add(
            Conversation(
                channel=web.NAME,
                sender_key=key,
                language="en",
                language_source=LanguageSource.DEFAULT,
                messages_seen=4,
            )
        )
    response = httpx.post(
        f"{site.url}/api/chat", json={"sender": "old-sender", "text": "hello"}, timeout=30
    )
    assert response.status_code == 403


def test_the_cookie_is_http_only_same_site_and_secure_behind_tls(site: Site) -> None:
    plain = httpx.post(f"{site.url}/api/chat", json={"text": "hello"}, timeout=30)
    cookie = plain.headers["set-cookie"]
    assert cookie.startswith("trialbot_chat=")
    assert re.search(r"(?i)httponly", cookie) and re.search(r"(?i)samesite=lax", cookie)
    assert "path=/" in cookie.lower() and "max-age=" in cookie.lower()
    assert "secure" not in cookie.lower()
    behind_tls = httpx.post(
        f"{site.url}/api/chat",
        json={"text": "hello"},
        headers={"X-Forwarded-Proto": "https"},
        timeout=30,
    )
    assert "secure" in behind_tls.headers["set-cookie"].lower()


def test_a_new_conversation_is_a_new_owner(site: Site) -> None:
    alice, token = _start(site)
    fresh = alice.post("/api/chat/new")
    assert fresh.status_code == 200
    assert fresh.json()["conversation"] != token
    # The browser's old conversation is no longer its to continue.
    refused = alice.post("/api/chat", json={"sender": "alice-7f3a", "text": "hello"})
    assert refused.status_code == 403


def test_the_page_names_no_sender_and_keeps_nothing_on_the_device() -> None:
    source = PAGE.read_text("utf-8")
    assert "Math.random" not in source
    assert re.search(r"\bsender\s*:", source) is None  # the server names the conversation
    # localStorage only to remove what earlier versions of the page left there.
    uses = re.findall(r"localStorage\.(\w+)", source)
    assert uses == ["removeItem"]
    assert "local = window.sessionStorage" in source
    assert source.count("credentials: 'same-origin'") == 3  # send, poll, new conversation


def test_in_a_browser_the_conversation_stays_with_its_tab_and_cookie(
    site: Site,
    chromium: Browser,  # noqa: F811
) -> None:
    problems: list[str] = []
    first = chromium.new_context(locale="en-GB")
    page = first.new_page()
    page.on("console", lambda message: problems.append(message.text))
    page.goto(site.url)
    page.fill("#input", "hello, is anyone there?")
    page.click("#send")
    expect(page.locator(".msg-bot")).to_have_count(1, timeout=30_000)
    (cookie,) = [c for c in first.cookies() if c["name"] == "trialbot_chat"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "trialbot_chat" not in page.evaluate("document.cookie")
    assert page.evaluate("window.localStorage.length") == 0
    page.reload()
    expect(page.locator(".msg-user .bubble")).to_have_text(["hello, is anyone there?"])
    assert [c["value"] for c in first.cookies() if c["name"] == "trialbot_chat"] == [
        cookie["value"]
    ]
    page.click("[data-lang=fr]")  # the page's own script runs under its policy
    expect(page.locator("#send")).to_have_text("Envoyer")
    other = chromium.new_context(locale="en-GB").new_page()
    other.goto(site.url)
    expect(other.locator("#empty")).to_be_visible()
    assert other.locator(".msg").count() == 0
    assert [c["value"] for c in other.context.cookies()] != [cookie["value"]]
    assert not [text for text in problems if "Content Security Policy" in text], problems
    first.close()
    other.context.close()
