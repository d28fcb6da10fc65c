"""Playing one scripted conversation through a running gateway's web chat, turn by turn.

Each conversation is a new web chat (a fresh sender, and a client of its own that keeps the
token the gateway issues as a cookie, so the conversation stays its own). What the database
knows of the person (safety events, the pre-screening outcome, an open handoff, a visit's
status) is read with the same pseudonym the gateway gives them, straight from the stack's
database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, select

from bench.conversations.check import Knowledge, Observed, Reply, check, read_knowledge
from bench.conversations.script import LANGS, Conversation, Turn
from bot.db.models import Appointment, Handoff, Participant, SafetyEvent, Screening
from bot.i18n import messages
from bot.pseudonym import pseudonym
from bot.settings import PROJECT_ROOT, Settings
from bot.trials import read_catalogue

CHAT_TIMEOUT = 120.0  # seconds: the whole stack on two shared cores can be slow
LATE_TIMEOUT = 60.0  # seconds to wait for a reply that comes later (Rasa was slow, staff)
VISIT_IN = dt.timedelta(days=3)
VISIT = {"en": "follow-up visit", "fr": "visite de suivi"}  # the kind staff give it


@dataclass(frozen=True)
class Target:
    """A running stack: its gateway, and its folder (database, secrets)."""

    gateway_url: str
    var_dir: Path
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"

    def settings(self) -> Settings:
        return Settings(TRIALBOT_VAR_DIR=self.var_dir, DATABASE_URL="")

    def trialbot(self, *args: str) -> str:
        environment = {**os.environ, "TRIALBOT_VAR_DIR": str(self.var_dir), "DATABASE_URL": ""}
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True, text=True, env=environment, cwd=PROJECT_ROOT, timeout=180,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"trialbot {args[0]} {args[1]} failed: {done.stderr[-800:]}")
        return done.stdout


@dataclass
class TurnResult:
    turn: Turn
    sent: str
    expected: dict[str, Any]
    failures: list[str]
    reply: str
    late: bool = False  # the reply came through /api/chat/updates after an apology

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class Played:
    conversation: Conversation
    turns: list[TurnResult] = field(default_factory=list)
    error: str | None = None  # the conversation could not be played to its end

    @property
    def passed(self) -> bool:
        return self.error is None and all(t.passed for t in self.turns)


class Player:
    """Plays conversations against one stack; safe to share between threads."""

    def __init__(self, target: Target) -> None:
        self.target = target
        settings = target.settings()
        self._secret = settings.pseudonym_secret()
        self.knowledge: Knowledge = read_knowledge(target.knowledge_dir, settings.emergency_number)
        self._engine: Engine = create_engine(settings.db_url)
        self._apologies = [
            messages.text("rasa_unavailable", lang, emergency_number=settings.emergency_number)
            for lang in ("en", "fr")
        ]

    def close(self) -> None:
        self._engine.dispose()

    def play(self, conversation: Conversation) -> Played:
        played = Played(conversation)
        with httpx.Client(base_url=self.target.gateway_url, timeout=CHAT_TIMEOUT) as client:
            chat = _Chat(client, f"bench-{uuid.uuid4().hex[:16]}", conversation.locale)
            try:
                values = self._prepare(conversation)
                lang = conversation.lang
                last = Reply(())
                for turn in conversation.turns:
                    if turn.expect.get("lang") in LANGS:
                        lang = str(turn.expect["lang"])  # the conversation goes on in it
                    result, last = self._turn(chat, turn, last, values, lang)
                    played.turns.append(result)
            except (httpx.HTTPError, RuntimeError, subprocess.TimeoutExpired) as error:
                played.error = f"{type(error).__name__}: {error}"
        return played

    def _prepare(self, conversation: Conversation) -> dict[str, str]:
        """Staff's part before the person writes: a registered participant and their visit."""
        if conversation.participant is None:
            return {}
        trial = conversation.participant
        code = f"BENCH-{uuid.uuid4().hex[:10].upper()}"
        added = json.loads(
            self.target.trialbot(
                "participants",
                "add",
                code,
                "--trial",
                trial,
                "--lang",
                conversation.lang,
                "--timezone",
                "Europe/Paris",
                "--json",
            )
        )
        site = next(iter(read_catalogue(self.target.knowledge_dir)[trial].sites))
        starts = (dt.datetime.now(dt.UTC) + VISIT_IN).replace(microsecond=0)
        visits = self.target.var_dir / f"visits-{code}.csv"
        visits.write_text(
            "participant_code,trial,site,starts_at,timezone,kind\n"
            f"{code},{trial},{site},{starts.isoformat()},Europe/Paris,{VISIT[conversation.lang]}\n"
        )
        self.target.trialbot("appointments", "import", str(visits))
        return {"link_code": str(added["link_code"]), "participant_code": code}

    def _turn(
        self, chat: _Chat, turn: Turn, last: Reply, values: dict[str, str], lang: str
    ) -> tuple[TurnResult, Reply]:
        key = pseudonym(self._secret, "web", chat.sender)
        before = self._safety_ids(key)
        failures: list[str] = []
        late = False
        if turn.action == "staff":
            sent = f"(staff) {turn.text}"
            reply = self._staff_answer(chat, key, turn.text)
        else:
            sent = turn.text.format(**values) if values else turn.text
            if turn.action == "press":
                payload = _payload(last, sent)
                if payload is None:
                    titles = [b.get("title", "") for b in last.buttons]
                    failures.append(f"press: no button {sent!r} in the last reply ({titles})")
                    payload = sent  # typed instead, as a person would
                sent = payload
            reply = chat.send(sent)
            key = pseudonym(self._secret, "web", chat.sender)
            if any(apology in reply.text for apology in self._apologies):
                late = True
                reply = Reply(reply.messages + chat.later(LATE_TIMEOUT), reply.page_lang)
        observed = self._observe(key, before)
        failures += check(turn.expect, reply, observed, self.knowledge, lang)
        shown = {"say": turn.text, "press": f"[{turn.text}]"}.get(turn.action, sent)
        return TurnResult(turn, shown, turn.expect, failures, reply.short(), late), reply

    def _staff_answer(self, chat: _Chat, key: str, text: str) -> Reply:
        with self._engine.connect() as db:
            handoff = db.scalar(
                select(Handoff.id).where(Handoff.sender_key == key, Handoff.status == "open")
            )
        if handoff is None:
            raise RuntimeError("a staff answer needs an open handoff, and there is none")
        chat.mark()
        self.target.trialbot("handoff", "reply", str(handoff), text)
        return Reply(chat.later(LATE_TIMEOUT))

    def _safety_ids(self, key: str) -> set[int]:
        with self._engine.connect() as db:
            return set(db.scalars(select(SafetyEvent.id).where(SafetyEvent.sender_key == key)))

    def _observe(self, key: str, before: set[int]) -> Observed:
        with self._engine.connect() as db:
            events = db.execute(
                select(SafetyEvent.id, SafetyEvent.kind)
                .where(SafetyEvent.sender_key == key)
                .order_by(SafetyEvent.id)
            ).all()
            outcome = db.scalar(
                select(Screening.outcome)
                .where(Screening.sender_key == key)
                .order_by(Screening.id.desc())
                .limit(1)
            )
            handoff = db.scalar(
                select(Handoff.id).where(Handoff.sender_key == key, Handoff.status == "open")
            )
            appointment = db.scalar(
                select(Appointment.status)
                .join(Participant, Participant.id == Appointment.participant_id)
                .where(Participant.sender_key == key)
                .order_by(Appointment.id)
                .limit(1)
            )
        return Observed(
            safety=[kind for ident, kind in events if ident not in before],
            outcome=outcome,
            handoff_open=handoff is not None,
            appointment=str(appointment) if appointment is not None else None,
        )


