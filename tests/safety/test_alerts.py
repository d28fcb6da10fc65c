"""Staff are alerted of each safety event, on Telegram and by e-mail, until it is delivered."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.channels.base import Inbound
from bot.channels.telegram import TelegramChannel
from bot.crypto import Cipher
from bot.db.models import SafetyEvent, StaffAlert, as_utc, utcnow
from bot.db.session import make_session_factory
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.rights import erasure
from bot.safety import alerts
from bot.settings import Settings
from tests.fakes.smtp import FakeSMTP
from tests.fakes.telegram import FakeBotAPI
from tests.handoff.factories import conversation, handoff

STAFF_CHAT = "-100555"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there until a test starts a server on it


def _settings(tmp_path: Path, bot_api: FakeBotAPI, smtp_port: int) -> Settings:
    values: dict[str, Any] = {
        "TRIALBOT_VAR_DIR": tmp_path / "var",
        "PSEUDONYM_KEY": "test-key",
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "STAFF_TELEGRAM_CHAT_ID": STAFF_CHAT,
        "STAFF_EMAILS": "pv@site.example, coordinator@site.example",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
        "SMTP_STARTTLS": False,
        "SMTP_FROM": "assistant@site.example",
    }
    return Settings(**values)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now


async def test_an_emergency_reaches_the_staff_chat_and_mailbox_even_after_a_failure(
    migrated_engine: Engine, tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    port = _free_port()
    settings = _settings(tmp_path, bot_api, port)
    sessions = make_session_factory(migrated_engine)
    rasa = RasaClient("http://127.0.0.1:9", "token", timeout=1.0)
    relay = Relay(settings=settings, sessions=sessions, rasa=rasa, channels={})
    await relay.handle(Inbound("telegram", "4242", "I can't breathe, my lips are blue"))
    with sessions() as session:
        queued = session.scalars(select(StaffAlert.target).order_by(StaffAlert.target)).all()
    assert queued == ["email", "telegram"]  # written with the event, before any sending

    bot = TelegramChannel(settings, relay, sessions)
    await bot.application.initialize()
    clock = Clock()
    sender = alerts.AlertSender(
        settings=settings, sessions=sessions, telegram=alerts.telegram_sender(settings, bot),
        clock=clock,
    )  # fmt: skip
    try:
        # The mail server is down: Telegram goes, the e-mail waits and is tried again.
        assert await sender.run_once() == 1
        with sessions() as session:
            mail = session.scalars(select(StaffAlert).where(StaffAlert.target == "email")).one()
            assert mail.status == "pending" and mail.last_error is not None
            assert as_utc(mail.next_attempt_at) > clock.now
        assert await sender.run_once() == 0  # not yet time
        with FakeSMTP(port) as smtp:
            clock.now += dt.timedelta(seconds=20)
            assert await sender.run_once() == 1
        assert await sender.run_once() == 0  # each alert goes once
    finally:
        await bot.application.shutdown()

    (sent,) = bot_api.sent_messages(int(STAFF_CHAT))
    assert "EMERGENCY" in sent["text"] and "I can't breathe, my lips are blue" in sent["text"]
    assert "trialbot safety ack" in sent["text"]
    (message,) = smtp.messages
    assert "EMERGENCY (breathing)" in message["Subject"]
    assert smtp.recipients == [["pv@site.example", "coordinator@site.example"]]
    assert "I can't breathe, my lips are blue" in message.get_content()
    with sessions() as session:
        assert {a.status for a in session.scalars(select(StaffAlert))} == {"sent"}


async def test_without_any_staff_address_the_event_is_kept_and_the_gap_said(
    migrated_engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = make_session_factory(migrated_engine)
    rasa = RasaClient("http://127.0.0.1:9", "token", timeout=1.0)
    relay = Relay(settings=settings, sessions=sessions, rasa=rasa, channels={})
    await relay.handle(Inbound("web", "p-9", "he collapsed and is not waking up"))
    with sessions() as session:
        assert session.scalars(select(StaffAlert)).all() == []
        assert session.scalars(select(SafetyEvent)).one().kind == "emergency"
    assert "set STAFF_TELEGRAM_CHAT_ID or SMTP_HOST and STAFF_EMAILS" in caplog.text


async def test_a_new_handoff_reaches_the_staff_chat_and_mailbox_once(
    migrated_engine: Engine, tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    port = _free_port()
    settings = _settings(tmp_path, bot_api, port)
    sessions = make_session_factory(migrated_engine)
    cipher = Cipher.from_settings(settings)
    with sessions.begin() as session:
        conversation(session, "web-asks")
        opened = handoff(
            session, cipher, "web-asks", text="can someone call me?", settings=settings
        )
        handoff(session, cipher, "web-asks", text="hello?", settings=settings)  # adds to it
    rasa = RasaClient("http://127.0.0.1:9", "token", timeout=1.0)
    relay = Relay(settings=settings, sessions=sessions, rasa=rasa, channels={})
    bot = TelegramChannel(settings, relay, sessions)
    await bot.application.initialize()
    sender = alerts.AlertSender(
        settings=settings, sessions=sessions, telegram=alerts.telegram_sender(settings, bot)
    )
    try:
        with FakeSMTP(port) as smtp:
            assert await sender.run_once() == 2  # one handoff: one message per place
            assert await sender.run_once() == 0
    finally:
        await bot.application.shutdown()
    (sent,) = bot_api.sent_messages(int(STAFF_CHAT))
    assert f"A person asked for the study team: handoff {opened.id}" in sent["text"]
    assert "- can someone call me?" in sent["text"]
    assert f"trialbot handoff reply {opened.id}" in sent["text"]
    (message,) = smtp.messages
    assert f"handoff {opened.id}" in message["Subject"]


async def test_an_alert_of_a_handoff_erased_since_is_dropped(
    migrated_engine: Engine, tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    settings = _settings(tmp_path, bot_api, _free_port())
    sessions = make_session_factory(migrated_engine)
    cipher = Cipher.from_settings(settings)
    with sessions.begin() as session:
        conversation(session, "web-erased")
        handoff(session, cipher, "web-erased", settings=settings)
    with sessions.begin() as session:
        erasure.erase(session, "web-erased", None)
    sender = alerts.AlertSender(settings=settings, sessions=sessions, telegram=None)
    assert await sender.run_once() == 0
    with sessions() as session:
        assert session.scalars(select(StaffAlert)).all() == []
