"""Scripted web chat conversations through the fleet's balancer, and what became of each message.

Each conversation is one person: a message, its answer, a pause, the next. Three scripts take
turns: questions, a whole pre-screening with its consent (DMX-101, likely eligible), and a
hand-off to the study team and back. A conversation that ends its script starts again as a new
person, until the run's time is up.

What counts, message by message (a message is one scripted text or button press, sent once):
- answered: its answer reached the person: in the response to its request, or (after "I have
  kept your message", or a request that failed because a gateway died with it) through
  /api/chat/updates within LATE_WAIT seconds. Its latency runs from the send to that moment.
- lost: sent and never answered (no answer within LATE_WAIT). A request that fails without any
  answer (the gateway died with it) is sent again with the same message id (`id`), as the page
  would: the gateway takes a message in once whatever the number of sends.
- duplicated: handled twice, or delivered twice: a message whose id Rasa's tracker holds in more
  than one user turn, or replies /api/chat/updates delivered while the person waited for none.
- out_of_order: a user turn in Rasa's tracker whose message id is lower than that of a turn
  before it in the same conversation (the gateway's message ids grow with each message, so that
  they are the sequence marker each message carries to Rasa, in its metadata).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.consent.ledger import Decision
from bot.crypto import Cipher
from bot.db.models import ConsentRecord, Conversation, InboundMessage, Screening
from bot.db.session import create_db_engine
from bot.gateway.rasa import api_jwt
from bot.pseudonym import pseudonym
from bot.settings import Settings

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
    ("press", "No, thank you"),
]
HANDOFF: list[Step] = [
    ("say", "how much will it cost me to take part in a trial?"),
    ("say", "I'd like to talk to a real person"),
    ("say", "can I bring my daughter to the visit?"),
    ("press", "Back to the assistant"),
    ("say", "can I leave the study whenever I want?"),
]
SCRIPTS = {"questions": QUESTIONS, "screening": SCREENING, "handoff": HANDOFF}
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

    def now(self) -> float:
        return time.monotonic() - self.started

    async def drive(self, conversations: int, seconds: float) -> None:
        until = self.now() + seconds
        await asyncio.gather(*(self._person_after_person(n, until) for n in range(conversations)))

    async def _person_after_person(self, n: int, until: float) -> None:
        names = list(SCRIPTS)
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
                    break  # kept for later, or a repeat of one taken in: the answer comes late
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
    finally:
        engine.dispose()
    return Checked(turns, twice, disorder, len(finished), len(whole), consents, missing)


def quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def latencies(sent: list[Sent], since: float = 0.0, until: float = float("inf")) -> list[float]:
    """The latencies of the messages sent from `since` to `until` (seconds into the run)."""
    return [s.latency for s in sent if s.latency is not None and since <= s.at < until]
