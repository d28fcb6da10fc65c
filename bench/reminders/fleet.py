"""Many participants with a reminder due, real `trialbot dispatcher` processes, and the tally.

Shared by `bench/reminders` and the test of several dispatchers on PostgreSQL. The participants
are real rows: a Telegram chat (its address encrypted), the participant bound to it, their
consent to reminders in the ledger, an appointment in 90 minutes, and one reminder. The
reminders are made due in one statement once every dispatcher is up, so that the lag measures
the dispatchers and not their start.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bot.consent import service
from bot.consent.texts import load_consents
from bot.crypto import Cipher
from bot.db.models import (
    Appointment,
    Conversation,
    LanguageSource,
    Participant,
    Reminder,
    ReminderStatus,
    as_utc,
)
from bot.db.session import create_db_engine
from bot.settings import PROJECT_ROOT, Settings
from tests.fakes.telegram import FakeBotAPI

TRIAL, SITE = "demo-t2d-001", "paris-nord"
FIRST_CHAT = 500_000_000
FAR = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)  # not due until the dispatchers are up


def chat_of(index: int) -> int:
    return FIRST_CHAT + index


def seed(
    settings: Settings, count: int, progress: Callable[[int], None] = lambda done: None
) -> None:
    """`count` linked participants, each with one reminder, not due yet."""
    engine = create_db_engine(settings.db_url)
    cipher = Cipher.from_settings(settings)
    texts = load_consents(settings.knowledge_dir)
    now = dt.datetime.now(dt.UTC)
    try:
        for start in range(0, count, 500):
            indexes = range(start, min(start + 500, count))
            with Session(engine) as session, session.begin():
                _seed_batch(session, indexes, cipher, texts, now)
            progress(len(indexes))
    finally:
        engine.dispose()


def _seed_batch(
    session: Session, indexes: range, cipher: Cipher, texts: Any, now: dt.datetime
) -> None:
    people = [
        Person(
            key=f"telegram-bench{i:06d}",
            lang="fr" if i % 2 else "en",
            code=f"B-{i:06d}",
            channel="telegram",
            address=cipher.encrypt(str(chat_of(i))),
        )
        for i in indexes
    ]
    seed_linked(session, people, texts, now)


@dataclass(frozen=True)
class Person:
    key: str  # the conversation's sender key
    lang: str
    code: str  # participant code
    channel: str
    address: str | None = None  # encrypted, for a channel that sends to an address


def seed_linked(session: Session, people: list[Person], texts: Any, now: dt.datetime) -> list[int]:
    """Each person linked to TRIAL at SITE, with consent to reminders, an appointment in 90
    minutes and its reminder, not due (in 2100); the appointments' ids, in order."""
    session.execute(
        insert(Conversation),
        [
            {
                "channel": p.channel, "sender_key": p.key, "language": p.lang,
                "language_source": LanguageSource.CHOSEN, "address": p.address,
            }
            for p in people
        ],
    )  # fmt: skip
    participant_ids = session.scalars(
        insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
        [
            {
                "code": p.code, "trial": TRIAL, "language": p.lang,
                "timezone": "Europe/Paris", "sender_key": p.key, "linked_at": now,
            }
            for p in people
        ],
    ).all()  # fmt: skip
    for p in people:
        shown = service.to_ask(session, texts, p.key, "reminders", p.lang)
        assert shown is not None
        service.decide(session, p.key, shown.reference, agreed=True)
    appointment_ids = session.scalars(
        insert(Appointment).returning(Appointment.id, sort_by_parameter_order=True),
        [
            {
                "participant_id": pid, "trial": TRIAL, "site": SITE,
                "starts_at": now + dt.timedelta(minutes=90), "timezone": "Europe/Paris",
                "kind": "week 4",
            }
            for pid in participant_ids
        ],
    ).all()  # fmt: skip
    session.execute(
        insert(Reminder), [{"appointment_id": aid, "due_at": FAR} for aid in appointment_ids]
    )
    return list(appointment_ids)


