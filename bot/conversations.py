"""Who is talking, and in which language: the conversation record and its language preference."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Conversation, LanguageSource, utcnow
from bot.i18n.detect import detect_language
from bot.i18n.languages import LANGUAGES, Language

# Detection from text decides the language during the first messages; after that a stray
# English word in a French conversation ("ok", "stop") must not flip it, but a whole sentence
# in the other language does (a relative takes the phone, the person switches): its evidence
# must lead by SWITCH_MARGIN words.
DETECTION_WINDOW = 3
SWITCH_MARGIN = 5


@dataclass(frozen=True)
class LanguageHints:
    """What a channel tells about a message's language besides its text."""

    chosen: str | None = None  # the person picked it (web switch, /language)
    locale: str | None = None  # the channel's locale for the user, e.g. "fr-CA"


def as_language(value: str | None) -> Language | None:
    """`value` as one of our languages ("fr-CA" -> "fr"), or None."""
    if not value:
        return None
    prefix = value.strip().lower().replace("_", "-").split("-")[0]
    for language in LANGUAGES:
        if prefix == language:
            return language
    return None


def by_id(session: Session, conversation_id: int) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def by_sender_key(session: Session, sender_key: str) -> Conversation | None:
    return session.scalars(
        select(Conversation).where(Conversation.sender_key == sender_key)
    ).one_or_none()


def get_or_create(
    session: Session, *, channel: str, sender_key: str, default_language: Language
) -> Conversation:
    conversation = by_sender_key(session, sender_key)
    if conversation is None:
        conversation = Conversation(
            channel=channel,
            sender_key=sender_key,
            language=default_language,
            language_source=LanguageSource.DEFAULT,
            messages_seen=0,
        )
        session.add(conversation)
        session.flush()
    return conversation


def apply_language_hints(conversation: Conversation, text: str, hints: LanguageHints) -> None:
    """Update the conversation's language from one incoming message: choice, text, then locale."""
    chosen = as_language(hints.chosen)
    if chosen:
        _set(conversation, chosen, LanguageSource.CHOSEN)
        return
    if conversation.language_source is LanguageSource.CHOSEN:
        return
    # Early on a little evidence decides, unless earlier words decided already: "makes sense, ta"
    # after two English messages is no French.
    early = (
        conversation.messages_seen < DETECTION_WINDOW
        and conversation.language_source is not LanguageSource.DETECTED
    )
    detected = detect_language(text, margin=1 if early else SWITCH_MARGIN)
    if detected:
        _set(conversation, detected, LanguageSource.DETECTED)
        return
    locale = as_language(hints.locale)
    if locale and conversation.language_source is LanguageSource.DEFAULT:
        _set(conversation, locale, LanguageSource.LOCALE)


def choose_language(session: Session, sender_key: str, language: Language) -> bool:
    """Record that the person chose `language`; False when the conversation is unknown."""
    conversation = by_sender_key(session, sender_key)
    if conversation is None:
        return False
    _set(conversation, language, LanguageSource.CHOSEN)
    # The action that calls this sets the slot itself.
    conversation.rasa_slots = {**conversation.rasa_slots, "language": language}
    return True


def _set(conversation: Conversation, language: str, source: LanguageSource) -> None:
    conversation.language = language
    conversation.language_source = source
    conversation.last_seen_at = utcnow()
