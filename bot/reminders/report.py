"""What staff see of appointments and reminders, as plain rows (the CONTRACT's JSON)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.db.models import Appointment, DeliveryReceipt, Participant, Reminder, as_utc


def appointments(
    session: Session,
    participant: str | None = None,
    appointment_id: int | None = None,
    *,
    participants: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Appointments, soonest first: of one participant, of `participants` (codes), or all."""
    query = (
        select(Appointment, Participant.code)
        .join(Participant, Participant.id == Appointment.participant_id)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if participant:
        query = query.where(Participant.code == participant)
    if participants is not None:
        query = query.where(Participant.code.in_(participants))
    if appointment_id is not None:
        query = query.where(Appointment.id == appointment_id)
    return [
        {
            "id": row.id,
            "participant_code": code,
            "trial": row.trial,
            "site": row.site,
            "starts_at": as_utc(row.starts_at).isoformat(),
            "local_time": as_utc(row.starts_at).astimezone(ZoneInfo(row.timezone)).isoformat(),
            "timezone": row.timezone,
            "kind": row.kind,
            "status": row.status.value,
        }
        for row, code in session.execute(query)
    ]


def reminders(session: Session, participant: str | None = None) -> list[dict[str, Any]]:
    query = (
        select(Reminder, Appointment, Participant.code, DeliveryReceipt)
        .join(Appointment, Appointment.id == Reminder.appointment_id)
        .join(Participant, Participant.id == Appointment.participant_id)
        # What the platform said of the message since (WhatsApp): delivered, read, failed.
        .outerjoin(
            DeliveryReceipt,
            and_(
                DeliveryReceipt.channel == Reminder.channel,
                DeliveryReceipt.message_id == Reminder.message_id,
            ),
        )
        .order_by(Reminder.due_at, Reminder.id)
    )
    if participant:
        query = query.where(Participant.code == participant)
    return [
        {
            "id": reminder.id,
            "appointment": appointment.id,
            "participant_code": code,
            "due_at": as_utc(reminder.due_at).isoformat(),
            "status": reminder.status.value,
            "channel": reminder.channel,
            "attempts": reminder.attempts,
            "sends": reminder.sends,  # 2 or more: a dispatcher stopped mid-send; maybe sent twice
            "sent_at": as_utc(reminder.sent_at).isoformat() if reminder.sent_at else None,
            "last_error": reminder.last_error,
            "cancel_reason": reminder.cancel_reason,
            "delivery": receipt.status if receipt else None,
            "delivery_error": receipt.error if receipt else None,
        }
        for reminder, appointment, code, receipt in session.execute(query)
    ]
