"""Tables of the application database."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _values(enum_cls: type[enum.StrEnum]) -> list[str]:
    return [member.value for member in enum_cls]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time in UTC: SQLite gives it back without its zone (it was written in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


ENCRYPTED = "encrypted"  # the column-info key that marks a Fernet-encrypted column


def encrypted(holds: str) -> Any:
    """A column whose values are Fernet tokens (`bot.crypto.Cipher`), because it holds `holds`.

    The mark is the registry (`encrypted_columns`): key rotation re-encrypts every column that
    has it, so a column declared this way cannot be left out of a rotation.
    """
    return mapped_column(Text, info={ENCRYPTED: holds})


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class LanguageSource(enum.StrEnum):
    """Why a conversation speaks the language it does, weakest first."""

    DEFAULT = "default"
    LOCALE = "locale"
    DETECTED = "detected"
    CHOSEN = "chosen"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Conversation(Base):
    """One person on one channel, known only by a pseudonym of their channel id."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    sender_key: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    language_source: Mapped[LanguageSource] = mapped_column(
        Enum(LanguageSource, native_enum=False, length=16, values_callable=_values)
    )
    # The slots the gateway last gave Rasa (language, emergency number), so that it only sends
    # them again when they change. Empty until Rasa has seen the conversation.
    rasa_slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    messages_seen: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the person last wrote: Messenger and WhatsApp only let the assistant write freely for
    # 24 hours after.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The channel's id for the person (Telegram chat, Messenger PSID, WhatsApp number), encrypted,
    # so the assistant can write first (a late answer, a reminder); nothing else stores it.
    address: Mapped[str | None] = encrypted("the person's id on Telegram, Messenger or WhatsApp")
    # The campaign that brought the person (first touch): /start camp_<id>, m.me/…?ref=camp_<id>.
    campaign: Mapped[str | None] = mapped_column(String(64), index=True)
    # The trial a link named (/start trial_<id>, ?ref=camp_<id>__<trial>): pre-screening starts
    # with it rather than asking which one.
    trial: Mapped[str | None] = mapped_column(String(64))
    # Set when the person withdrew consent or asked for no more messages: from then on the
    # assistant only answers what they write, and never writes first.
    messages_stopped_at: Mapped[datetime | None]
    # Web chat only: a keyed hash of the owner id in the signed token the server issued to the
    # browser or script that started the conversation; no one else may read or continue it.
    web_owner: Mapped[str | None] = mapped_column(String(64))

    inbound: Mapped[list[InboundMessage]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True
    )


