"""Safety events: recorded the moment a message is read, with their staff alerts; listed and
acknowledged by staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import SafetyEvent, as_utc, utcnow
from bot.safety import alerts, report
from bot.safety.detect import Finding
from bot.settings import Settings


def record(
    session: Session,
    settings: Settings,
    cipher: Cipher,
    finding: Finding,
    *,
    sender_key: str,
    channel: str,
    language: str,
    text: str,
    trial: str | None,
) -> SafetyEvent:
    event = SafetyEvent(
        kind=finding.kind,
        category=cipher.encrypt(finding.category),  # "suicide", "bleeding": health data
        sender_key=sender_key,
        channel=channel,
        language=language,
        trial=trial,
        text=cipher.encrypt(text),
        created_at=utcnow(),
    )
    session.add(event)
    session.flush()
    alerts.queue(session, event, settings)  # in the same transaction: none is lost
    return event


def listed(
    session: Session,
    cipher: Cipher,
    *,
    since: dt.datetime | None = None,
    everything: bool = False,
) -> list[dict[str, Any]]:
    """The events awaiting review (or all), newest first, in the CONTRACT's shape."""
    query = select(SafetyEvent).order_by(SafetyEvent.created_at.desc(), SafetyEvent.id.desc())
    if not everything:
        query = query.where(SafetyEvent.status == "open")
    if since is not None:
        query = query.where(SafetyEvent.created_at >= since)
    return [
        {
            "id": event.id,
            "kind": event.kind,
            "category": cipher.decrypt(event.category),
            "created_at": as_utc(event.created_at).isoformat(),
            "participant": event.sender_key,
            "channel": event.channel,
            "language": event.language,
            "trial": event.trial,
            "text": cipher.decrypt(event.text),
            "status": event.status,
            "acknowledged_at": (
                as_utc(event.acknowledged_at).isoformat() if event.acknowledged_at else None
            ),
            **(report.summary(event, cipher) if event.kind == "adverse_event" else {}),
        }
        for event in session.scalars(query)
    ]


def acknowledge(session: Session, event_id: int) -> SafetyEvent | None:
    """Mark an event reviewed; None when there is no such event. Acknowledging twice is a no-op."""
    event = session.get(SafetyEvent, event_id)
    if event is not None and event.status == "open":
        event.status = "acknowledged"
        event.acknowledged_at = utcnow()
    return event
