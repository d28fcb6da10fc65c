"""Withdrawing consent and stopping messages: the decision, and everything that relied on it.

Each function takes the caller's session and commits nothing itself, so that a decision and what
follows from it land together or not at all.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.consent import ledger
from bot.consent.ledger import Decision
from bot.consent.service import channel_of
from bot.db.models import ConsentRecord, Conversation, OutboundMessage, utcnow
from bot.reminders import permission
from bot.screening import store


def withdraw(session: Session, sender_key: str) -> list[ConsentRecord]:
    """Withdraw every consent the person gave, and stop everything that relied on it."""
    records = [
        ledger.append(
            session,
            sender_key=sender_key,
            channel=channel_of(sender_key),
            consent_id=given.consent_id,
            version=given.version,
            language=given.language,
            text_sha256=given.text_sha256,
            decision=Decision.WITHDRAWN,
        )
        for given in ledger.granted(session, sender_key).values()
    ]
    stop_messages(session, sender_key, reason="consent withdrawn")
    store.withdraw(session, sender_key)
    return records


def stop_messages(session: Session, sender_key: str, reason: str = "messages stopped") -> None:
    """Nothing on the assistant's own initiative any more: reminders cancelled, queue dropped."""
    permission.cancel_for(session, sender_key, reason)
    conversation = session.scalar(select(Conversation).where(Conversation.sender_key == sender_key))
    if conversation is None:
        return
    if conversation.messages_stopped_at is None:
        conversation.messages_stopped_at = utcnow()
    session.execute(
        delete(OutboundMessage).where(OutboundMessage.conversation_id == conversation.id)
    )
