"""The public routes under abuse: bodies capped before they are read, requests from other
sites (or from an opaque `Origin: null`) refused, and the chat and consent pages telling the
browser to run only their own script, never inside another site's frame.

Over real HTTP with the gateway in this process (uvicorn, as in production).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from bot.consent import copy, service
from bot.db.models import StoredConsentText
from tests.fakes.channels import channel_env
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.telegram import FakeBotAPI
from tests.staff.conftest import Site, csrf_of, running_site

BIG = 100 * 1024
CONSENT_BODY = "You agree to reminders of your visits.\n\nYou can stop them at any time."


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    # Telegram and Messenger on (talking to local fakes): their webhooks are real routes.
    with FakeBotAPI() as bot_api, FakeGraphAPI() as graph_api:
        channels = channel_env(bot_api, graph_api)
        with running_site(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", **channels) as running:
            yield running


PUBLIC_POSTS = ["/api/chat", "/api/chat/new", "/webhooks/telegram", "/webhooks/messenger"]


@pytest.mark.parametrize("path", PUBLIC_POSTS)
def test_a_100_kb_body_is_refused_before_it_is_read(site: Site, path: str) -> None:
    body = b'{"text": "' + b"a" * BIG + b'"}'
    response = httpx.post(
        site.url + path, content=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413
    assert "64 KB" in response.json()["detail"]


@pytest.mark.parametrize("path", PUBLIC_POSTS)
def test_a_chunked_100_kb_body_is_refused_too(site: Site, path: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(BIG // 4096):
            yield b"a" * 4096
        yield b'"}'

    response = httpx.post(
        site.url + path,
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 413
    assert "64 KB" in response.json()["detail"]


def test_a_message_of_ordinary_size_still_passes(site: Site) -> None:
    response = httpx.post(f"{site.url}/api/chat", json={"text": "a" * 3000}, timeout=30)
    assert response.status_code == 200
    # How long the server's stages took is for bench/latency (SERVER_TIMING), not for anyone.
    assert "server-timing" not in response.headers


@pytest.mark.parametrize("origin", ["null", "https://elsewhere.example"])
def test_the_chat_refuses_a_message_posted_from_another_origin(site: Site, origin: str) -> None:
    response = httpx.post(
        f"{site.url}/api/chat", json={"text": "hello"}, headers={"Origin": origin}, timeout=30
    )
    assert response.status_code == 403
    assert "another site" in response.json()["detail"]
    assert "set-cookie" not in response.headers
    own = httpx.post(
        f"{site.url}/api/chat", json={"text": "hello"}, headers={"Origin": site.url}, timeout=30
    )
    assert own.status_code == 200


def test_a_staff_form_from_an_opaque_origin_is_refused(site: Site) -> None:
    site.add_staff("coordinator@example.org")
    with site.browser() as browser:
        page = browser.get("/staff/login")
        response = browser.post(
            "/staff/login",
            data={
                "email": "coordinator@example.org",
                "password": "correct horse battery",
                "csrf_token": csrf_of(page.text),
            },
            headers={"Origin": "null"},
        )
        assert response.status_code == 403
        assert "trialbot_staff=" not in response.headers.get("set-cookie", "")


def _hashes(html: str, tag: str) -> set[str]:
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
    assert blocks, f"the page has no inline <{tag}>"
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in blocks
    }


def _policy(response: httpx.Response) -> dict[str, str]:
    csp = response.headers["content-security-policy"]
    return {d.split()[0]: d.strip() for d in csp.split(";") if d.strip()}


def _framing_and_referrer(response: httpx.Response) -> None:
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("no-referrer", "same-origin")
    policy = _policy(response)
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert policy["default-src"] == "default-src 'none'"


def test_the_chat_page_runs_only_its_own_script(site: Site) -> None:
    response = httpx.get(site.url + "/", timeout=30)
    _framing_and_referrer(response)
    policy = _policy(response)
    for hashed in _hashes(response.text, "script"):
        assert hashed in policy["script-src"]
    for hashed in _hashes(response.text, "style"):
        assert hashed in policy["style-src"]
    assert policy["connect-src"] == "connect-src 'self'"


def _stored_consent_text(session: Session) -> str:
    """A consent text as the assistant keeps it once shown; its SHA-256."""
    sha = hashlib.sha256(CONSENT_BODY.encode()).hexdigest()
    session.add(
        StoredConsentText(
            sha256=sha, version=1, consent_id="reminders", language="en",
            title="Reminders", effective=dt.date(2026, 1, 1), body=CONSENT_BODY,
        )
    )  # fmt: skip
    session.flush()
    return sha


def test_a_consent_page_runs_no_script(site: Site) -> None:
    with Session(site.engine) as session, session.begin():
        sha = _stored_consent_text(session)
    response = httpx.get(f"{site.url}/consent/{sha}", timeout=30)
    assert response.status_code == 200 and "You can stop them" in response.text
    _framing_and_referrer(response)
    policy = _policy(response)
    assert policy.get("script-src", "script-src 'none'") == "script-src 'none'"
    for hashed in _hashes(response.text, "style"):
        assert hashed in policy["style-src"]
    missing = httpx.get(f"{site.url}/consent/{'0' * 64}", timeout=30)
    assert missing.status_code == 404
    assert missing.headers["x-frame-options"] == "DENY"


def test_a_consent_copy_opens_by_its_own_link_only(site: Site) -> None:
    with Session(site.engine) as session, session.begin():
        sha = _stored_consent_text(session)
        record = service.decide(session, "web-c0ffee", f"{sha}:1", agreed=True)
        token = copy.Tokens(site.settings.pseudonym_secret()).issue(record)
        seq = record.seq
    response = httpx.get(f"{site.url}/consent/copy/{token}", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert f"consent-reminders-v1-{seq}.pdf" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-")
    signature = token.partition("-")[2]
    for wrong in (f"{seq + 1}-{signature}", f"{seq}-{'0' * 32}", "nothing"):
        refused = httpx.get(f"{site.url}/consent/copy/{wrong}", timeout=30)
        assert refused.status_code == 404 and "No copy has this link" in refused.text


def test_the_browser_s_icon_request_is_no_error(site: Site) -> None:
    # Every page load asks for it; a 404 shows as an error in the browser's console.
    response = httpx.get(site.url + "/favicon.ico", timeout=10)
    assert response.status_code == 204
