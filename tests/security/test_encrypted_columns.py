"""Patient text and health data are encrypted wherever they sit in the app database, and a key
rotation reaches every such value: the old key can go once `trialbot keys rotate` has run.

The inventory below is the review of every column of every table: the ones that must be
encrypted, and, for each of the others, why it may stay in clear. A new column fails the first
test until it is added to one list or the other.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot import keys
from bot.channels.base import Reply
from bot.channels.web import WebChannel
from bot.checkins import asking as checkin_asking
from bot.cli import app
from bot.consent import service as consent
from bot.consent.texts import LoadedConsents, load_consents
from bot.conversations import get_or_create
from bot.crypto import Cipher, DecryptionError
from bot.db.migrate import downgrade, upgrade
from bot.db.models import Base, Checkin, CheckinStatus, InboundMessage, Participant, utcnow
from bot.db.session import create_db_engine, make_session_factory
from bot.handoff import service as handoffs
from bot.knowledge.gaps import record_unanswered
from bot.rights import erasure
from bot.safety import asking, events
from bot.safety.detect import Finding
from bot.screening import report, store
from bot.screening.criteria import Criteria, load_criteria
from bot.settings import PROJECT_ROOT, Settings, get_settings
from bot.trials import read_catalogue

# What must never be stored in clear: table.column, and what it holds.
ENCRYPTED = {
    "conversations.address": "the person's id on Telegram or Messenger, to write to them",
    "inbound_messages.text": "what the person wrote",
    "inbound_messages.replies": "the replies a web message was given: answers, echoes",
    "outbound_messages.body": "web chat replies waiting for the page: staff answers, echoes",
    "unanswered_questions.text": "a question the person asked (health details often)",
    "screenings.answers": "the pre-screening answers: health data",
    "screenings.reasons": "which criteria were met: pregnancy, dialysis, insulin…",
    "screenings.next_question": "the next question; `ask_if` makes it tell earlier answers",
    "follow_ups.phone": "the number the person gave to be called back on",
    "safety_events.text": "the message that reported an emergency or a side effect",
    "safety_events.category": "what the emergency is: chest pain, bleeding, suicide…",
    "safety_events.follow_up": "a side effect's onset, course, care, treatment and the answers",
    "checkins.answers": "a participant's answers to a check-in: symptoms, doses missed",
    "handoffs.summary": "what the person asked the study team",
    "handoff_messages.text": "the person's messages and staff answers",
}

_BOOKKEEPING = "an id, a time, a counter, a lease or a delivery state of the assistant's own"
_PSEUDONYM = "a keyed hash (HMAC) of the channel id, never the id itself"
_LANGUAGE = "en or fr"
_TRIAL = "the study's id: needed in clear to route, count and filter; the pseudonym protects"
_ERROR = "a delivery error of a platform (status and reason), never the message sent"

# Every other column, and why it may stay in clear.
CLEAR = {
    "answer_feedback.id": _BOOKKEEPING,
    "answer_feedback.sender_key": _PSEUDONYM,
    "answer_feedback.entry_id": "the id of the knowledge entry that answered, not the question",
    "answer_feedback.language": _LANGUAGE,
    "answer_feedback.helpful": "yes or no to 'was this helpful?'",
    "answer_feedback.created_at": _BOOKKEEPING,
    "appointments.id": _BOOKKEEPING,
    "appointments.participant_id": _BOOKKEEPING,
    "appointments.trial": _TRIAL,
    "appointments.site": "the site's id, from its own schedule",
    "appointments.starts_at": "when, for the reminders' queries; the participant is a code",
    "appointments.timezone": "the site's or participant's zone name",
    "appointments.kind": "the visit's name in the protocol's schedule, the same for everyone",
    "appointments.status": _BOOKKEEPING,
    "appointments.created_at": _BOOKKEEPING,
    "button_payloads.key": "a hash of the payload",
    "button_payloads.payload": "a button the assistant offered, linked to no person",
    "button_payloads.created_at": _BOOKKEEPING,
    "checkins.id": _BOOKKEEPING,
    "checkins.participant_id": _BOOKKEEPING,
    "checkins.trial": _TRIAL,
    "checkins.checkin": "the check-in's id in the trial's schedule, the same for everyone",
    "checkins.occasion": "enrolment, or the id of the visit it follows",
    "checkins.version": "the schedule file's version",
    "checkins.due_at": _BOOKKEEPING,
    "checkins.closes_at": _BOOKKEEPING,
    "checkins.status": "scheduled, sent, answered, missed…: whether, never what, they answered",
    "checkins.step": "the id of the question waiting for an answer, the same for everyone",
    "checkins.asked_again": _BOOKKEEPING,
    "checkins.answered_at": _BOOKKEEPING,
    "checkins.safety_event_id": "the side effect an answer reported; its text is encrypted",
    "checkins.channel": "web, telegram or messenger",
    "checkins.attempts": _BOOKKEEPING,
    "checkins.sent_at": _BOOKKEEPING,
    "checkins.message_id": "the platform's id of the message sent",
    "checkins.last_error": _ERROR,
    "checkins.cancel_reason": "why it will not go: a reason of the assistant's own",
    "checkins.claimed_until": _BOOKKEEPING,
    "checkins.claim_token": _BOOKKEEPING,
    "checkins.send_key": _BOOKKEEPING,
    "checkins.sends": _BOOKKEEPING,
    "consent_ledger.id": _BOOKKEEPING,
    "consent_ledger.seq": _BOOKKEEPING,
    "consent_ledger.participant": "a pseudonym whose secret erasure deletes (unlinking the record)",
    "consent_ledger.channel": "web, telegram or messenger",
    "consent_ledger.consent_id": "which consent: prescreening, contact, reminders",
    "consent_ledger.version": "the version of the text shown",
    "consent_ledger.language": _LANGUAGE,
    "consent_ledger.text_sha256": "the hash of the public text shown",
    "consent_ledger.decision": "yes or no: must be provable by the hash chain, not health data",
    "consent_ledger.recorded_at": _BOOKKEEPING,
    "consent_ledger.prev_hash": "the hash chain",
    "consent_ledger.hash": "the hash chain",
    "consent_subjects.sender_key": _PSEUDONYM,
    "consent_subjects.secret": "the random secret behind the ledger's pseudonym; erased",
    "consent_subjects.created_at": _BOOKKEEPING,
    "consent_texts.sha256": "the hash of a public consent text",
    "consent_texts.version": "the text's version",
    "consent_texts.consent_id": "which consent",
    "consent_texts.language": _LANGUAGE,
    "consent_texts.title": "the public consent text's title, the same for everyone",
    "consent_texts.effective": "the text's date",
    "consent_texts.body": "the public consent text, word for word, the same for everyone",
    "consent_texts.stored_at": _BOOKKEEPING,
    "conversations.id": _BOOKKEEPING,
    "conversations.channel": "web, telegram or messenger",
    "conversations.sender_key": _PSEUDONYM,
    "conversations.language": _LANGUAGE,
    "conversations.language_source": "how the language was chosen: default, locale, detected…",
    "conversations.rasa_slots": "what the gateway gave Rasa: language, emergency number, trial",
    "conversations.messages_seen": _BOOKKEEPING,
    "conversations.created_at": _BOOKKEEPING,
    "conversations.last_seen_at": _BOOKKEEPING,
    "conversations.campaign": "the advertising campaign's id from the link followed",
    "conversations.trial": _TRIAL,
    "conversations.messages_stopped_at": _BOOKKEEPING,
    "conversations.web_owner": "a keyed hash of the web chat's owner token",
    "erasure_requests.id": _BOOKKEEPING,
    "erasure_requests.sender_key": _PSEUDONYM + " (cleared once erased)",
    "erasure_requests.requested_at": _BOOKKEEPING,
    "erasure_requests.completed_at": _BOOKKEEPING,
    "erasure_requests.erased": "counts of what was removed",
    "follow_ups.id": _BOOKKEEPING,
    "follow_ups.sender_key": _PSEUDONYM,
    "follow_ups.trial": _TRIAL,
    "follow_ups.screening_id": _BOOKKEEPING,
    "follow_ups.appointment_id": _BOOKKEEPING,
    "follow_ups.kind": "contact, review, reschedule or cancel: what staff must do",
    "follow_ups.preferred_time": "morning, afternoon or evening",
    "follow_ups.channel": "chat or phone",
    "follow_ups.language": _LANGUAGE,
    "follow_ups.status": _BOOKKEEPING,
    "follow_ups.created_at": _BOOKKEEPING,
    "follow_ups.closed_at": _BOOKKEEPING,
    "handoff_messages.id": _BOOKKEEPING,
    "handoff_messages.handoff_id": _BOOKKEEPING,
    "handoff_messages.author": "patient, staff or assistant",
    "handoff_messages.created_at": _BOOKKEEPING,
    "handoff_messages.delivery": _BOOKKEEPING,
    "handoff_messages.attempts": _BOOKKEEPING,
    "handoff_messages.next_attempt_at": _BOOKKEEPING,
    "handoff_messages.claimed_until": _BOOKKEEPING,
    "handoff_messages.claim_token": _BOOKKEEPING,
    "handoff_messages.last_error": _ERROR,
    "handoff_messages.sent_at": _BOOKKEEPING,
    "handoffs.id": _BOOKKEEPING,
    "handoffs.sender_key": _PSEUDONYM,
    "delivery_receipts.id": _BOOKKEEPING,
    "delivery_receipts.channel": "whatsapp (a platform's name)",
    "delivery_receipts.message_id": "the platform's id of a message sent",
    "delivery_receipts.status": _BOOKKEEPING,
    "delivery_receipts.delivered_at": _BOOKKEEPING,
    "delivery_receipts.read_at": _BOOKKEEPING,
    "delivery_receipts.failed_at": _BOOKKEEPING,
    "delivery_receipts.error": _ERROR,
    "delivery_receipts.updated_at": _BOOKKEEPING,
    "handoffs.conversation_id": _BOOKKEEPING,
    "handoffs.channel": "web, telegram or messenger",
    "handoffs.language": _LANGUAGE,
    "handoffs.trial": _TRIAL,
    "handoffs.reason": "asked or misunderstood",
    "handoffs.status": _BOOKKEEPING,
    "handoffs.created_at": _BOOKKEEPING,
    "handoffs.closed_at": _BOOKKEEPING,
    "handoffs.closed_by": "staff or patient",
    "inbound_messages.id": _BOOKKEEPING,
    "inbound_messages.conversation_id": _BOOKKEEPING,
    "inbound_messages.external_id": "the platform's id of the delivery (an update number)",
    "inbound_messages.meta": "the gateway's own keys; no channel puts the person's words there",
    "inbound_messages.status": _BOOKKEEPING,
    "inbound_messages.claim_token": _BOOKKEEPING,
    "inbound_messages.claimed_until": _BOOKKEEPING,
    "inbound_messages.attempts": _BOOKKEEPING,
    "inbound_messages.last_error": "Rasa's error (status, exception name), never the message",
    "inbound_messages.received_at": _BOOKKEEPING,
    "inbound_messages.answered_at": _BOOKKEEPING,
    "link_codes.id": _BOOKKEEPING,
    "link_codes.participant_id": _BOOKKEEPING,
    "link_codes.code_sha256": "only the hash of the one-time code",
    "link_codes.expires_at": _BOOKKEEPING,
    "link_codes.used_at": _BOOKKEEPING,
    "link_codes.created_at": _BOOKKEEPING,
    "outbound_messages.id": _BOOKKEEPING,
    "outbound_messages.conversation_id": _BOOKKEEPING,
    "outbound_messages.created_at": _BOOKKEEPING,
    "participants.id": _BOOKKEEPING,
    "participants.code": "the site's pseudonymous participant code, the key staff look up by",
    "participants.trial": _TRIAL,
    "participants.language": _LANGUAGE,
    "participants.timezone": "a zone name, for reminders",
    "participants.sender_key": _PSEUDONYM,
    "participants.linked_at": _BOOKKEEPING,
    "participants.created_at": _BOOKKEEPING,
    "reminders.id": _BOOKKEEPING,
    "reminders.appointment_id": _BOOKKEEPING,
    "reminders.due_at": _BOOKKEEPING,
    "reminders.status": _BOOKKEEPING,
    "reminders.channel": "web, telegram or messenger",
    "reminders.attempts": _BOOKKEEPING,
    "reminders.sent_at": _BOOKKEEPING,
    "reminders.message_id": "the platform's id of the message sent",
    "reminders.last_error": _ERROR,
    "reminders.cancel_reason": "the assistant's own words: withdrawn consent, cancelled visit…",
    "reminders.claimed_until": _BOOKKEEPING,
    "reminders.claim_token": _BOOKKEEPING,
    "reminders.send_key": _BOOKKEEPING,
    "reminders.sends": _BOOKKEEPING,
    "reminders.reviewed_at": _BOOKKEEPING,
    "checkins.reviewed_at": _BOOKKEEPING,
    "safety_events.id": _BOOKKEEPING,
    "safety_events.kind": "emergency or side effect: the category and the text say what",
    "safety_events.sender_key": _PSEUDONYM,
    "safety_events.channel": "web, telegram or messenger",
    "safety_events.language": _LANGUAGE,
    "safety_events.trial": _TRIAL,
    "safety_events.status": _BOOKKEEPING,
    "safety_events.created_at": "when the site learnt of it: reporting clocks start then",
    "safety_events.acknowledged_at": _BOOKKEEPING,
    "safety_events.follow_up_step": "the follow-up question awaited (its name, never an answer)",
    "safety_events.serious": "whether the event is serious; what makes it so is in follow_up",
    "safety_events.report_due": "the reporting deadline: created_at plus a setting",
    "safety_events.alerted_at": _BOOKKEEPING,
    "screenings.id": _BOOKKEEPING,
    "screenings.sender_key": _PSEUDONYM,
    "screenings.trial": _TRIAL,
    "screenings.criteria_version": "the version of the trial's criteria file",
    "screenings.outcome": "likely eligible or not, for the funnel's SQL counts; why is encrypted",
    "screenings.campaign": "the advertising campaign's id",
    "screenings.started_at": _BOOKKEEPING,
    "screenings.updated_at": _BOOKKEEPING,
    "screenings.completed_at": _BOOKKEEPING,
    "staff_alerts.id": _BOOKKEEPING,
    "staff_alerts.event_id": _BOOKKEEPING,
    "staff_alerts.handoff_id": _BOOKKEEPING,
    "staff_alerts.target": "telegram or email: the alert's text is composed when sent, not stored",
    "staff_alerts.status": _BOOKKEEPING,
    "staff_alerts.attempts": _BOOKKEEPING,
    "staff_alerts.next_attempt_at": _BOOKKEEPING,
    "staff_alerts.claim_token": _BOOKKEEPING,
    "staff_alerts.claimed_until": _BOOKKEEPING,
    "staff_alerts.last_error": _ERROR,
    "staff_alerts.sent_at": _BOOKKEEPING,
    "staff_audit.id": _BOOKKEEPING,
    "staff_audit.at": _BOOKKEEPING,
    "staff_audit.actor": "a staff e-mail or cli:<user>: staff, not patients",
    "staff_audit.action": "what was done: login, safety.acknowledge…",
    "staff_audit.subject": "an id: safety_event:12, participant:<site code>",
    "staff_audit.detail": "counts, roles, file names, visit times; a reply's length, not its text",
    "staff_audit.address": "the staff member's IP address",
    "staff_sessions.id": _BOOKKEEPING,
    "staff_sessions.token_sha256": "only the hash of the session cookie",
    "staff_sessions.user_id": _BOOKKEEPING,
    "staff_sessions.csrf_token": "a random token of a staff session",
    "staff_sessions.created_at": _BOOKKEEPING,
    "staff_sessions.last_seen_at": _BOOKKEEPING,
    "staff_sessions.expires_at": _BOOKKEEPING,
    "staff_sessions.ended_at": _BOOKKEEPING,
    "staff_users.id": _BOOKKEEPING,
    "staff_users.email": "a staff member's address: staff, not patients",
    "staff_users.role": "coordinator or admin",
    "staff_users.password_hash": "an argon2id hash",
    "staff_users.failed_logins": _BOOKKEEPING,
    "staff_users.locked_until": _BOOKKEEPING,
    "staff_users.disabled_at": _BOOKKEEPING,
    "staff_users.last_login_at": _BOOKKEEPING,
    "staff_users.created_at": _BOOKKEEPING,
    "unanswered_questions.id": _BOOKKEEPING,
    "unanswered_questions.sender_key": _PSEUDONYM,
    "unanswered_questions.language": _LANGUAGE,
    "unanswered_questions.reason": "low_confidence, out_of_scope, ambiguous or misread:…",
    "unanswered_questions.candidates": "ids of the knowledge entries tried and their scores",
    "unanswered_questions.trial": _TRIAL,
    "unanswered_questions.created_at": _BOOKKEEPING,
}

# What the people below wrote or answered: none of it may be found in clear in any table.
WHO, SHE = "web-5e1f", "telegram-77aa"
PHONE = "+33 6 12 34 56 78"
SAID = "I want to end my life, I stopped my insulin"
ASKED = "Can I still join if I am on dialysis three times a week?"
REPORTED = "Since yesterday the tablets give me a rash on both arms"
SUMMARY = "Wants to know if her pregnancy excludes her"
WROTE = "I think I am pregnant, is that a problem?"
ANSWER = "Message from the study team: your HbA1c of 9.1 is in range"
CHAT_ID = "987654321"
PATIENT_WORDS = (
    PHONE, "12 34 56 78", "end my life", "dialysis three", "pregnan", "hba1c of 9",
    "insulin", "dialysis", "metformin", "diabetes_type", "breastfeeding", "suicide", CHAT_ID,
    "wellbeing", "every morning",
)  # fmt: skip
CHECKED_IN = ("2 hypos", "yes, nausea every morning", "4")  # a participant's check-in answers


def _name(model: Any, attribute: str) -> str:
    return f"{model.__tablename__}.{attribute}"


@pytest.fixture
def texts() -> LoadedConsents:
    return load_consents(PROJECT_ROOT / "knowledge")


@pytest.fixture
def criteria() -> Criteria:
    loaded, _ = load_criteria(PROJECT_ROOT / "knowledge/trials/demo-t2d-001/eligibility.yml")
    assert loaded is not None
    return loaded


@pytest.fixture
def operator(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The settings `trialbot` runs with: the embedded default key file under var/."""
    upgrade(database_url)
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PSEUDONYM_KEY", "test-key")
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        get_settings.cache_clear()


