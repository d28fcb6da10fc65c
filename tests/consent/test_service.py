"""Asking, re-asking after a new version, withdrawal, erasure and retention, on both databases."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.consent import ledger, service
from bot.consent.ledger import Decision
from bot.consent.texts import load_consents
from bot.crypto import Cipher
from bot.db.models import (
    AnswerFeedback,
    Conversation,
    Handoff,
    HandoffMessage,
    InboundMessage,
    LanguageSource,
    OutboundMessage,
    UnansweredQuestion,
    utcnow,
)
from bot.handoff import service as handoffs
from bot.keys import reencrypt
from bot.rights import erasure, withdrawal
from bot.settings import PROJECT_ROOT
from tests.handoff.factories import handoff

WHO = "web-4f1c0d"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "consent", target / "consent")
    return target


def _conversation(session: Session, key: str = WHO, seen: dt.datetime | None = None) -> int:
    conversation = Conversation(
        channel="web",
        sender_key=key,
        language="en",
        language_source=LanguageSource.DEFAULT,
        last_seen_at=seen or utcnow(),
    )
    session.add(conversation)
    session.flush()
    session.add(InboundMessage(conversation_id=conversation.id, text="secret"))
    session.add(OutboundMessage(conversation_id=conversation.id, body="late"))
    session.add(
        UnansweredQuestion(sender_key=key, text="x", language="en", reason="low", candidates=[])
    )
    session.add(AnswerFeedback(sender_key=key, entry_id="cost", language="en", helpful=True))
    return conversation.id


def _agree(session: Session, knowledge: Path, consent: str = "prescreening") -> None:
    shown = service.to_ask(session, load_consents(knowledge), WHO, consent, "en")
    assert shown is not None
    service.decide(session, WHO, shown.reference, agreed=True)


def test_asked_once_then_again_when_a_new_version_takes_effect(
    sessions: sessionmaker[Session], knowledge: Path
) -> None:
    with sessions.begin() as session:
        _agree(session, knowledge)
        assert service.to_ask(session, load_consents(knowledge), WHO, "prescreening", "en") is None
        assert service.has_consent(session, load_consents(knowledge), WHO, "prescreening")
    for lang in ("en", "fr"):
        path = knowledge / "consent" / f"prescreening.{lang}.md"
        text = path.read_text().replace("version: 1", "version: 2")
        path.write_text(text.replace("effective: 2026-11-01", f"effective: {dt.date.today()}"))
    texts = load_consents(knowledge)
    with sessions.begin() as session:
        assert not service.has_consent(session, texts, WHO, "prescreening")
        again = service.to_ask(session, texts, WHO, "prescreening", "en")
        assert again is not None and again.version == 2
        service.decide(session, WHO, again.reference, agreed=True)
        assert service.has_consent(session, texts, WHO, "prescreening")
        assert [r.version for r in ledger.history(session, WHO)] == [1, 2]


def test_the_same_answer_to_the_same_text_again_is_not_recorded_twice(
    sessions: sessionmaker[Session], knowledge: Path
) -> None:
    """A tap twice, or an action run again after its server died, leaves one record; a changed
    mind is recorded."""
    with sessions.begin() as session:
        shown = service.to_ask(session, load_consents(knowledge), WHO, "contact", "en")
        assert shown is not None
        first = service.decide(session, WHO, shown.reference, agreed=True)
        assert service.decide(session, WHO, shown.reference, agreed=True).id == first.id
        service.decide(session, WHO, shown.reference, agreed=False)
        service.decide(session, WHO, shown.reference, agreed=True)
        decisions = [record.decision for record in ledger.history(session, WHO)]
    assert decisions == [Decision.GRANTED, Decision.REFUSED, Decision.GRANTED]


def test_a_version_not_yet_in_effect_is_not_shown(knowledge: Path) -> None:
    path = knowledge / "consent" / "contact.en.md"
    future = dt.date.today() + dt.timedelta(days=30)
    text = path.read_text().replace("version: 1", "version: 2")
    path.write_text(text.replace("effective: 2026-11-01", f"effective: {future}"))
    (knowledge / "consent" / "contact.fr.md").write_text(
        (knowledge / "consent" / "contact.fr.md").read_text().replace("version: 1", "version: 2")
    )
    assert load_consents(knowledge).current("contact", "en", dt.date.today()) is None
    assert load_consents(knowledge).current("contact", "en", future).version == 2  # type: ignore[union-attr]


def test_a_decision_on_a_text_never_shown_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(service.UnknownConsentText):
        service.decide(session, WHO, "f" * 64 + ":1", agreed=True)


def test_withdrawal_records_it_and_stops_every_message_but_the_receipt(
    sessions: sessionmaker[Session], knowledge: Path
) -> None:
    with sessions.begin() as session:
        _conversation(session)
        _agree(session, knowledge, "prescreening")
        _agree(session, knowledge, "reminders")
        assert service.may_write_first(session, WHO)
    with sessions.begin() as session:
        withdrawn = withdrawal.withdraw(session, WHO)
    assert sorted(r.consent_id for r in withdrawn) == ["prescreening", "reminders"]
    with sessions() as session:
        assert ledger.granted(session, WHO) == {}
        assert not service.may_write_first(session, WHO)
        assert session.scalars(select(OutboundMessage)).all() == []  # queued messages dropped
        assert ledger.verify(session).ok


def test_erasure_forgets_the_person_everywhere_but_keeps_the_ledger_whole(
    sessions: sessionmaker[Session], knowledge: Path, tmp_path: Path
) -> None:
    tracker = tmp_path / "tracker.db"
    with sqlite3.connect(tracker) as connection:  # Rasa's SQL tracker store table
        connection.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name"
            " VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255),"
            " data TEXT)"
        )
        connection.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data)"
            " VALUES (?, 'user', 1, '{}')",
            [(WHO,), (WHO,), ("web-someone-else",)],
        )
    cipher = Cipher([Fernet.generate_key()])
    with sessions.begin() as session:
        _conversation(session)
        _conversation(session, "web-someone-else")
        _agree(session, knowledge)
        asked = handoff(session, cipher, WHO, text="can a nurse call me about my dose?")
        handoffs.reply(session, cipher, asked.id, "Yes, tomorrow morning.")
        erasure.request_erasure(session, WHO)
    with sessions.begin() as session:
        erased = erasure.erase(session, WHO, f"sqlite:///{tracker}")
    assert erased.as_dict() == {
        "conversation": 1,
        "messages": 2,
        "questions": 1,
        "feedback": 1,
        "consent_records_unlinked": 1,
        "screenings": 0,
        "reminders_cancelled": 0,
        "tracker_events": 2,
        "handoffs": 1,
    }
    with sessions() as session:
        assert session.scalars(select(Conversation.sender_key)).all() == ["web-someone-else"]
        assert session.scalars(select(Handoff)).all() == []
        assert session.scalars(select(HandoffMessage)).all() == []
        assert ledger.participant(session, WHO, create=False) is None
        assert [r["decision"] for r in ledger.export_rows(session)] == ["granted", "erased"]
        assert ledger.verify(session).ok
        assert erasure.pending_erasures(session, dt.timedelta(0)) == []
    with sqlite3.connect(tracker) as connection:
        left = connection.execute("SELECT sender_id FROM events").fetchall()
    assert left == [("web-someone-else",)]


def test_retention_purges_silent_conversations_only(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    long_ago = utcnow() - dt.timedelta(days=400)
    with sessions.begin() as session:
        _conversation(session, "web-old", seen=long_ago)
        _conversation(session, "web-recent")
        for row in session.scalars(select(UnansweredQuestion)).all():
            if row.sender_key == "web-old":
                row.created_at = long_ago
    with sessions.begin() as session:
        counted = erasure.purge(session, None, dt.timedelta(days=180), dry_run=True)
    assert (counted.conversations, counted.questions) == (1, 1)
    with sessions.begin() as session:
        erasure.purge(session, None, dt.timedelta(days=180))
    with sessions() as session:
        assert session.scalars(select(Conversation.sender_key)).all() == ["web-recent"]
        assert len(session.scalars(select(InboundMessage)).all()) == 1
        assert session.scalars(select(UnansweredQuestion.sender_key)).all() == ["web-recent"]


def test_key_rotation_reencrypts_everything_with_the_new_key(
    sessions: sessionmaker[Session],
) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key(), Fernet.generate_key()
    with sessions.begin() as session:
        conversation = Conversation(
            channel="telegram",
            sender_key="telegram-1",
            language="en",
            language_source=LanguageSource.DEFAULT,
            address=Cipher([old]).encrypt("chat-42"),
        )
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    with sessions.begin() as session:
        assert reencrypt(session, Cipher([new, old])) == 1
    with sessions() as session:
        stored = session.get(Conversation, conversation_id)
        assert stored is not None and stored.address is not None
        assert Cipher([new]).decrypt(stored.address) == "chat-42"  # the old key is not needed
