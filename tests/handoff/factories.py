"""Small helpers for handoff tests: a conversation, and a handoff opened for it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import Conversation, Handoff, LanguageSource
from bot.handoff import service
from bot.settings import Settings


def conversation(
    session: Session,
    sender_key: str,
    *,
    channel: str = "web",
    language: str = "en",
    address: str | None = None,
) -> Conversation:
    row = Conversation(
        channel=channel,
        sender_key=sender_key,
        language=language,
        language_source=LanguageSource.CHOSEN,
        address=address,
    )
    session.add(row)
    session.flush()
    return row


def handoff(
    session: Session,
    cipher: Cipher,
    sender_key: str,
    *,
    text: str = "I'd like to talk to a real person",
    reason: str = "asked",
    settings: Settings | None = None,
) -> Handoff:
    opened = service.open_for(
        session,
        cipher,
        settings or Settings(),
        sender_key=sender_key,
        reason=reason,
        summary=f"The person asked to talk to the study team.\nLast messages:\n- {text}",
        text=text,
        trial="demo-t2d-001",
    )
    assert opened is not None
    return opened.handoff
