"""The right to erasure and retention: forgetting a person everywhere, or old conversations.

Erasure deletes what the application and Rasa's tracker store hold about the person, unbinds
them from any participant record, and destroys the secret behind their ledger pseudonym, which
leaves their consent records (the proof the trial keeps) tied to no one. Retention deletes whole
conversations that have been silent for longer than the configured period.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, delete, func, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.checkins import planning as checkins
from bot.consent import ledger
from bot.consent.service import channel_of
from bot.db.models import (
    AnswerFeedback,
    Conversation,
    ErasureRequest,
    FollowUp,
    Handoff,
    InboundMessage,
    OutboundMessage,
    Screening,
    UnansweredQuestion,
    utcnow,
)
from bot.db.session import normalise_url
from bot.handoff import service as handoffs
from bot.reminders import permission
from bot.screening import store

log = logging.getLogger(__name__)
# A custom message action_erase_confirmed sends: the gateway erases once Rasa has saved the turn.
ERASE_MARKER = "trialbot_erase"


@dataclass(frozen=True)
class Erased:
    conversation: int
    messages: int
    questions: int
    feedback: int
    consent_records_unlinked: int
    screenings: int
    reminders_cancelled: int
    tracker_events: int
    handoffs: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def request_erasure(session: Session, sender_key: str) -> ErasureRequest:
    """Note a confirmed request, so that a crash before it is carried out does not lose it."""
    request = ErasureRequest(sender_key=sender_key)
    session.add(request)
    session.flush()
    return request


def erase(session: Session, sender_key: str, tracker_url: str | None) -> Erased:
    """Delete what the application and Rasa hold about the person; tombstone the ledger."""
    language = "en"
    conversation = session.scalar(select(Conversation).where(Conversation.sender_key == sender_key))
    handoff_count = handoffs.erase(session, sender_key)  # before the conversation they hang on
    messages = 0
    if conversation is not None:
        language = conversation.language
        messages = _count_and_delete(
            session, InboundMessage, InboundMessage.conversation_id == conversation.id
        ) + _count_and_delete(
            session, OutboundMessage, OutboundMessage.conversation_id == conversation.id
        )
        session.delete(conversation)
    questions = _count_and_delete(
        session, UnansweredQuestion, UnansweredQuestion.sender_key == sender_key
    )
    feedback = _count_and_delete(session, AnswerFeedback, AnswerFeedback.sender_key == sender_key)
    screenings = store.erase(session, sender_key)
    reminders = permission.cancel_for(session, sender_key, "erased")
    checkins.forget_answers(session, sender_key)  # before the chat is unlinked from them
    permission.unlink(session, sender_key)
    unlinked = 0
    if ledger.participant(session, sender_key, create=False) is not None:
        unlinked = len(ledger.history(session, sender_key))
        ledger.tombstone(session, sender_key, channel_of(sender_key), language)
    events = erase_tracker(tracker_url, sender_key) if tracker_url else 0
    session.execute(
        update(ErasureRequest)
        .where(ErasureRequest.sender_key == sender_key, ErasureRequest.completed_at.is_(None))
        .values(sender_key=None, completed_at=utcnow())
    )
    return Erased(
        conversation=int(conversation is not None),
        messages=messages,
        questions=questions,
        feedback=feedback,
        consent_records_unlinked=unlinked,
        screenings=screenings,
        reminders_cancelled=reminders,
        tracker_events=events,
        handoffs=handoff_count,
    )


def erase_tracker(tracker_url: str, sender_key: str) -> int:
    """Delete the person's conversation from Rasa's SQL tracker store; how many events."""
    engine = create_engine(normalise_url(tracker_url))
    try:
        with engine.begin() as connection:
            if not _has_events_table(connection):
                return 0
            result = connection.execute(
                text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_key}
            )
            return int(result.rowcount or 0)
    finally:
        engine.dispose()


def pending_erasures(session: Session, older_than: dt.timedelta) -> list[str]:
    """Requests confirmed but not carried out (the gateway stopped in between)."""
    cutoff = utcnow() - older_than
    rows = session.scalars(
        select(ErasureRequest.sender_key).where(
            ErasureRequest.completed_at.is_(None),
            ErasureRequest.sender_key.is_not(None),
            ErasureRequest.requested_at < cutoff,
        )
    )
    return [row for row in rows if row]


def _count_and_delete(session: Session, model: type, condition: object) -> int:
    result = session.execute(delete(model).where(condition))  # type: ignore[arg-type]
    return int(getattr(result, "rowcount", 0) or 0)


def _has_events_table(connection: Connection) -> bool:
    return bool(inspect(connection).has_table("events"))


# Retention


@dataclass(frozen=True)
class Purged:
    conversations: int
    tracker_events: int
    questions: int
    feedback: int
    screenings: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def purge(
    session: Session, tracker_url: str | None, older_than: dt.timedelta, *, dry_run: bool = False
) -> Purged:
    """Remove conversations silent for longer than `older_than`, in the app and in Rasa.

    A conversation goes as a whole once the person has been silent for the whole period, so a
    long-running one is never cut in the middle. The consent ledger stays: it is the site's
    proof, and it holds no conversation.
    """
    cutoff = utcnow() - older_than
    stale = list(session.scalars(select(Conversation).where(Conversation.last_seen_at < cutoff)))
    events = _stale_tracker_events(tracker_url, cutoff, dry_run=dry_run) if tracker_url else 0
    questions = _older(session, UnansweredQuestion, UnansweredQuestion.created_at, cutoff, dry_run)
    feedback = _older(session, AnswerFeedback, AnswerFeedback.created_at, cutoff, dry_run)
    # Pre-screening answers: the consent text promises deletion after the retention period.
    _older(session, FollowUp, FollowUp.created_at, cutoff, dry_run)
    _older(session, Handoff, Handoff.created_at, cutoff, dry_run)  # their messages go with them
    screenings = _older(session, Screening, Screening.updated_at, cutoff, dry_run)
    if not dry_run:
        for conversation in stale:
            session.delete(conversation)  # its messages go with it (ON DELETE CASCADE)
    log.info("retention: %d stale conversation(s) %s", len(stale), "found" if dry_run else "purged")
    return Purged(len(stale), events, questions, feedback, screenings)


def _older(session: Session, model: type, moment: Any, cutoff: dt.datetime, dry_run: bool) -> int:
    if dry_run:
        query = select(func.count()).select_from(model).where(moment < cutoff)
        return int(session.scalar(query) or 0)
    return _count_and_delete(session, model, moment < cutoff)


def _stale_tracker_events(tracker_url: str, cutoff: dt.datetime, *, dry_run: bool) -> int:
    """Rasa's events of every sender whose last event is older than `cutoff`."""
    engine = create_engine(normalise_url(tracker_url))
    stale_senders = (
        "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
    )
    try:
        with engine.begin() as connection:
            if not _has_events_table(connection):
                return 0
            values = {"cutoff": cutoff.timestamp()}
            if dry_run:
                counted = connection.execute(
                    text(f"SELECT COUNT(*) FROM events WHERE sender_id IN ({stale_senders})"),  # noqa: S608
                    values,
                )
                return int(counted.scalar() or 0)
            result = connection.execute(
                text(f"DELETE FROM events WHERE sender_id IN ({stale_senders})"),  # noqa: S608
                values,
            )
            return int(result.rowcount or 0)
    finally:
        engine.dispose()