class _Chat:
    """One person's web chat: the id the gateway knows them by, and what came later."""

    def __init__(self, client: httpx.Client, sender: str, locale: str) -> None:
        self.client, self.sender, self.locale = client, sender, locale
        self._seen: int | None = None

    def send(self, text: str) -> Reply:
        body = {"sender": self.sender, "text": text, "locale": self.locale}
        response = self._post(body)
        data = response.json()
        # The conversation belongs to the token the gateway issued with the first answer: the
        # client keeps it as a cookie and sends it with every later message and poll.
        page = data.get("lang")
        return Reply(tuple(data.get("messages") or ()), page if isinstance(page, str) else None)

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        for _ in range(10):
            response = self.client.post("/api/chat", json=body)
            if response.status_code != 429:
                response.raise_for_status()
                return response
            time.sleep(float(response.headers.get("Retry-After") or 1))
        raise RuntimeError("the gateway kept answering 429 Too Many Requests")

    def mark(self) -> None:
        """Remember where the page's updates stand, to read only what comes after."""
        self._seen = self._updates(None)["last_id"]

    def later(self, timeout: float) -> tuple[dict[str, Any], ...]:
        """Messages that arrive after the mark (or the start), waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self._updates(self._seen or 0)
            if found["messages"]:
                self._seen = found["last_id"]
                time.sleep(1.0)  # a message often comes with others: take them together
                more = self._updates(self._seen)
                self._seen = more["last_id"]
                return tuple(found["messages"]) + tuple(more["messages"])
            time.sleep(0.5)
        return ()

    def _updates(self, after: int | None) -> dict[str, Any]:
        params: dict[str, Any] = {"sender": self.sender}
        if after is not None:
            params["after"] = after
        response = self.client.get("/api/chat/updates", params=params)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


def _payload(reply: Reply, title: str) -> str | None:
    """The payload of the reply's button with that title (case and spacing aside)."""
    wanted = " ".join(title.split()).casefold()
    for button in reply.buttons:
        if " ".join(str(button.get("title", "")).split()).casefold() == wanted:
            return str(button.get("payload") or "")
    return None