@pytest.fixture
def engine(operator: Settings) -> Iterator[Engine]:
    engine = create_db_engine(operator.db_url)
    yield engine
    engine.dispose()


def _people_write(
    sessions: sessionmaker[Session],
    settings: Settings,
    cipher: Cipher,
    texts: LoadedConsents,
    criteria: Criteria,
) -> None:
    """Two people use the assistant: pre-screening, a call-back, a crisis, the study team."""
    for who in (WHO, SHE):
        with sessions.begin() as session:
            get_or_create(session, channel=who.split("-")[0], sender_key=who, default_language="en")
            shown = consent.to_ask(session, texts, who, "prescreening", "en")
            assert shown is not None
            consent.decide(session, who, shown.reference, agreed=True)
    with sessions.begin() as session:
        started = store.start(session, cipher, texts, WHO, criteria)
        store.answer(
            session, cipher, texts, started.screening_id, criteria,
            {"age": 52, "diabetes_type": "type_2", "diagnosed_6_months": True,
             "metformin": True, "insulin": True},
        )  # fmt: skip
        screening = store.latest(session, WHO)
        assert screening is not None
        store.follow_up(session, cipher, screening, "contact", "en", channel="phone", phone=PHONE)
        record_unanswered(
            session, cipher=cipher, sender_key=WHO, text=ASKED, language="en",
            reason="low_confidence", candidates=[],
        )  # fmt: skip
        events.record(
            session, settings, cipher, Finding("emergency", "suicide", "end my life"),
            sender_key=WHO, channel="web", language="en", text=SAID, trial="demo-t2d-001",
        )  # fmt: skip
        side_effect = events.record(
            session, settings, cipher, Finding("adverse_event", "reported", "rash"),
            sender_key=WHO, channel="web", language="en", text=REPORTED, trial="demo-t2d-001",
        )  # fmt: skip
        asking.start(session, settings, cipher, side_effect, REPORTED, ask_now=True)
    with sessions.begin() as session:
        started = store.start(session, cipher, texts, SHE, criteria)
        progress = store.answer(
            session, cipher, texts, started.screening_id, criteria,
            {"age": 31, "diabetes_type": "type_2", "diagnosed_6_months": True,
             "metformin": True, "insulin": False, "hba1c": 8.2, "dialysis": False,
             "sex": "female"},
        )  # fmt: skip
        assert progress.result.next_question == "pregnant_or_breastfeeding"
        she = get_or_create(session, channel="telegram", sender_key=SHE, default_language="en")
        she.address = cipher.encrypt(CHAT_ID)  # as the relay keeps it
        session.add(InboundMessage(conversation_id=she.id, text=cipher.encrypt(WROTE)))
        opened = handoffs.open_for(
            session, cipher, settings, sender_key=SHE, reason="asked", summary=SUMMARY,
            text=WROTE, trial="demo-t2d-001",
        )  # fmt: skip
        assert opened is not None
        handoffs.note(session, cipher, SHE, WROTE)
        handoffs.reply(session, cipher, opened.handoff.id, "Please call the nurse about it")
        web = get_or_create(session, channel="web", sender_key=WHO, default_language="en")
        web_id = web.id
        given = cipher.encrypt_json([Reply(text=ANSWER).to_json()])  # as the relay keeps it
        session.add(InboundMessage(conversation_id=web_id, external_id="web:1", replies=given))
    WebChannel(sessions, cipher)._store(web_id, [Reply(text=ANSWER)])
    _checks_in(sessions, settings, cipher)


