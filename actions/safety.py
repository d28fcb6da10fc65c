"""Emergencies: the emergency number, in the conversation's language, whatever else is going on."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.settings import get_settings


class ActionEmergency(Action):
    """Tell the person to call the emergency number now."""

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_emergency", emergency_number=get_settings().emergency_number
        )
        return []
