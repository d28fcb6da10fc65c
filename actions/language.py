"""Switching the conversation's language."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversations import as_language, choose_language
from bot.db.session import default_sessions
from bot.i18n.languages import Language


def _record_choice(sender_key: str, language: Language) -> None:
    with default_sessions().begin() as session:
        choose_language(session, sender_key, language)


class ActionChangeLanguage(Action):
    """Switch to the language asked for, or to the other one when none was named."""

    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        asked = as_language(next(tracker.get_latest_entity_values("language"), None))
        current = tracker.get_slot("language") or "en"
        target: Language = asked or ("en" if current == "fr" else "fr")
        await asyncio.to_thread(_record_choice, tracker.sender_id, target)
        return [SlotSet("language", target)]
