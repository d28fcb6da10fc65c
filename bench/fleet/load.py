"""Scripted web chat conversations through the fleet's balancer, and what became of each message.

Each conversation is one person: a message, its answer, a pause, the next. Four scripts take
turns: questions, a whole pre-screening with its consent (DMX-101, likely eligible), a hand-off
to the study team and back, and a participant's appointment reminder: the study team registers
the person (`Study.enrol`, as `trialbot participants add` does), who sends the link code it gave
them in the web chat and says yes to reminders; the team books a visit in 3 hours through the
staff API, the dispatcher sends its reminder into the chat (the page reads it from
/api/chat/updates), and the person taps its Confirm button. A conversation that ends its script
starts again as a new person, until the run's time is up.

What counts, message by message (a message is one scripted text or button press, sent once):
- answered: its answer reached the person: in the response to its request, or (after "I have
  kept your message", or a request that failed because a gateway died with it) through
  /api/chat/updates within LATE_WAIT seconds. Its latency runs from the send to that moment.
- lost: sent and never answered (no answer within LATE_WAIT). A request that fails without any
  answer (the gateway died with it) is sent again with the same message id (`id`), as the page's
  Retry does: the gateway takes a message in once whatever the number of sends, and a resend
  gets the answer the message was given.
- duplicated: handled twice, or delivered twice: a message whose id Rasa's tracker holds in more
  than one user turn, or replies /api/chat/updates delivered while the person waited for none.
- out_of_order: a user turn in Rasa's tracker whose message id is lower than that of a turn
  before it in the same conversation (the gateway's message ids grow with each message, so that
  they are the sequence marker each message carries to Rasa, in its metadata).
- reminders: each booked visit's reminder reached the chat once (a second one would be in the
  sweep's repeats, and is counted in the database too: reminders sent for one appointment), and
  each Confirm tapped left the appointment confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.consent.ledger import Decision
from bot.crypto import Cipher
from bot.db.models import (
    Appointment,
    AppointmentStatus,
    ConsentRecord,
    Conversation,
    InboundMessage,
    Participant,
    Reminder,
    ReminderStatus,
    Screening,
)
from bot.db.session import create_db_engine
from bot.gateway.rasa import api_jwt
from bot.pseudonym import pseudonym
from bot.reminders import participants
from bot.settings import Settings
from bot.trials import Catalogue

LATE_WAIT = 90.0  # seconds a person waits for an answer that comes late
# Seconds after the run before the last look for repeats: a dead gateway's holds lapse within
# 6 s (bot.gateway.relay.LEASE), a live one's without a step within 2 × 15 + 5 s.
SETTLE = 40.0
RESENDS = 3  # times a request that failed (no answer at all) is sent again, with the same id
POLL = 0.5
KEPT = "I have kept your message"  # the apology that promises a late answer

Step = tuple[str, str]  # ("say", text) | ("press", button title) | ("consent", "")

QUESTIONS: list[Step] = [
    ("say", "how many visits are there?"),
    ("say", "can I leave the study whenever I want?"),
    ("say", "how much will it cost me to take part in a trial?"),
    ("say", "what is a placebo?"),
    ("say", "thank you"),
]
SCREENING: list[Step] = [
    ("say", "can I join the diabetes study?"),
    ("consent", ""),
    ("say", "I'm 52"),
    ("press", "Type 2 diabetes"),
    ("press", "Yes"),
    ("say", "yes I take metformin, and no insulin"),
    ("say", "7.8 %"),
    ("say", "no"),
    ("press", "Female"),
    ("press", "No"),
    ("press", "No, thanks"),
]
HANDOFF: list[Step] = [
    ("say", "how much will it cost me to take part in a trial?"),
    ("say", "I'd like to talk to a real person"),
    ("say", "can I bring my daughter to the visit?"),
    ("press", "Back to the assistant"),
    ("say", "can I leave the study whenever I want?"),
]
REMINDER: list[Step] = [
    ("link", ""),  # the link code the study team gave them
    ("consent", ""),  # yes to reminders
    ("reminder", ""),  # the team books a visit; its reminder comes into the chat
    ("press", "✅ Confirm"),
    ("say", "thank you"),
]
SCRIPTS = {
    "questions": QUESTIONS, "screening": SCREENING, "handoff": HANDOFF, "reminder": REMINDER,
}  # fmt: skip
TRIAL, SITE = "demo-t2d-001", "paris-nord"  # a trial with reminders, and one of its sites
VISIT_IN = dt.timedelta(hours=3)  # its 72 h and 24 h reminders passed: one goes out at once
# Zones tried for a participant, the first where it is day now: no reminder in quiet hours.
ZONES = ("Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata")
# Answers the pre-screening records for a person who finished its script.
SCREENING_ANSWERS = 6


@dataclass
class Sent:
    sender: str
    index: int
    at: float  # seconds from the start of the run
    latency: float | None = None  # None: never answered
    late: bool = False  # answered through /api/chat/updates
    error: str = ""


@dataclass
class Person:
    sender: str
    script: str
    finished: bool = False
    lost: bool = False
    token: str = ""  # the web chat's conversation token, for its updates
    seen: int = 0  # the last late reply read from /api/chat/updates
    code: str = ""  # a participant's code (the reminder script)
    reminded: float | None = None  # seconds from the booking to the reminder in the chat


class Study:
    """What the study team does for the reminder script's participants: registers each one
    (the Python of `trialbot participants add`) and books their visit (the staff API)."""

    def __init__(self, settings: Settings, url: str) -> None:
        self._settings = settings
        self._url = url
        self._engine = create_db_engine(settings.db_url)
        self._trials = set(Catalogue(settings.knowledge_dir).get())

    def enrol(self, code: str) -> str:
        """Register participant `code`; the link code they are given."""
        with Session(self._engine) as session, session.begin():
            added = participants.add(
                session, code, TRIAL, self._trials, timezone=daytime_zone(dt.datetime.now(dt.UTC))
            )
            return added.link_code

    async def book(self, code: str) -> None:
        starts = dt.datetime.now(dt.UTC) + VISIT_IN
        staff_token = {"Authorization": f"Bearer {self._settings.staff_token()}"}
        async with httpx.AsyncClient(base_url=self._url, timeout=30) as staff:
            for attempt in range(RESENDS + 1):  # a gateway may die with the request
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    if attempt:  # booked before the gateway died? Not booked twice, then.
                        listed = await staff.get(
                            "/api/staff/appointments", params={"participant": code},
                            headers=staff_token,
                        )  # fmt: skip
                        if listed.status_code == 200 and listed.json():
                            return
                    answer = await staff.post(
                        "/api/staff/appointments",
                        headers=staff_token,
                        json={
                            "participant_code": code, "trial": TRIAL, "site": SITE,
                            "starts_at": starts.isoformat(), "timezone": "Europe/Paris",
                            "kind": "week 4",
                        },
                    )  # fmt: skip
                    if answer.status_code == 201:
                        return
                await asyncio.sleep(1.0)
        raise RuntimeError(f"the visit of {code} could not be booked")

    def close(self) -> None:
        self._engine.dispose()


def daytime_zone(now: dt.datetime) -> str:
    """A zone of ZONES where it is between 9:00 and 18:00 now (reminders keep quiet hours)."""
    for zone in ZONES:
        if 9 <= now.astimezone(ZoneInfo(zone)).hour < 18:
            return zone
    return ZONES[0]


@dataclass
class Load:
    url: str
    run: str
    think: float = 2.0  # mean seconds between an answer and the next message
    started: float = field(default_factory=time.monotonic)
    sent: list[Sent] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    repeated: int = 0  # replies delivered while the person waited for none
    very_late: int = 0  # replies to a message counted lost, delivered after LATE_WAIT
    study: Study | None = None  # without it, no reminder script

    def now(self) -> float:
        return time.monotonic() - self.started

    async def drive(self, conversations: int, seconds: float) -> None:
        until = self.now() + seconds
        await asyncio.gather(*(self._person_after_person(n, until) for n in range(conversations)))

    async def _person_after_person(self, n: int, until: float) -> None:
        names = [name for name in SCRIPTS if name != "reminder" or self.study is not None]
        rounds = 0
        await asyncio.sleep(random.uniform(0, self.think))  # not all at once
        while self.now() < until:
            script = names[(n + rounds) % len(names)]
            person = Person(f"fleet-{self.run}-{n}-{rounds}", script)
            self.people.append(person)
            person.finished = await self._talk(person, SCRIPTS[script], until)
            rounds += 1

    async def _talk(self, person: Person, script: list[Step], until: float) -> bool:
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as client:
            # A conversation token first, as the page has one before the first message: a
            # first message whose request dies is still this person's to read late.
            with contextlib.suppress(httpx.HTTPError, ValueError):
                person.token = (await client.post("/api/chat/new")).json()["conversation"]
            last: list[dict[str, Any]] = []
            for index, (kind, value) in enumerate(script):
                if self.now() >= until:
                    return False
                if kind == "reminder":
                    last = await self._reminder(client, person)
                    if person.reminded is None:
                        person.lost = True
                        return False
                    await asyncio.sleep(random.expovariate(1 / self.think))
                    continue
                if kind == "link":
                    assert self.study is not None
                    person.code = f"FLEET-{person.sender.removeprefix('fleet-')}"
                    value = await asyncio.to_thread(self.study.enrol, person.code)
                text = _resolve(kind, value, last)
                record = Sent(person.sender, index, self.now())
                self.sent.append(record)
                last = await self._exchange(client, person, text, record)
                if record.latency is None:
                    person.lost = True
                    return False  # this person gives up
                await asyncio.sleep(random.expovariate(1 / self.think))
            return True

    async def _exchange(
        self, client: httpx.AsyncClient, person: Person, text: str, record: Sent
    ) -> list[dict[str, Any]]:
        """Send `text`; its answer, at once or late (none: not answered)."""
        sent_at, sender = time.monotonic(), person.sender
        request = {"sender": sender, "text": text, "lang": "en", "id": str(record.index)}
        for _ in range(RESENDS + 1):
            try:
                response = await client.post("/api/chat", json=request)
            except httpx.HTTPError as error:
                record.error = type(error).__name__
            else:
                if response.status_code == 200:
                    body = response.json()
                    person.token = body.get("conversation") or person.token
                    messages: list[dict[str, Any]] = body["messages"]
                    if messages and not any(KEPT in (m.get("text") or "") for m in messages):
                        record.latency = time.monotonic() - sent_at
                        return messages
                    break  # kept for later (Rasa away), or nothing to give again: it comes late
                record.error = f"HTTP {response.status_code}"
            # The gateway died with the request, before or after taking the message in: sent
            # again with its id, as the page would, it is taken in once.
            await asyncio.sleep(1.0)
        # Kept for later, or the gateway died with the request: the answer comes through
        # the updates, once the recovery loop of a gateway has forwarded it.
        deadline = time.monotonic() + LATE_WAIT
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL)
            try:
                got = await client.get(
                    "/api/chat/updates", params={"sender": sender, "after": person.seen}, timeout=10
                )
                if got.status_code != 200:
                    continue
                late = got.json()
            except (httpx.HTTPError, ValueError):
                continue
            if late["messages"]:
                record.latency, record.late = time.monotonic() - sent_at, True
                person.seen = int(late["last_id"])
                return list(late["messages"])
        return []

    async def _reminder(self, client: httpx.AsyncClient, person: Person) -> list[dict[str, Any]]:
        """The study team books the person's visit; the reminder as it reaches the chat (none
        within LATE_WAIT: `person.reminded` stays None)."""
        assert self.study is not None
        booked = time.monotonic()
        await self.study.book(person.code)
        while time.monotonic() < booked + LATE_WAIT:
            await asyncio.sleep(POLL)
            try:
                got = await client.get(
                    "/api/chat/updates", params={"sender": person.sender, "after": person.seen}
                )
                if got.status_code != 200:
                    continue
                late = got.json()
            except (httpx.HTTPError, ValueError):
                continue
            if late["messages"]:
                person.seen = int(late["last_id"])
                messages: list[dict[str, Any]] = late["messages"]
                if any(_reminds(m) for m in messages):
                    person.reminded = time.monotonic() - booked
                    return messages
        return []

    async def sweep(self) -> None:
        """After the run (and SETTLE): replies delivered late that no message waited
        for. To a person whose every message was answered, a repeat; else a very late answer."""
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            for person in self.people:
                if not person.token:
                    continue
                try:
                    got = await client.get(
                        "/api/chat/updates",
                        params={"sender": person.sender, "after": person.seen},
                        headers={"X-Chat-Token": person.token},
                    )
                    extra = len(got.json()["messages"]) if got.status_code == 200 else 0
                except (httpx.HTTPError, ValueError, KeyError):
                    continue
                if person.lost:
                    self.very_late += extra
                else:
                    self.repeated += extra


def _reminds(message: dict[str, Any]) -> bool:
    """Whether a message is an appointment's reminder: its Confirm button."""
    return any(
        str(b.get("payload", "")).startswith("/confirm_appointment")
        for b in message.get("buttons") or []
    )


