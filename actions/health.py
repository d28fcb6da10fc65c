"""Everyday health talk, and what the person asks in the same message.

"I've had asthma since I was a kid, can I join the asthma study?" speaks of health, and the NLU
may read it as such; the request to join must not be lost in the acknowledgement, nor a question
about the study.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import answer_question
from actions.screening import start
from bot import wording


class ActionHealthChatter(Action):
    """Acknowledge health talk without advice; start the pre-screening or answer the question
    that came with it."""

    def name(self) -> str:
        return "action_health_chatter"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        if wording.asks_to_join(text):
            events = await asyncio.to_thread(start, dispatcher, tracker)
            if SlotSet("awaiting", "screening_questions") in events:
                # The rules open the form after a request to join; this one came as health talk.
                events.append(FollowupAction("screening_form"))
            return events
        if wording.is_question(text):
            return await answer_question(dispatcher, tracker)
        dispatcher.utter_message(response="utter_health_chatter")
        return []
