"""Handoffs: opened for a person, added to while open, answered, closed, listed, erased.

A person has at most one open handoff; asking again, or writing while it is open, adds to it.
A staff answer, and the notice that staff closed it, are queued for the person in the same
transaction (`delivery` sends them on the conversation's channel), so none is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import conversations
from bot.crypto import Cipher
from bot.db.models import Handoff, HandoffMessage, as_utc, utcnow
from bot.i18n import messages
from bot.safety import alerts
from bot.settings import Settings

# The payload of the "Back to the assistant" button: the gateway closes the handoff on it, then
# lets it go on to Rasa, which says so and takes up a form where it was.
BACK = "/back_to_assistant"


def back(closed: bool) -> str:
    """What Rasa is sent for "Back to the assistant": whether it closed the person's request
    (Rasa's action says so only then; none was open for a typed "back to the assistant")."""
    return BACK + json.dumps({"closed_request": "yes" if closed else "no"}, separators=(",", ":"))


REASONS = ("asked", "misunderstood")


class HandoffError(Exception):
    """A handoff that cannot be answered (it is closed, the answer is empty); said to staff."""


class NoSuchHandoff(HandoffError):
    pass


@dataclass(frozen=True)
class Opened:
    handoff: Handoff
    new: bool  # False: the person already had one open, and this request was added to it


def open_for(
    session: Session,
    cipher: Cipher,
    settings: Settings,
    *,
    sender_key: str,
    reason: str,
    summary: str,
    text: str,
    trial: str | None,
) -> Opened | None:
    """Open the person's handoff, or add `text` to the one open; None without a conversation.

    A new handoff's staff alerts are queued with it.
    """
    if reason not in REASONS:
        raise ValueError(f"a handoff's reason is one of {REASONS}, not {reason!r}")
    conversation = conversations.by_sender_key(session, sender_key)
    if conversation is None:
        return None
    existing = current(session, sender_key)
    if existing is None:
        handoff = Handoff(
            sender_key=sender_key,
            conversation_id=conversation.id,
            channel=conversation.channel,
            language=conversation.language,
            trial=trial or conversation.trial,
            reason=reason,
            summary=cipher.encrypt(summary),
            created_at=utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(handoff)
            alerts.queue_handoff(session, handoff, settings)
            return Opened(handoff, new=True)
        except IntegrityError:  # another process opened it meanwhile
            existing = current(session, sender_key)
            if existing is None:
                raise
    _add(session, cipher, existing, "patient", text)
    return Opened(existing, new=False)


def current(session: Session, sender_key: str) -> Handoff | None:
    """The person's open handoff."""
    return session.scalar(
        select(Handoff).where(Handoff.sender_key == sender_key, Handoff.status == "open")
    )


def note(session: Session, cipher: Cipher, sender_key: str, text: str) -> Handoff | None:
    """Add what the person wrote to their open handoff; None when they have none."""
    handoff = current(session, sender_key)
    if handoff is not None:
        note_to(session, cipher, handoff, text)
    return handoff


def with_team(session: Session, sender_key: str) -> Handoff | None:
    """The person's open handoff when what they write is for the team: one they asked for, or
    one a member of staff has written in.

    One the assistant opened because it did not understand them twice leaves the conversation
    with the assistant until staff write in it: it answers what it can, and adds to the handoff
    what it cannot (`actions.handoff.add_to_open`).
    """
    handoff = current(session, sender_key)
    if handoff is None or handoff.reason == "asked":
        return handoff
    staff_wrote = session.scalar(
        select(HandoffMessage.id)
        .where(HandoffMessage.handoff_id == handoff.id, HandoffMessage.author == "staff")
        .limit(1)
    )
    return handoff if staff_wrote is not None else None


def note_to(session: Session, cipher: Cipher, handoff: Handoff, text: str) -> None:
    """Add what the person wrote to this open handoff."""
    _add(session, cipher, handoff, "patient", text)


def reply(
    session: Session, cipher: Cipher, handoff_id: int, text: str, *, close: bool = False
) -> HandoffMessage:
    """Queue a staff answer for the person (and the notice that it is closed, with `close`)."""
    if not text.strip():
        raise HandoffError("the answer is empty")
    handoff = _open(session, handoff_id)
    answer = _add(session, cipher, handoff, "staff", text.strip(), deliver=True)
    if close:
        _close_by_staff(session, cipher, handoff)
    return answer


def close(session: Session, cipher: Cipher, handoff_id: int) -> HandoffMessage:
    """Staff close a handoff; the notice that tells the person they are back with the assistant."""
    return _close_by_staff(session, cipher, _open(session, handoff_id))


def close_for(session: Session, sender_key: str) -> Handoff | None:
    """The person went back to the assistant; None when they had no open handoff."""
    handoff = current(session, sender_key)
    if handoff is not None:
        handoff.status, handoff.closed_at, handoff.closed_by = "closed", utcnow(), "patient"
    return handoff


def channel(session: Session, handoff_id: int) -> str:
    """The channel a handoff's answers go out on."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NoSuchHandoff(f"there is no handoff {handoff_id}")
    return handoff.channel


def listed(session: Session, cipher: Cipher, *, everything: bool = False) -> list[dict[str, Any]]:
    """The open handoffs (or all), newest first, in the shape of `trialbot safety list`."""
    query = select(Handoff).order_by(Handoff.created_at.desc(), Handoff.id.desc())
    if not everything:
        query = query.where(Handoff.status == "open")
    rows = []
    for handoff in session.scalars(query):
        said = session.scalars(
            select(HandoffMessage)
            .where(HandoffMessage.handoff_id == handoff.id)
            .order_by(HandoffMessage.id)
        )
        rows.append(
            {
                "id": handoff.id,
                "kind": "handoff",
                "reason": handoff.reason,
                "created_at": as_utc(handoff.created_at).isoformat(),
                "participant": handoff.sender_key,
                "channel": handoff.channel,
                "language": handoff.language,
                "trial": handoff.trial,
                "text": cipher.decrypt(handoff.summary),
                "status": handoff.status,
                "closed_at": _iso(handoff.closed_at),
                "closed_by": handoff.closed_by,
                "messages": [_message(row, cipher) for row in said],
            }
        )
    return rows


def erase(session: Session, sender_key: str) -> int:
    """Delete the person's handoffs and every message of them; how many handoffs."""
    theirs = select(Handoff.id).where(Handoff.sender_key == sender_key)
    session.execute(delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(theirs)))
    gone = session.execute(delete(Handoff).where(Handoff.sender_key == sender_key))
    return int(getattr(gone, "rowcount", 0) or 0)


def _open(session: Session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NoSuchHandoff(f"there is no handoff {handoff_id}")
    if handoff.status != "open":
        raise HandoffError(f"handoff {handoff_id} is closed")
    return handoff


def _close_by_staff(session: Session, cipher: Cipher, handoff: Handoff) -> HandoffMessage:
    handoff.status, handoff.closed_at, handoff.closed_by = "closed", utcnow(), "staff"
    conversation = conversations.by_id(session, handoff.conversation_id)
    notice = messages.text("handoff_closed", conversation.language if conversation else "en")
    return _add(session, cipher, handoff, "assistant", notice, deliver=True)


def _add(
    session: Session,
    cipher: Cipher,
    handoff: Handoff,
    author: str,
    text: str,
    *,
    deliver: bool = False,
) -> HandoffMessage:
    now = utcnow()
    message = HandoffMessage(
        handoff_id=handoff.id,
        author=author,
        text=cipher.encrypt(text),
        created_at=now,
        delivery="pending" if deliver else None,
        next_attempt_at=now if deliver else None,
    )
    session.add(message)
    session.flush()
    return message


def _message(row: HandoffMessage, cipher: Cipher) -> dict[str, Any]:
    return {
        "id": row.id,
        "author": row.author,
        "text": cipher.decrypt(row.text),
        "created_at": as_utc(row.created_at).isoformat(),
        "delivery": row.delivery,
        "sent_at": _iso(row.sent_at),
        "error": row.last_error,
    }


def _iso(moment: Any) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None
