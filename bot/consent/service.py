"""Asking for consent and recording the answer: what the actions call (withdrawal and "stop",
which reach beyond consent, are in bot.rights).

Every function takes the caller's session and commits nothing itself, so that a decision and
what follows from it (messages stopped, data erased) land together or not at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.consent import ledger
from bot.consent.ledger import Decision
from bot.consent.texts import ConsentText, LoadedConsents, load_consents
from bot.db.models import (
    ConsentRecord,
    Conversation,
    StoredConsentText,
)
from bot.reloading import Reloading

log = logging.getLogger(__name__)


class UnknownConsentText(Exception):
    """A decision refers to a text that was never shown here."""


class ConsentTexts:
    """The consent files, read again whenever one changes (staff edit them like the FAQ)."""

    def __init__(self, knowledge_dir: Path) -> None:
        self._root = knowledge_dir
        self._texts = Reloading(
            lambda: (knowledge_dir / "consent").glob("*.md"),
            self._load,
            # Keep the texts in use if every file just became unreadable.
            lambda new, old: bool(new.texts) or old is None or not old.texts,
        )

    def get(self) -> LoadedConsents:
        return self._texts.get()

    def _load(self) -> LoadedConsents:
        loaded = load_consents(self._root)
        for problem in loaded.problems:
            log.error("consent text problem: %s", problem.render(self._root))
        return loaded


def channel_of(sender_key: str) -> str:
    """The channel a conversation key belongs to ("telegram-3f2a…" → "telegram")."""
    return sender_key.split("-", 1)[0]


def to_ask(
    session: Session, texts: LoadedConsents, sender_key: str, consent_id: str, lang: str
) -> ConsentText | None:
    """The text to show before a use that needs `consent_id`; None when already given for it.

    A consent given to an older version than the one now in effect must be asked again.
    """
    current = texts.current(consent_id, lang, dt.date.today())
    if current is None:
        raise LookupError(f"no {lang} text in effect for the {consent_id!r} consent")
    given = ledger.granted(session, sender_key).get(consent_id)
    if given is not None and given.version >= current.version:
        return None
    ledger.remember_text(session, current)
    return current


def has_consent(session: Session, texts: LoadedConsents, sender_key: str, consent_id: str) -> bool:
    """Given, not withdrawn, and for the version now in effect (in either language)."""
    given = ledger.granted(session, sender_key).get(consent_id)
    if given is None:
        return False
    current = texts.current(consent_id, given.language, dt.date.today())
    return current is None or given.version >= current.version


def decide(session: Session, sender_key: str, reference: str, agreed: bool) -> ConsentRecord:
    """Record yes or no to the exact text shown: `reference` is its "<sha256>:<version>".

    The decision already in force on that text is returned, not recorded again."""
    sha256, _, version = reference.partition(":")
    shown = session.get(StoredConsentText, (sha256, int(version))) if version.isdigit() else None
    if shown is None:
        raise UnknownConsentText(reference)
    decision = Decision.GRANTED if agreed else Decision.REFUSED
    in_force = ledger.latest(session, sender_key).get(shown.consent_id)
    answered = (shown.sha256, shown.version, decision)
    if in_force and (in_force.text_sha256, in_force.version, in_force.decision) == answered:
        # The same answer to the same text again (a tap twice, an action run again after its
        # server died): the ledger records decisions, and this one is already in force.
        return in_force
    return ledger.append(
        session,
        sender_key=sender_key,
        channel=channel_of(sender_key),
        consent_id=shown.consent_id,
        version=shown.version,
        language=shown.language,
        text_sha256=shown.sha256,
        decision=decision,
    )


def may_write_first(session: Session, sender_key: str) -> bool:
    """Whether the assistant may send this person a message they did not just ask for."""
    stopped = session.scalar(
        select(Conversation.messages_stopped_at).where(Conversation.sender_key == sender_key)
    )
    return stopped is None
