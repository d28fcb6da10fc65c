"""The dispatcher sends each due reminder once, in the participant's language, and loses none."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import NotDelivered, Purpose, Reply
from bot.channels.messenger import REMINDER_TAG as MESSENGER_TAG
from bot.channels.messenger import tag_for
from bot.db.models import Conversation, Reminder, ReminderStatus, as_utc
from bot.reminders import report
from bot.reminders.claims import claim_due
from bot.reminders.dispatcher import Dispatcher
from bot.settings import Settings
from tests.reminders.linking import linked_participant, schedule_visit

NOW = dt.datetime(2026, 12, 7, 8, 0, 30, tzinfo=dt.UTC)  # just after the 72 h reminder's time
WHO = "telegram-5a1b"


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class FakeChannel:
    """Records what it is asked to send; fails while `failing` holds a reason."""

    name = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[int, Reply, str | None]] = []
        self.failing: NotDelivered | None = None

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        if self.failing:
            raise self.failing
        tag = tag_for(purpose)  # what Messenger would send it with
        self.sent.extend((conversation_id, reply, tag) for reply in replies)
        return [str(1000 + len(self.sent))]


@pytest.fixture
def linked(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """P-1 (French) bound to a Telegram chat, agreed to reminders, with a visit on 10 December."""
    with sessions.begin() as session:
        linked_participant(session, "P-1", "demo-t2d-001", WHO, language="fr")
        schedule_visit(
            session, "P-1", "demo-t2d-001", "2026-12-10T09:00:00", kind="visite 2",
            site="paris-nord", now=NOW - dt.timedelta(days=7),
        )  # fmt: skip
    return sessions


def _dispatcher(
    sessions: sessionmaker[Session], channel: FakeChannel, clock: Clock, tmp_path_settings: Settings
) -> Dispatcher:
    return Dispatcher(
        settings=tmp_path_settings,
        sessions=sessions,
        channels={"telegram": channel},
        clock=clock,
        max_attempts=3,
    )


def _statuses(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return [s.value for s in session.scalars(select(Reminder.status).order_by(Reminder.id))]


def test_a_due_reminder_goes_out_once_in_french_with_its_buttons(
    linked: sessionmaker[Session], settings: Settings
) -> None:
    channel, clock = FakeChannel(), Clock(NOW)
    dispatcher = _dispatcher(linked, channel, clock, settings)
    assert asyncio.run(dispatcher.run_once()) == 1
    assert asyncio.run(dispatcher.run_once()) == 0  # the next ones are not due yet
    ((_, reply, tag),) = channel.sent
    assert tag == MESSENGER_TAG
    assert reply.text is not None and "jeudi 10 décembre à 9 h 00" in reply.text
    assert "Hôpital de démonstration Paris-Nord" in reply.text and "carte Vitale" in reply.text
    assert [b.title for b in reply.buttons] == [
        "✅ Je confirme",
        "📅 Changer la date",
        "❌ Annuler",
    ]
    assert reply.buttons[0].payload.startswith('/confirm_appointment{"appointment_id":"')
    assert _statuses(linked) == ["sent", "scheduled", "scheduled"]
    with linked() as session:
        first = session.scalars(select(Reminder).order_by(Reminder.id)).first()
        assert first is not None and first.message_id == "1001" and first.channel == "telegram"


def test_a_restart_sends_every_missed_reminder_once(
    linked: sessionmaker[Session], settings: Settings
) -> None:
    channel = FakeChannel()
    # A dispatcher claimed the first reminder and died before sending: its lease runs out.
    with linked.begin() as session:
        claim_due(session, NOW, lease=dt.timedelta(minutes=2))
    # Time passes while nothing runs: by Wednesday evening all three are due.
    later = Clock(dt.datetime(2026, 12, 9, 19, 30, tzinfo=dt.UTC))
    dispatcher = _dispatcher(linked, channel, later, settings)
    assert asyncio.run(dispatcher.run_once()) == 3
    assert asyncio.run(dispatcher.run_once()) == 0
    assert len(channel.sent) == 3 and _statuses(linked) == ["sent"] * 3


def test_channel_errors_back_off_then_become_a_dead_letter(
    linked: sessionmaker[Session], settings: Settings
) -> None:
    channel, clock = FakeChannel(), Clock(NOW)
    channel.failing = NotDelivered("Telegram did not take the message: Timed out")
    dispatcher = _dispatcher(linked, channel, clock, settings)
    waits = []
    for _ in range(3):
        assert asyncio.run(dispatcher.run_once()) == 0
        with linked() as session:
            first = session.scalars(select(Reminder).order_by(Reminder.id)).first()
            assert first is not None
            waits.append(as_utc(first.due_at) - clock.now)
            clock.now = as_utc(first.due_at) + dt.timedelta(seconds=1)
    assert waits[:2] == [dt.timedelta(seconds=30), dt.timedelta(seconds=60)]
    with linked() as session:
        first = session.scalars(select(Reminder).order_by(Reminder.id)).first()
        assert first is not None and first.status == ReminderStatus.FAILED
        assert first.last_error is not None and "Timed out" in first.last_error
    assert channel.sent == []


def _first(sessions: sessionmaker[Session]) -> Reminder:
    with sessions() as session:
        first = session.scalars(select(Reminder).order_by(Reminder.id)).first()
        assert first is not None
        return first


def test_the_platforms_retry_after_is_waited_at_the_least(
    linked: sessionmaker[Session], settings: Settings
) -> None:
    channel, clock = FakeChannel(), Clock(NOW)
    channel.failing = NotDelivered("Telegram asked to wait 600 s", retry_after=600)
    assert asyncio.run(_dispatcher(linked, channel, clock, settings).run_once()) == 0
    first = _first(linked)
    assert as_utc(first.due_at) - NOW == dt.timedelta(seconds=600)
    assert first.status == ReminderStatus.SCHEDULED


def test_a_blocked_bot_is_a_dead_letter_at_once(
    linked: sessionmaker[Session], settings: Settings
) -> None:
    channel, clock = FakeChannel(), Clock(NOW)
    channel.failing = NotDelivered("the person has blocked the bot (Forbidden)", final=True)
    assert asyncio.run(_dispatcher(linked, channel, clock, settings).run_once()) == 0
    first = _first(linked)
    assert first.status == ReminderStatus.FAILED and first.attempts == 1
    assert first.last_error == "the person has blocked the bot (Forbidden)"


def test_nothing_goes_out_after_a_stop_or_to_a_cancelled_appointment(
    linked: sessionmaker[Session], settings: Settings
) -> None:
    channel = FakeChannel()
    with linked.begin() as session:
        # A race: the stop landed, but this reminder was already back to scheduled.
        session.execute(update(Conversation).values(messages_stopped_at=NOW))
    dispatcher = _dispatcher(linked, channel, Clock(NOW), settings)
    assert asyncio.run(dispatcher.run_once()) == 0
    assert channel.sent == []
    with linked() as session:
        reasons = session.scalars(select(Reminder.cancel_reason).order_by(Reminder.id)).all()
        assert reasons[0] == "the participant stopped messages"


class SlowChannel(FakeChannel):
    """Each delivery takes 1.6 s: under a 5 s lease, the second starts before half of it (2.5 s)
    with 0.9 s to spare for the database on a loaded machine, the third always after."""

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        await asyncio.sleep(1.6)
        return await super().deliver(conversation_id, replies, purpose=purpose)


def test_what_half_the_lease_did_not_reach_is_handed_back(
    linked: sessionmaker[Session], settings: Settings
) -> None:
    channel = SlowChannel()
    later = Clock(dt.datetime(2026, 12, 9, 19, 30, tzinfo=dt.UTC))  # all three are due
    dispatcher = Dispatcher(
        settings=settings, sessions=linked, channels={"telegram": channel}, clock=later,
        lease=dt.timedelta(seconds=5),
    )  # fmt: skip
    assert asyncio.run(dispatcher.run_once()) == 2  # the third would start after 3.2 s
    assert _statuses(linked) == ["sent", "sent", "scheduled"]
    with linked() as session:
        last = session.scalars(select(Reminder).order_by(Reminder.id.desc())).first()
        assert last is not None and last.claim_token is None and last.attempts == 0
    assert asyncio.run(dispatcher.run_once()) == 1  # free for any dispatcher at once
    assert len(channel.sent) == 3


class DyingChannel(FakeChannel):
    """Delivers, then the process dies before the dispatcher can record it."""

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        await super().deliver(conversation_id, replies, purpose=purpose)
        raise asyncio.CancelledError  # what a stop between the send and the record looks like


def test_a_send_cut_off_before_its_record_goes_again_once_and_is_marked(
    linked: sessionmaker[Session], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    dying, clock = DyingChannel(), Clock(NOW)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(_dispatcher(linked, dying, clock, settings).run_once())
    first = _first(linked)
    assert first.status == ReminderStatus.SCHEDULED and first.send_key is not None
    # Before the lease ends nobody takes it; after, another dispatcher sends it again, once.
    channel = FakeChannel()
    assert asyncio.run(_dispatcher(linked, channel, clock, settings).run_once()) == 0
    clock.now += dt.timedelta(minutes=3)
    assert asyncio.run(_dispatcher(linked, channel, clock, settings).run_once()) == 1
    assert asyncio.run(_dispatcher(linked, channel, clock, settings).run_once()) == 0
    assert len(dying.sent) == 1 and len(channel.sent) == 1  # one duplicate, nothing lost
    first = _first(linked)
    assert first.status == ReminderStatus.SENT and first.sends == 2
    assert "may have gone out already" in caplog.text
    with linked() as session:
        (row, *_) = report.reminders(session, "P-1")
    assert row["status"] == "sent" and row["sends"] == 2