def _checks_in(sessions: sessionmaker[Session], settings: Settings, cipher: Cipher) -> None:
    """WHO, enrolled in the diabetes study, answers their two-week check-in in the chat."""
    trial = read_catalogue(PROJECT_ROOT / "knowledge")["demo-t2d-001"]
    assert trial.checkins is not None
    planned = trial.checkins.checkins[0]
    with sessions.begin() as session:
        person = Participant(code="P-ENC", trial=trial.id, sender_key=WHO, linked_at=utcnow())
        session.add(person)
        session.flush()
        row = Checkin(
            participant_id=person.id, trial=trial.id, checkin=planned.id, occasion="enrolment",
            version=1, due_at=utcnow(), closes_at=utcnow() + dt.timedelta(days=2),
            status=CheckinStatus.SENT, step=planned.questions[0].id, channel="web",
        )  # fmt: skip
        session.add(row)
        session.flush()
        for said in CHECKED_IN:
            checkin_asking.answer(
                session, settings, cipher, row, planned, said, language="en", trial=trial
            )
        assert row.status == CheckinStatus.ANSWERED and row.safety_event_id is not None


def _raw_rows(engine: Engine) -> Iterator[tuple[str, str, Any]]:
    """(table, column, value) of every stored value, read with plain SQL (no ORM, no cipher)."""
    with engine.connect() as connection:
        for stored in Base.metadata.sorted_tables:
            for row in connection.execute(select(stored)).mappings():
                for name, value in row.items():
                    yield stored.name, name, value


