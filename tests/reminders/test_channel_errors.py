"""Reminders through the real channel adapters when Telegram or Messenger answer 429 or 5xx."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Channel
from bot.channels.messenger import REMINDER_TAG as MESSENGER_TAG
from bot.channels.messenger import MessengerChannel
from bot.channels.telegram import TelegramChannel
from bot.db.models import Reminder, ReminderStatus, as_utc, utcnow
from bot.gateway.relay import Relay
from bot.reminders.dispatcher import Dispatcher
from bot.settings import Settings
from tests.fakes.channels import relay_on_fakes
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.telegram import FakeBotAPI
from tests.reminders.linking import linked_participant, schedule_visit

CHAT, PSID = 777_001, "psid-reminded"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def stack(
    tmp_path: Path, bot_api: FakeBotAPI, graph_api: FakeGraphAPI
) -> Iterator[tuple[Settings, sessionmaker[Session], Relay]]:
    with relay_on_fakes(tmp_path, bot_api, graph_api) as ready:
        yield ready


def _linked(
    relay: Relay, sessions: sessionmaker[Session], key: str, address: str, seen: dt.datetime
) -> None:
    starts = (utcnow() + dt.timedelta(minutes=90)).isoformat()
    with sessions.begin() as session:
        address = relay.cipher.encrypt(address)
        linked_participant(session, "E-1", "demo-asthma-002", key, address=address, last_seen=seen)
        schedule_visit(session, "E-1", "demo-asthma-002", starts)


def _reminder(sessions: sessionmaker[Session]) -> Reminder:
    with sessions() as session:
        return session.scalars(select(Reminder)).one()


async def _round(
    settings: Settings, sessions: sessionmaker[Session], name: str, channel: Channel, clock: Clock
) -> int:
    dispatcher = Dispatcher(
        settings=settings, sessions=sessions, channels={name: channel}, clock=clock
    )
    return await dispatcher.run_once()


async def test_telegram_429s_and_5xx_put_the_reminder_back_then_it_goes(
    stack: tuple[Settings, sessionmaker[Session], Relay], bot_api: FakeBotAPI
) -> None:
    settings, sessions, relay = stack
    _linked(relay, sessions, "telegram-errors", str(CHAT), utcnow())
    bot = TelegramChannel(settings, relay, sessions)
    await bot.application.initialize()
    clock = Clock()
    try:
        # Telegram keeps saying "wait": the limiter waits 3 times, then the reminder goes back.
        bot_api.fail_next("sendMessage", 429, retry_after=1, times=4)
        assert await _round(settings, sessions, "telegram", bot, clock) == 0
        first = _reminder(sessions)
        assert first.status == ReminderStatus.SCHEDULED
        assert first.last_error == "Telegram asked to wait 1 s"
        assert as_utc(first.due_at) - clock.now == dt.timedelta(seconds=30)
        # A server error, three times (each retried at once): back again, for twice as long.
        bot_api.fail_next("sendMessage", 502, times=3)
        clock.now = as_utc(first.due_at) + dt.timedelta(seconds=1)
        assert await _round(settings, sessions, "telegram", bot, clock) == 0
        second = _reminder(sessions)
        assert second.last_error is not None and "Bad Gateway" in second.last_error
        assert as_utc(second.due_at) - clock.now == dt.timedelta(seconds=60)
        # Telegram is fine again: it goes, once.
        clock.now = as_utc(second.due_at) + dt.timedelta(seconds=1)
        assert await _round(settings, sessions, "telegram", bot, clock) == 1
    finally:
        await bot.application.shutdown()
    (sent,) = bot_api.sent_messages(CHAT)
    assert sent["text"].startswith("Reminder: your week 4 appointment")
    done = _reminder(sessions)
    assert done.status == ReminderStatus.SENT and done.message_id is not None
    assert len(bot_api.calls("sendMessage")) == 4 + 3 + 1


async def test_messenger_5xx_puts_the_reminder_back_and_a_tag_carries_it_past_24_hours(
    stack: tuple[Settings, sessionmaker[Session], Relay], graph_api: FakeGraphAPI
) -> None:
    settings, sessions, relay = stack
    _linked(relay, sessions, "messenger-errors", PSID, utcnow() - dt.timedelta(hours=30))
    page = MessengerChannel(settings, relay, sessions)
    clock = Clock()
    try:
        graph_api.fail_next("me/messages", 503, times=4)  # each of the Send API's attempts
        assert await _round(settings, sessions, "messenger", page, clock) == 0
        first = _reminder(sessions)
        assert first.status == ReminderStatus.SCHEDULED
        assert first.last_error is not None and "HTTP 503" in first.last_error
        clock.now = as_utc(first.due_at) + dt.timedelta(seconds=1)
        assert await _round(settings, sessions, "messenger", page, clock) == 1
    finally:
        await page.aclose()
    (sent,) = graph_api.sent(PSID)
    assert sent["messaging_type"] == "MESSAGE_TAG" and sent["tag"] == MESSENGER_TAG
    assert sent["message"]["text"].startswith("Reminder: your week 4 appointment")
    assert _reminder(sessions).status == ReminderStatus.SENT