def _resolve(kind: str, value: str, last: list[dict[str, Any]]) -> str:
    """The text a step sends: a button's payload when the last answer offers it, else words."""
    buttons = [b for m in last for b in m.get("buttons", [])]
    if kind == "consent":
        chosen = [b for b in buttons if '"decision":"yes"' in b["payload"]]
        return str(chosen[0]["payload"]) if chosen else "yes"
    if kind == "press":
        chosen = [b for b in buttons if b["title"] == value]
        return str(chosen[0]["payload"]) if chosen else value
    return value


@dataclass
class Checked:
    tracker_turns: int
    handled_twice: int
    out_of_order: int
    screenings_expected: int
    screenings_recorded: int
    consents_recorded: int
    # Finished screenings not found whole, and the last messages of people who got no answer.
    unrecorded: list[str] = field(default_factory=list)
    reminders_booked: int = 0  # visits booked for the reminder script's people
    reminders_received: int = 0  # their reminders read in the chat
    reminders_sent_twice: int = 0  # reminders sent for one appointment beyond the first
    confirmed_expected: int = 0  # Confirm tapped and answered
    confirmed_recorded: int = 0  # of those, appointments confirmed in the database


def check(settings: Settings, rasa_url: str, people: list[Person]) -> Checked:
    """What Rasa's tracker store and the database hold of the people's conversations."""
    secret = settings.pseudonym_secret()
    token = api_jwt(settings.rasa_token(), time.time() + 600)
    twice = disorder = turns = 0
    with httpx.Client(base_url=rasa_url, timeout=30) as rasa:
        for person in people:
            key = pseudonym(secret, "web", person.sender)
            answer = rasa.get(
                f"/conversations/{key}/tracker",
                params={"include_events": "ALL"},
                headers={"Authorization": f"Bearer {token}"},
            )
            answer.raise_for_status()
            marks = [
                (event.get("metadata") or {}).get("message_id")
                for event in answer.json().get("events") or []
                if event.get("event") == "user"
            ]
            ids: list[int] = [i for i in marks if isinstance(i, int)]
            turns += len(ids)
            twice += sum(n - 1 for n in Counter(ids).values() if n > 1)
            highest = 0
            for message_id in ids:
                disorder += message_id < highest
                highest = max(highest, message_id)
    finished = [p for p in people if p.script == "screening" and p.finished]
    keys = {pseudonym(secret, "web", p.sender) for p in finished}
    cipher = Cipher.from_settings(settings)
    engine = create_db_engine(settings.db_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(Screening).where(Screening.sender_key.in_(keys))).all()
            whole = {
                row.sender_key
                for row in rows
                if row.completed_at is not None
                and len(json.loads(cipher.decrypt(row.answers))) >= SCREENING_ANSWERS
            }
            names = {pseudonym(secret, "web", p.sender): p.sender for p in finished}
            missing = [
                f"{names[row.sender_key]}: {row.outcome} {json.loads(cipher.decrypt(row.answers))}"
                for row in rows
                if row.sender_key not in whole
            ]
            missing += [f"{names[k]}: none" for k in keys - {row.sender_key for row in rows}]
            for person in (p for p in people if p.lost):
                key = pseudonym(secret, "web", person.sender)
                held = session.execute(
                    select(InboundMessage.id, InboundMessage.external_id, InboundMessage.status,
                           InboundMessage.attempts, InboundMessage.claimed_until)
                    .join(Conversation, Conversation.id == InboundMessage.conversation_id)
                    .where(Conversation.sender_key == key)
                    .order_by(InboundMessage.id)
                ).all()  # fmt: skip
                missing.append(f"lost {person.sender}: {[tuple(row) for row in held][-3:]}")
            consents = int(
                session.scalar(
                    select(func.count()).where(ConsentRecord.decision == Decision.GRANTED)
                )
                or 0
            )
            reminders = _reminders(session, people)
    finally:
        engine.dispose()
    return Checked(turns, twice, disorder, len(finished), len(whole), consents, missing, *reminders)


