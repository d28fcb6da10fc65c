"""Two senders of staff alerts never send one alert twice while both are alive."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.crypto import Cipher
from bot.db.models import SafetyEvent, StaffAlert, utcnow
from bot.db.session import make_session_factory
from bot.safety import alerts
from bot.settings import Settings

EVENTS = 8
SEND_SECONDS = 0.4  # each alert takes this long to go out
LEASE = dt.timedelta(seconds=1.2)  # less than the batch takes: the claim ends mid-batch


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        TRIALBOT_VAR_DIR=tmp_path / "var",
        PSEUDONYM_KEY="test-key",
        TELEGRAM_BOT_TOKEN="123:abc",
        STAFF_TELEGRAM_CHAT_ID="-100555",
    )


async def test_a_slow_batch_is_not_sent_again_by_another_sender(
    migrated_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alerts, "LEASE", LEASE)
    settings = _settings(tmp_path)
    sessions = make_session_factory(migrated_engine)
    cipher = Cipher.from_settings(settings)
    with sessions.begin() as session:
        for number in range(EVENTS):
            event = SafetyEvent(
                sender_key=f"person-{number}", channel="telegram", language="en",
                kind="adverse_event", category=cipher.encrypt("headache"),
                text=cipher.encrypt(f"report {number}"), created_at=utcnow(),
            )  # fmt: skip
            session.add(event)
            session.flush()
            alerts.queue(session, event, settings)
    sent: collections.Counter[str] = collections.Counter()

    async def telegram(text: str) -> None:
        await asyncio.sleep(SEND_SECONDS)
        sent[text] += 1

    def sender() -> alerts.AlertSender:
        return alerts.AlertSender(settings=settings, sessions=sessions, telegram=telegram)

    first = asyncio.create_task(sender().run_once())
    await asyncio.sleep(LEASE.total_seconds() + 0.3)  # the first sender's claim has run out
    await asyncio.gather(first, sender().run_once())
    for _ in range(20):  # the rest, round after round, as the senders' loops would
        with sessions() as session:
            if not session.scalars(select(StaffAlert).where(StaffAlert.status != "sent")).all():
                break
        await sender().run_once()

    assert len(sent) == EVENTS  # every alert went
    assert [text for text, times in sent.items() if times > 1] == []  # none twice