def _opens(cipher: Cipher, value: Any) -> bool:
    """Whether `value` is a Fernet token this cipher decrypts."""
    try:
        cipher.decrypt(str(value))
    except DecryptionError:
        return False
    return True


def _registry() -> set[str]:
    return {_name(model, attribute) for model, attribute in keys.ENCRYPTED}


def test_every_column_is_reviewed_and_the_registry_holds_exactly_the_sensitive_ones() -> None:
    columns = {f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns}
    assert not set(ENCRYPTED) & set(CLEAR)
    assert columns - set(ENCRYPTED) - set(CLEAR) == set(), "columns nobody reviewed"
    assert set(ENCRYPTED) | set(CLEAR) == columns
    assert _registry() == set(ENCRYPTED)


def test_no_patient_text_or_health_data_is_stored_in_clear(
    operator: Settings, engine: Engine, texts: LoadedConsents, criteria: Criteria
) -> None:
    sessions = make_session_factory(engine)
    cipher = Cipher.from_settings(operator)
    _people_write(sessions, operator, cipher, texts, criteria)
    found, clear = [], set()
    for where, name, value in _raw_rows(engine):
        if where == "consent_texts" or value is None:
            continue  # the public consent texts, the same for everyone
        stored = json.dumps(value) if isinstance(value, dict | list) else str(value)
        found += [f"{where}.{name}: {w!r}" for w in PATIENT_WORDS if w.lower() in stored.lower()]
        if f"{where}.{name}" in ENCRYPTED and not _opens(cipher, stored):
            clear.add(f"{where}.{name}")
    assert found == []
    assert clear == set()
    # The product still reads what it wrote.
    with sessions() as session:
        (screened, *_) = report.screenings(session, cipher, outcome="not_eligible")
        assert {"criterion": "not excluded: insulin equals yes", "question": "insulin",
                "met": False} in screened["reasons"]  # fmt: skip
        checked_in, side_effect, event = events.listed(session, cipher)  # newest first
        assert "low blood sugar" in checked_in["text"] and "2 hypos" in checked_in["text"]
        row = session.scalars(select(Checkin)).one()
        given = checkin_asking.Given.of(row, cipher)
        assert given.answers == {"hypos": 2, "stomach": True, "wellbeing": 4}
        assert (event["category"], event["text"]) == ("suicide", SAID)
        assert side_effect["text"] == REPORTED
        assert side_effect["follow_up"]["onset"] is not None  # "since yesterday", read back
    outbox = WebChannel(sessions, cipher)._updates(WHO, 0)["messages"]
    assert [m["text"] for m in outbox] == [ANSWER]


