"""Delivery receipts: what a platform said of a message the assistant sent.

WhatsApp reports each message as sent, delivered, read, or failed (with Meta's error) in its
webhook, sometimes more than once and out of order. A receipt keeps one row per message and only
moves forward (read after delivered; failed whenever it comes), so staff can tell a reminder that
was read from one that never reached the phone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import DeliveryReceipt, utcnow

# How far each status goes: a later webhook with a lower rank changes nothing.
RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(frozen=True)
class Receipt:
    """One status of one message, as a platform's webhook tells it."""

    message_id: str
    status: str  # sent, delivered, read or failed
    at: dt.datetime
    error: str | None = None  # the platform's code and title, for a failure


def record(session: Session, channel: str, receipts: Collection[Receipt]) -> int:
    """Keep what `receipts` say; how many rows moved forward."""
    moved = 0
    for receipt in receipts:
        if receipt.status not in RANK:
            continue
        row = session.scalar(
            select(DeliveryReceipt).where(
                DeliveryReceipt.channel == channel,
                DeliveryReceipt.message_id == receipt.message_id,
            )
        )
        if row is None:
            row = DeliveryReceipt(channel=channel, message_id=receipt.message_id, status="sent")
            session.add(row)
        if receipt.status == "delivered" or receipt.status == "read":
            row.delivered_at = row.delivered_at or receipt.at  # a read message was delivered
        if receipt.status == "read":
            row.read_at = row.read_at or receipt.at
        if receipt.status == "failed":
            row.failed_at = receipt.at
            row.error = (receipt.error or "no reason given")[:200]
        if RANK[receipt.status] >= RANK.get(row.status, 0):
            row.status = receipt.status
            moved += 1
        row.updated_at = utcnow()
        session.flush()
    return moved
