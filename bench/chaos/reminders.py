"""Reminders being sent when the dispatcher that sends them is SIGKILLed, and what arrived.

Under `trialbot run` the reminder dispatcher runs inside the gateway (`REMINDERS_IN_GATEWAY`):
killing it is killing the gateway while it sends. Each round has web chat participants of its own,
linked, with their consent to reminders and one appointment each, whose reminders are made due at
the moment of the fault; the gateway is killed once a random share of them has gone out. What each
participant received is read from the web chat's outbox (what their page fetches), so a reminder
sent twice is two messages there, whatever the reminders table says.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bench.reminders.fleet import FAR, Person, seed_linked
from bot.consent.texts import load_consents
from bot.crypto import Cipher
from bot.db.models import (
    Conversation,
    OutboundMessage,
    Reminder,
    ReminderStatus,
    as_utc,
)
from bot.db.session import create_db_engine
from bot.pseudonym import pseudonym
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.localstack import LocalStack

ALL_SENT_WITHIN = 90.0  # seconds after the kill; the lease of the dead dispatcher must pass first
MARKS = ("Reminder:", "Rappel :")
FAULT = "kill reminder dispatcher while sending"


@dataclass
class Batch:
    keys: list[str]
    appointment_ids: list[int] = field(default_factory=list)
    killed_after: int = 0  # reminders recorded as sent when the dispatcher was killed
    killed_at: dt.datetime = FAR


@dataclass(frozen=True)
class ReminderTally:
    reminders: int
    sent_before_kill: int
    received: int  # reminder messages in the participants' outboxes
    lost: int  # participants who received none
    sent_twice: int  # messages beyond the first for one participant
    all_sent_after: float | None  # seconds from the kill until every reminder is recorded sent

    @property
    def ok(self) -> bool:
        # At most one duplicate per kill: a dispatcher killed between sending and recording.
        return (
            not self.lost
            and self.sent_twice <= 1
            and self.all_sent_after is not None
            and 0 < self.sent_before_kill < self.reminders  # struck while sending
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "reminders": self.reminders,
            "reminders_sent_before_kill": self.sent_before_kill,
            "reminders_received": self.received,
            "reminders_lost": self.lost,
            "reminders_sent_twice": self.sent_twice,
            "all_reminders_sent_after_s": (
                None if self.all_sent_after is None else round(self.all_sent_after, 1)
            ),
        }


class KillDispatcherWhileSending:
    """The fault: `count` reminders made due, the gateway (their dispatcher) SIGKILLed once a
    random share of them has been sent."""

    def __init__(self, rng: random.Random, count: int = 60) -> None:
        self.rng, self.count = rng, count
        self.batches: list[Batch] = []

    def prepare(self, stack: LocalStack, tag: str) -> None:
        """Participants for this round, their reminders not due yet (seeded before people talk:
        the consent ledger is one chain, and its writers would only wait for each other)."""
        settings = _settings(stack)
        batch = Batch([pseudonym(settings.pseudonym_secret(), "web", f"{tag}-r{i}") for i in
                       range(self.count)])  # fmt: skip
        batch.appointment_ids = _seed(settings, batch.keys)
        self.batches.append(batch)

    def __call__(self, stack: LocalStack) -> None:
        from bench.chaos.scenario import child  # no cycle at import time

        batch = self.batches[-1]
        settings = _settings(stack)
        engine = create_db_engine(settings.db_url)
        try:
            gateway = child(stack, "gateway")
            share = self.rng.randint(1, max(1, self.count // 2))
            with Session(engine) as session, session.begin():
                session.execute(
                    update(Reminder)
                    .where(Reminder.appointment_id.in_(batch.appointment_ids))
                    .values(due_at=dt.datetime.now(dt.UTC))
                )
            deadline = time.monotonic() + 30
            while _sent(engine, batch) < share and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(gateway.pid, signal.SIGKILL)
            batch.killed_at = dt.datetime.now(dt.UTC)
            time.sleep(0.2)  # what it had committed before dying
            batch.killed_after = _sent(engine, batch)
        finally:
            engine.dispose()

    def outcome(self, stack: LocalStack) -> ReminderTally:
        """Once every reminder is recorded sent (or ALL_SENT_WITHIN has passed): the tally."""
        batch = self.batches[-1]
        settings = _settings(stack)
        engine = create_db_engine(settings.db_url)
        try:
            deadline = batch.killed_at + dt.timedelta(seconds=ALL_SENT_WITHIN)
            while _sent(engine, batch) < len(batch.keys) and dt.datetime.now(dt.UTC) < deadline:
                time.sleep(0.25)
            all_sent_after = _all_sent_after(engine, batch)
            received = _received(engine, Cipher.from_settings(settings), batch)
        finally:
            engine.dispose()
        return ReminderTally(
            reminders=len(batch.keys),
            sent_before_kill=batch.killed_after,
            received=sum(received.values()),
            lost=sum(1 for key in batch.keys if not received.get(key)),
            sent_twice=sum(n - 1 for n in received.values() if n > 1),
            all_sent_after=all_sent_after,
        )


def _settings(stack: LocalStack) -> Settings:
    return Settings(TRIALBOT_VAR_DIR=stack.var_dir, DATABASE_URL=stack.database_url)


def _seed(settings: Settings, keys: list[str]) -> list[int]:
    """A linked web chat participant per key, with consent to reminders, an appointment in 90
    minutes and its reminder (not due); the appointments' ids."""
    engine = create_db_engine(settings.db_url)
    people = [
        Person(key=key, lang="fr" if i % 2 else "en", code=f"C-{key[:12]}", channel="web")
        for i, key in enumerate(keys)
    ]
    try:
        with Session(engine) as session, session.begin():
            return seed_linked(
                session, people, load_consents(settings.knowledge_dir), dt.datetime.now(dt.UTC)
            )
    finally:
        engine.dispose()


def _sent(engine: Any, batch: Batch) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(
            Reminder.appointment_id.in_(batch.appointment_ids),
            Reminder.status == ReminderStatus.SENT,
        )
        return int(session.scalar(query) or 0)


def _all_sent_after(engine: Any, batch: Batch) -> float | None:
    """Seconds from the kill to the last reminder recorded sent; None while any is not."""
    if _sent(engine, batch) < len(batch.keys):
        return None
    with Session(engine) as session:
        last = session.scalar(
            select(func.max(Reminder.sent_at)).where(
                Reminder.appointment_id.in_(batch.appointment_ids)
            )
        )
    return None if last is None else (as_utc(last) - batch.killed_at).total_seconds()


def _received(engine: Any, cipher: Cipher, batch: Batch) -> dict[str, int]:
    """Reminder messages in each participant's web chat outbox."""
    counts: dict[str, int] = {}
    with Session(engine) as session:
        rows = session.execute(
            select(Conversation.sender_key, OutboundMessage.body)
            .join(OutboundMessage, OutboundMessage.conversation_id == Conversation.id)
            .where(Conversation.sender_key.in_(batch.keys))
        ).all()
    for key, body in rows:
        text = str(cipher.decrypt_json(body).get("text") or "")
        if text.startswith(MARKS):
            counts[key] = counts.get(key, 0) + 1
    return counts