class InboundMessage(Base):
    """A message received from a person, kept until Rasa has answered it."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        Index("ix_inbound_messages_status_id", "status", "id"),
        # Platforms deliver again when they get no answer in time: the second copy is dropped.
        UniqueConstraint("conversation_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str | None] = encrypted("what the person wrote")
    external_id: Mapped[str | None] = mapped_column(String(128))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[MessageStatus] = mapped_column(
        Enum(MessageStatus, native_enum=False, length=16, values_callable=_values),
        default=MessageStatus.PENDING,
    )
    # A gateway owns a pending message while it forwards it; an expired claim is up for grabs.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    # A web message sent with an id: the replies its request was given (a JSON list), for the
    # page that sends it again when the response was lost. Only the conversation's latest keeps
    # them.
    replies: Mapped[str | None] = encrypted("the replies a web message was given")

    conversation: Mapped[Conversation] = relationship(back_populates="inbound")


class OutboundMessage(Base):
    """A reply the assistant produced outside a request, waiting for its channel to fetch it."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # The reply as JSON ({"text", "buttons", "image"}), encrypted: it may repeat what the
    # person said, or carry a staff answer.
    body: Mapped[str] = encrypted("a reply waiting for the web page")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryReceipt(Base):
    """What a platform said of a message the assistant sent (WhatsApp's statuses): delivered,
    read, or failed with its error; one row per message, moved forward only."""

    __tablename__ = "delivery_receipts"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(128))  # the platform's id of the message
    status: Mapped[str] = mapped_column(String(16))  # sent, delivered, read or failed
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))  # the platform's code and title
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ButtonPayload(Base):
    """A button payload too long for Telegram's 64-byte callback data, kept under a short key."""

    __tablename__ = "button_payloads"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnansweredQuestion(Base):
    """A question the knowledge base had no vetted answer for, kept for staff to fill the gap."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = encrypted("a question the person asked (health details, often)")
    language: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(32))
    # The closest entries and their scores, e.g. [{"entry_id": "cost", "score": 0.41}].
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    trial: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AnswerFeedback(Base):
    """A person's "was this helpful?" on one answer."""

    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    entry_id: Mapped[str] = mapped_column(String(80), index=True)
    language: Mapped[str] = mapped_column(String(8))
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredConsentText(Base):
    """Every consent text ever shown, word for word, so that any ledger record can be proven."""

    __tablename__ = "consent_texts"

    # A new version may keep the words of the one before: the version is part of the key.
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    consent_id: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text)
    effective: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentSubject(Base):
    """The secret behind a person's pseudonym in the ledger; erasing it unlinks their records."""

    __tablename__ = "consent_subjects"

    sender_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentRecord(Base):
    """One decision in the consent ledger: append-only, each record hashing the one before."""

    __tablename__ = "consent_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)  # 1, 2, 3… with no gap
    participant: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    consent_id: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    text_sha256: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ErasureRequest(Base):
    """A confirmed request to erase a person's data; done once every store has forgotten them."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_key: Mapped[str | None] = mapped_column(String(64))  # cleared when done
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    erased: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what was removed, as counts


class AppointmentStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    RESCHEDULE_REQUESTED = "reschedule_requested"
    CANCELLED = "cancelled"


class ReminderStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Participant(Base):
    """An enrolled participant, known by the site's own code; linked to a chat once they bind it."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    trial: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The conversation the participant's chat binds to (a pseudonym, never a channel id).
    sender_key: Mapped[str | None] = mapped_column(String(64), index=True)
    linked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCode(Base):
    """A one-time code that binds a chat to a participant; only its SHA-256 is kept."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    trial: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[AppointmentStatus] = mapped_column(
        Enum(AppointmentStatus, native_enum=False, length=24, values_callable=_values),
        default=AppointmentStatus.SCHEDULED,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sendable:
    """The columns of a row the dispatcher sends (reminders, check-ins: bot.outbox,
    bot.reminders.dispatcher): where and when it went, its tries, and its claim."""

    channel: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(200))
    # Why it will not go out (withdrawn consent, messages stopped, appointment cancelled).
    cancel_reason: Mapped[str | None] = mapped_column(String(64))
    # A dispatcher's lease: it sends this row until then; after, another may take it over.
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # The idempotency key of the send in progress, written before the message goes: found on a
    # row still scheduled, it says a dispatcher stopped between sending and recording, so the
    # message may have gone out; `sends` counts the sends begun (2 or more: maybe twice).
    send_key: Mapped[str | None] = mapped_column(String(32))
    sends: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Reminder(Sendable, Base):
    """One reminder of one appointment, due at a moment; its state lives here, not in memory."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[ReminderStatus] = mapped_column(
        Enum(ReminderStatus, native_enum=False, length=16, values_callable=_values),
        default=ReminderStatus.SCHEDULED,
    )
    # When staff marked a failed reminder as dealt with (it leaves their inbox).
    reviewed_at: Mapped[datetime | None]


class CheckinStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # not due yet, or due and waiting for its send
    SENT = "sent"  # its questions are asked, answers are awaited until `closes_at`
    ANSWERED = "answered"  # every question answered or passed (or the person stopped it)
    MISSED = "missed"  # closed with no answer
    FAILED = "failed"  # the channel could not deliver it
    CANCELLED = "cancelled"  # may not go (no consent, messages stopped, the visit cancelled)


