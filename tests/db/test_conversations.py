"""Conversations and their language preference, stored on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.conversations import LanguageHints, apply_language_hints, choose_language, get_or_create
from bot.db.models import Conversation, LanguageSource
from bot.db.session import make_session_factory


def test_a_conversation_is_created_once_and_keeps_its_chosen_language(
    migrated_engine: Engine,
) -> None:
    sessions = make_session_factory(migrated_engine)
    with sessions.begin() as session:
        first = get_or_create(session, channel="web", sender_key="web-abc", default_language="en")
        apply_language_hints(first, "bonjour, je voudrais des infos", LanguageHints())
    with sessions.begin() as session:
        again = get_or_create(session, channel="web", sender_key="web-abc", default_language="en")
        assert again.id == first.id
        assert (again.language, again.language_source) == ("fr", LanguageSource.DETECTED)
        assert choose_language(session, "web-abc", "en")
    with sessions() as session:
        stored = session.get(Conversation, first.id)
        assert stored is not None
        assert (stored.language, stored.language_source) == ("en", LanguageSource.CHOSEN)
        assert stored.rasa_slots["language"] == "en"


def test_choosing_a_language_for_an_unknown_conversation_reports_it(
    migrated_engine: Engine,
) -> None:
    with make_session_factory(migrated_engine).begin() as session:
        assert not choose_language(session, "web-nobody", "fr")