def test_after_a_rotation_the_old_key_can_go_and_everything_still_reads(
    operator: Settings, engine: Engine, texts: LoadedConsents, criteria: Criteria
) -> None:
    old = Cipher.from_settings(operator)  # creates var/secrets/data_key, as a first run does
    _people_write(make_session_factory(engine), operator, old, texts, criteria)
    rotated = CliRunner().invoke(app, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    newest = operator.data_key_file.read_text().split(",")[0]
    operator.data_key_file.write_text(newest)  # the operator drops the old key
    cipher = Cipher([newest.encode()])
    held = {
        (f"{where}.{name}", _opens(cipher, value))
        for where, name, value in _raw_rows(engine)
        if f"{where}.{name}" in ENCRYPTED and value
    }
    assert {name for name, readable in held if not readable} == set()
    assert {name for name, _ in held} == set(ENCRYPTED)  # every column had a value to rotate
    # The operator reads what was re-encrypted, column by column.
    said = " ".join(rotated.stdout.split())
    assert "safety_events.text 3" in said and "screenings.reasons 2" in said
    assert "checkins.answers 1" in said


def test_the_migration_encrypts_what_was_stored_in_clear_and_downgrade_restores_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", key.decode())
    get_settings.cache_clear()
    before = "a1c3e5f7b016"
    upgrade(database_url, before)
    reasons = [{"criterion": "not excluded: dialysis equals yes", "question": "dialysis",
                "met": False}]  # fmt: skip
    body = {"text": ANSWER}
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO conversations (id, channel, sender_key, language, language_source,"
                " rasa_slots, messages_seen, created_at, last_seen_at) VALUES (1, 'web', :who,"
                " 'en', 'default', '{}', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ), {"who": WHO})  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO outbound_messages (conversation_id, body, created_at)"
                    " VALUES (1, :body, CURRENT_TIMESTAMP)"
                ),
                {"body": json.dumps(body)},
            )
            connection.execute(
                text(
                    "INSERT INTO screenings (sender_key, trial, criteria_version, answers, outcome,"
                    " reasons, next_question, started_at, updated_at) VALUES (:who, 'demo-t2d-001',"
                    " 3, :answers, 'incomplete', :reasons, 'pregnant_or_breastfeeding',"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {
                    "who": WHO,
                    "answers": Cipher([key]).encrypt("{}"),
                    "reasons": json.dumps(reasons),
                },
            )
            connection.execute(
                text(
                    "INSERT INTO safety_events (kind, category, sender_key, channel, language,"
                    " text, status, created_at) VALUES ('emergency', 'suicide', :who, 'web', 'en',"
                    " :said, 'open', CURRENT_TIMESTAMP)"
                ),
                {"who": WHO, "said": Cipher([key]).encrypt(SAID)},
            )
        upgrade(database_url)
        cipher = Cipher([key])
        stored = {
            f"{where}.{name}": value
            for where, name, value in _raw_rows(engine)
            if f"{where}.{name}" in ENCRYPTED and value
        }
        decrypted = {name: cipher.decrypt(value) for name, value in stored.items()}
        assert json.loads(decrypted["screenings.reasons"]) == reasons
        assert json.loads(decrypted["outbound_messages.body"]) == body
        assert decrypted["screenings.next_question"] == "pregnant_or_breastfeeding"
        assert decrypted["safety_events.category"] == "suicide"
        downgrade(database_url, before)
        with engine.connect() as connection:
            back = connection.execute(text("SELECT reasons, next_question FROM screenings")).one()
            category = connection.execute(text("SELECT category FROM safety_events")).scalar()
            kept = connection.execute(text("SELECT body FROM outbound_messages")).scalar()
        as_json = [json.loads(v) if isinstance(v, str) else v for v in (back[0], kept)]
        assert as_json == [reasons, body]
        assert (back[1], category) == ("pregnant_or_breastfeeding", "suicide")
    finally:
        engine.dispose()
        get_settings.cache_clear()


def test_a_value_no_key_opens_stops_the_rotation_with_a_message_and_changes_nothing(
    operator: Settings, engine: Engine, texts: LoadedConsents, criteria: Criteria
) -> None:
    cipher = Cipher.from_settings(operator)
    sessions = make_session_factory(engine)
    _people_write(sessions, operator, cipher, texts, criteria)
    lost = Cipher([Fernet.generate_key()])  # a key the operator removed too early
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE safety_events SET text = :token"), {"token": lost.encrypt(SAID)}
        )
    before = list(_raw_rows(engine))
    rotated = CliRunner().invoke(app, ["keys", "rotate", "--reencrypt-only"])
    assert rotated.exit_code == 1
    said = " ".join(rotated.output.split())
    assert "no configured key decrypts safety_events.text of row 1" in said
    assert "Traceback" not in said and SAID not in said
    assert list(_raw_rows(engine)) == before


def test_erasure_removes_every_encrypted_value_but_the_safety_reports(
    operator: Settings, engine: Engine, texts: LoadedConsents, criteria: Criteria
) -> None:
    sessions = make_session_factory(engine)
    _people_write(sessions, operator, Cipher.from_settings(operator), texts, criteria)
    with sessions.begin() as session:
        for who in (WHO, SHE):
            erasure.erase(session, who, None)
    left = {f"{where}.{name}" for where, name, value in _raw_rows(engine) if value}
    # Safety reports are kept for pharmacovigilance (encrypted, under a pseudonym).
    assert left & set(ENCRYPTED) == {
        "safety_events.text", "safety_events.category", "safety_events.follow_up"
    }  # fmt: skip