class Checkin(Sendable, Base):
    """One scheduled check-in of one participant (`knowledge/trials/<trial>/checkins.yml`):
    sent through the outbox like a reminder, then answered question by question in the chat.

    `occasion` says what it is relative to, "enrolment" or "appointment:<id>": with the
    participant and the check-in's id it is unique, so that planning it twice (two dispatchers,
    a restart) makes one row. The answers are encrypted: health data.
    """

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_status_due_at", "status", "due_at"),
        UniqueConstraint("participant_id", "checkin", "occasion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    trial: Mapped[str] = mapped_column(String(64))
    checkin: Mapped[str] = mapped_column(String(64))  # its id in checkins.yml
    occasion: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)  # of checkins.yml when it was planned
    due_at: Mapped[datetime] = mapped_column()
    closes_at: Mapped[datetime] = mapped_column()  # answers are taken until then
    status: Mapped[CheckinStatus] = mapped_column(
        Enum(CheckinStatus, native_enum=False, length=16, values_callable=_values),
        default=CheckinStatus.SCHEDULED,
    )
    # The question waiting for an answer; None before it is sent and once it is over.
    step: Mapped[str | None] = mapped_column(String(64))
    asked_again: Mapped[bool] = mapped_column(default=False)  # the step was asked a second time
    answers: Mapped[str | None] = mapped_column(
        Text, nullable=True, info={ENCRYPTED: "a participant's answers to a check-in"}
    )
    answered_at: Mapped[datetime | None]
    # The side effect an answer reported, with its follow-up.
    safety_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("safety_events.id", ondelete="SET NULL")
    )
    # When staff marked a check-in that could not be delivered as dealt with (inbox).
    reviewed_at: Mapped[datetime | None]


class Screening(Base):
    """One pre-screening of one person for one trial: its answers (encrypted) and its outcome."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    trial: Mapped[str] = mapped_column(String(64), index=True)
    criteria_version: Mapped[int] = mapped_column(Integer)
    # JSON {question_id: value}, Fernet-encrypted: these are health answers.
    answers: Mapped[str] = encrypted("the pre-screening answers")
    # incomplete | likely_eligible | not_eligible | needs_review | stopped
    outcome: Mapped[str] = mapped_column(String(24), default="incomplete")
    # JSON [{criterion, question, met}], encrypted: which criteria were met (pregnancy,
    # dialysis, insulin…) is health data. None until the answers were first evaluated.
    reasons: Mapped[str | None] = encrypted("which criteria were met")
    # Encrypted too: questions asked only after some answers (`ask_if`) tell those answers.
    next_question: Mapped[str | None] = encrypted("the next question, which tells earlier answers")
    campaign: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class FollowUp(Base):
    """What the study team owes a person: a call back, a review, an appointment to change.

    `contact`: the person asked to be contacted (with the contact consent), at a preferred time
    and on a preferred channel. `review`: a pre-screening answer needs a person's judgement
    (needs_review). `reschedule` / `cancel`: a participant's request about an appointment.
    """

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    trial: Mapped[str] = mapped_column(String(64))
    screening_id: Mapped[int | None] = mapped_column(
        ForeignKey("screenings.id", ondelete="CASCADE"), index=True
    )
    # The appointment a reschedule or cancel request is about.
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # contact | review | reschedule | cancel
    preferred_time: Mapped[str | None] = mapped_column(String(16))  # morning | afternoon | …
    channel: Mapped[str | None] = mapped_column(String(16))  # chat | phone
    phone: Mapped[str | None] = encrypted("the phone number to call the person back on")
    language: Mapped[str] = mapped_column(String(2), default="en")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done | cancelled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class SafetyEvent(Base):
    """An emergency or a side effect a person reported: what staff must review, and when the
    site learnt of it (`created_at`: reporting clocks start then). The text is encrypted."""

    __tablename__ = "safety_events"
    __table_args__ = (Index("ix_safety_events_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # emergency | adverse_event
    # chest_pain, …, suicide; after_treatment, reported: what happened to the person, encrypted.
    category: Mapped[str] = encrypted("what the emergency or side effect is")
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    trial: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = encrypted("the message that reported it")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    # A side effect's follow-up (bot.safety.followup.Facts as JSON), encrypted: health data.
    follow_up: Mapped[str | None] = mapped_column(
        Text, nullable=True, info={ENCRYPTED: "a side effect's onset, course, care and treatment"}
    )
    # The question the follow-up waits for an answer to; "later" while a form has the person's
    # attention, "done" once asked out; None for an emergency.
    follow_up_step: Mapped[str | None] = mapped_column(String(16))
    serious: Mapped[bool | None]
    report_due: Mapped[datetime | None]  # a serious event's reporting deadline
    alerted_at: Mapped[datetime | None]  # when staff were last alerted of a serious event


class StaffAlert(Base):
    """One alert of a safety event, or of a new handoff, to one place (the staff Telegram chat,
    e-mail): an outbox, written with what it tells of, sent and retried until delivered by any
    gateway or dispatcher."""

    __tablename__ = "staff_alerts"
    __table_args__ = (Index("ix_staff_alerts_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("safety_events.id", ondelete="CASCADE"), index=True
    )
    handoff_id: Mapped[int | None] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str] = mapped_column(String(16))  # telegram | email
    # pending | sent | grouped (told in a digest, bot.safety.alerts: sent_at once it went)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None]


class Handoff(Base):
    """A person's request for the study team (they asked, or the assistant misunderstood them
    twice): a short summary for staff, then the messages both ways. Free text is encrypted."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_status_created_at", "status", "created_at"),
        # At most one open request per person: a second one adds to it.
        Index(
            "uq_handoffs_open_sender_key",
            "sender_key",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    # Staff answers go out through this conversation's channel.
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    trial: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))  # asked | misunderstood
    summary: Mapped[str] = encrypted("what the person asked the study team")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(16))  # staff | patient


