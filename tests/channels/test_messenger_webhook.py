"""Messenger through the gateway's webhook, with the Graph API played by a local server."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.channels.base import NotDelivered, Reply
from bot.channels.messenger import MessengerChannel
from bot.db.models import Conversation, InboundMessage, utcnow
from bot.db.session import make_session_factory
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from tests.channels.conftest import Gateway
from tests.fakes.channels import VERIFY_TOKEN
from tests.fakes.graph import (
    photo_event,
    postback_event,
    quick_reply_event,
    referral_event,
    text_event,
)


def _verify(gateway: Gateway, token: str) -> httpx.Response:
    params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
    return httpx.get(f"{gateway.url}/webhooks/messenger", params=params)


def test_the_subscription_handshake_echoes_the_challenge(gateway: Gateway) -> None:
    answer = _verify(gateway, VERIFY_TOKEN)
    assert answer.status_code == 200 and answer.text == "1158201444"
    assert _verify(gateway, "wrong").status_code == 403


def test_a_signed_message_is_answered_through_the_send_api(gateway: Gateway) -> None:
    response = gateway.messenger(text_event("psid-1", "hello, I have a question"))
    assert response.status_code == 200
    (sent,) = gateway.graph_api.wait_for("me/messages", count=2)[1:]
    assert sent.body["recipient"] == {"id": "psid-1"}
    assert sent.body["messaging_type"] == "RESPONSE"
    assert "Sorry" in sent.body["message"]["text"] and "112" in sent.body["message"]["text"]
    assert gateway.graph_api.sender_actions("psid-1") == ["typing_on"]


def test_forged_or_missing_signatures_are_refused_and_send_nothing(gateway: Gateway) -> None:
    payload = text_event("psid-2", "hello")
    assert gateway.messenger(payload, signature="sha256=" + "0" * 64).status_code == 403
    assert gateway.messenger(payload, signature="").status_code == 403
    assert gateway.graph_api.requests == []
    with Session(gateway.engine) as session:
        assert session.scalars(select(InboundMessage)).all() == []


def test_malformed_bodies_get_400(gateway: Gateway) -> None:
    assert gateway.messenger(None, raw=b"{oops").status_code == 400
    assert gateway.messenger({"object": "instagram", "entry": []}).status_code == 400
    assert gateway.messenger({"object": "page", "entry": "x"}).status_code == 400


def test_a_repeated_delivery_is_answered_once(gateway: Gateway) -> None:
    event = text_event("psid-3", "hello", mid="m_same")
    assert gateway.messenger(event).status_code == 200
    gateway.graph_api.wait_for("me/messages", count=2)
    assert gateway.messenger(event).status_code == 200
    with Session(gateway.engine) as session:
        assert len(session.scalars(select(InboundMessage)).all()) == 1


def test_a_photo_delivered_again_gets_its_polite_answer_once(gateway: Gateway) -> None:
    event = photo_event("psid-8", mid="m_photo")
    assert gateway.messenger(event).status_code == 200
    gateway.graph_api.wait_for("me/messages", count=1)
    assert gateway.messenger(event).status_code == 200
    time.sleep(0.5)
    texts = [
        r.body["message"].get("text", "")
        for r in gateway.graph_api.requests
        if r.path.endswith("me/messages") and "message" in r.body
    ]
    assert sum("only read text" in text for text in texts) == 1


def test_quick_replies_and_postbacks_send_their_payloads(gateway: Gateway) -> None:
    gateway.messenger(quick_reply_event("psid-4", "Oui", "/affirm"))
    gateway.messenger(postback_event("psid-4", "Get Started", "GET_STARTED"))
    gateway.graph_api.wait_for("me/messages", count=4)
    assert gateway.received_texts() == ["/affirm", "/greet"]


def test_an_m_me_referral_records_the_campaign(gateway: Gateway) -> None:
    gateway.messenger(referral_event("psid-5", "camp_autumn"))
    gateway.messenger(
        postback_event(
            "psid-6",
            "Get Started",
            "GET_STARTED",
            referral={"ref": "camp_spring", "source": "SHORTLINK", "type": "OPEN_THREAD"},
        )
    )
    gateway.graph_api.wait_for("me/messages", count=4)
    with Session(gateway.engine) as session:
        campaigns = sorted(c.campaign or "" for c in session.scalars(select(Conversation)))
    assert campaigns == ["autumn", "spring"]


def test_throttling_and_server_errors_are_retried(gateway: Gateway) -> None:
    gateway.graph_api.fail_next("me/messages", 429, retry_after=1)
    gateway.graph_api.fail_next("me/messages", 503)
    gateway.messenger(text_event("psid-7", "hello"))
    # Both failures, then the reply; sender actions go out beside them in any order, so wait
    # for the reply itself rather than for a number of calls.
    deadline = time.monotonic() + 15
    while not gateway.graph_api.sent("psid-7") and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a duplicate would have arrived by now
    assert len(gateway.graph_api.sent("psid-7")) == 1
    assert len(gateway.graph_api.wait_for("me/messages", count=3)) >= 3  # 429, 503, the reply


async def test_outside_the_24_hour_window_only_a_tagged_message_goes_out(gateway: Gateway) -> None:
    gateway.messenger(text_event("psid-8", "hello"))
    gateway.graph_api.wait_for("me/messages", count=2)
    with Session(gateway.engine) as session, session.begin():
        session.execute(update(Conversation).values(last_seen_at=utcnow() - timedelta(hours=25)))
        conversation_id = session.scalars(select(Conversation.id)).one()
    page = _own_page(gateway)
    before = len(gateway.graph_api.sent("psid-8"))
    with pytest.raises(NotDelivered, match="24 hours"):
        await page.deliver(conversation_id, [Reply(text="A reminder")])
    assert len(gateway.graph_api.sent("psid-8")) == before
    await page.deliver(conversation_id, [Reply(text="A reminder")], purpose="reminder")
    last = gateway.graph_api.sent("psid-8")[-1]
    assert last["messaging_type"] == "MESSAGE_TAG" and last["tag"] == "CONFIRMED_EVENT_UPDATE"
    await page.aclose()


def _own_page(gateway: Gateway) -> MessengerChannel:
    """The page as a reminder sender would hold it, outside the gateway's event loop."""
    sessions = make_session_factory(gateway.engine)
    rasa = RasaClient(gateway.settings.rasa_url, "token", timeout=1.0)
    relay = Relay(settings=gateway.settings, sessions=sessions, rasa=rasa, channels={})
    return MessengerChannel(gateway.settings, relay, sessions)