def make_due(settings: Settings) -> dt.datetime:
    """Every seeded reminder due now, in one statement; that moment."""
    engine = create_db_engine(settings.db_url)
    try:
        with Session(engine) as session, session.begin():
            now = dt.datetime.now(dt.UTC)
            session.execute(update(Reminder).where(Reminder.due_at == FAR).values(due_at=now))
        return now
    finally:
        engine.dispose()


@dataclass
class Dispatchers:
    """`trialbot dispatcher` processes, each logging to a file of its own."""

    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    killed: list[float] = field(default_factory=list)

    def wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for process, log in zip(self.processes, self.logs, strict=True):
            while "reminder dispatcher up" not in log.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a dispatcher did not start:\n{log.read_text()}")
                time.sleep(0.1)

    def kill(self, index: int) -> None:
        """SIGKILL: no clean-up, no last write."""
        self.processes[index].send_signal(signal.SIGKILL)
        self.processes[index].wait()
        self.killed.append(time.monotonic())

    def output(self) -> str:
        return "\n".join(log.read_text() for log in self.logs)


@contextmanager
def dispatchers(
    settings: Settings, api: FakeBotAPI, count: int, environment: dict[str, str]
) -> Iterator[Dispatchers]:
    fleet = Dispatchers()
    # The dispatchers share this machine's var folder and its secrets, made here once as
    # `trialbot run` makes them: a process on PostgreSQL makes none of its own (bot.cli.stack).
    settings.pseudonym_secret(), settings.data_keys(), settings.staff_token()
    settings.rasa_token(), settings.action_token(), settings.telegram_secret()
    env = {
        **os.environ,
        "TRIALBOT_VAR_DIR": str(settings.var_dir),
        "DATABASE_URL": settings.database_url,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_BOT_USERNAME": "",
        "MESSENGER_PAGE_TOKEN": "",
        "REMINDER_INTERVAL_SECONDS": "0.5",
        "LOG_LEVEL": "INFO",
        **environment,
    }
    try:
        for number in range(count):
            log = settings.var_dir / f"dispatcher-{number}.log"
            command = [sys.executable, "-m", "bot", "dispatcher"]
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            fleet.processes.append(process)
            fleet.logs.append(log)
        yield fleet
    finally:
        for process in fleet.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in fleet.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def waiting(settings: Settings) -> int:
    """How many reminders are still to be sent."""
    engine = create_db_engine(settings.db_url)
    try:
        with Session(engine) as session:
            query = select(func.count()).where(Reminder.status == ReminderStatus.SCHEDULED)
            return int(session.scalar(query) or 0)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Tally:
    reminders: int
    delivered: int  # messages the Bot API accepted
    lost: int  # reminders whose chat got no message
    duplicated: int  # messages beyond the first in a chat
    maybe_twice: int  # reminders marked as possibly sent twice (a send begun, then a crash)
    refused_429: int
    failed: int  # reminders given up (dead letters)
    seconds: float  # from due to the last message
    per_second: float
    lag_p50: float
    lag_p99: float
    lag_max: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def tally(settings: Settings, api: FakeBotAPI, count: int, due: dt.datetime) -> Tally:
    received = Counter(int(m["chat_id"]) for m in api.sent_messages())
    engine = create_db_engine(settings.db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(Reminder.status, Reminder.sent_at)).all()
            maybe_twice = session.scalar(select(func.count()).where(Reminder.sends > 1))
    finally:
        engine.dispose()
    lags = sorted(
        (as_utc(sent) - due).total_seconds()
        for status, sent in rows
        if status == ReminderStatus.SENT and sent is not None
    )
    last = lags[-1] if lags else 0.0
    delivered = sum(received.values())
    return Tally(
        reminders=count,
        delivered=delivered,
        lost=sum(1 for i in range(count) if received[chat_of(i)] == 0),
        duplicated=sum(n - 1 for n in received.values() if n > 1),
        maybe_twice=int(maybe_twice or 0),
        refused_429=len(api.answered("sendMessage", 429)),
        failed=sum(1 for status, _ in rows if status == ReminderStatus.FAILED),
        seconds=last,
        per_second=delivered / last if last else 0.0,
        lag_p50=_quantile(lags, 0.50),
        lag_p99=_quantile(lags, 0.99),
        lag_max=last,
    )


def _quantile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]