class HandoffMessage(Base):
    """One message of a handoff: the person's (kept for staff), or one for the person (a staff
    answer, the notice that staff closed it), delivered on their channel and retried until then."""

    __tablename__ = "handoff_messages"
    __table_args__ = (
        Index("ix_handoff_messages_delivery_next_attempt_at", "delivery", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(16))  # patient | staff | assistant
    text: Mapped[str] = encrypted("a message of the person, or for them")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # To the person: pending | sent | failed; None for what they wrote.
    delivery: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    # A sender's lease on a pending message; an expired one is up for grabs.
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None]


class StaffUser(Base):
    """A member of the site team who signs in to the staff pages. `role`: coordinator (the
    inbox, knowledge, funnel and participants) or admin (that, and accounts and the audit log)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower case
    role: Mapped[str] = mapped_column(String(16))  # coordinator | admin
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None]


class StaffAudit(Base):
    """Who did what, when: every staff action, kept when the account is removed."""

    __tablename__ = "staff_audit"
    __table_args__ = (Index("ix_staff_audit_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))  # the staff e-mail, or "cli:<user>"
    action: Mapped[str] = mapped_column(String(48))  # login, login_failed, safety.acknowledge, …
    subject: Mapped[str | None] = mapped_column(String(120))  # e.g. "safety_event:12"
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))  # the client's IP address


@dataclass(frozen=True)
class EncryptedColumn:
    """One column declared with `encrypted`: its model, attribute, and what it holds."""

    model: type[Base]
    attribute: str
    holds: str

    @property
    def name(self) -> str:
        return f"{self.model.__tablename__}.{self.attribute}"


def encrypted_columns() -> tuple[EncryptedColumn, ...]:
    """Every encrypted column of every table, by table then column order."""
    found = []
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.class_.__tablename__):
        for attribute in mapper.column_attrs:
            for stored in attribute.columns:
                if ENCRYPTED in stored.info:
                    found.append(
                        EncryptedColumn(mapper.class_, attribute.key, stored.info[ENCRYPTED])
                    )
    return tuple(found)