def _reminders(session: Session, people: list[Person]) -> tuple[int, int, int, int, int]:
    """Visits booked, reminders read in the chat, reminders sent for one appointment beyond
    the first, Confirm taps answered, and of those the appointments confirmed."""
    codes = [p.code for p in people if p.script == "reminder" and p.code]
    booked = session.execute(
        select(Appointment.id, Participant.code, Appointment.status)
        .join(Participant, Participant.id == Appointment.participant_id)
        .where(Participant.code.in_(codes))
    ).all()
    sent = Counter(
        session.scalars(
            select(Reminder.appointment_id).where(
                Reminder.appointment_id.in_([row.id for row in booked]),
                Reminder.status == ReminderStatus.SENT,
            )
        )
    )
    twice = sum(n - 1 for n in sent.values() if n > 1)
    # Confirm is the step after the reminder: answered once the person's script went past it.
    tapped = {p.code for p in people if p.reminded is not None and p.finished}
    confirmed = sum(
        1 for row in booked if row.code in tapped and row.status == AppointmentStatus.CONFIRMED
    )
    received = sum(1 for p in people if p.reminded is not None)
    return len(booked), received, twice, len(tapped), confirmed


def quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def latencies(sent: list[Sent], since: float = 0.0, until: float = float("inf")) -> list[float]:
    """The latencies of the messages sent from `since` to `until` (seconds into the run)."""
    return [s.latency for s in sent if s.latency is not None and since <= s.at < until]
