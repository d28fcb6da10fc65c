"""What a person asks: a trial question answered from the knowledge base, health talk
acknowledged, and a request to take part honoured whichever intent the NLU gave it.

"I've had asthma since I was a kid, can I join the asthma study?" speaks of health and asks to
join; "can I do the asthma study?" may be read as a question about the study. Neither must lose
the request in an acknowledgement or a "not sure".
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import consent
from actions.common import trials
from actions.knowledge import answer_question, start_loading
from actions.screening import start
from bot import understanding, wording
from bot.safety import detect as safety


class ActionAnswerQuestion(Action):
    """Answer with a vetted entry, offer close ones, or say so and log the question for staff."""

    def __init__(self) -> None:
        start_loading()

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _asks_to_join(tracker):
            return await _take_part(dispatcher, tracker)
        if consent.waiting_for_answer(tracker):
            return await _under_the_consent_question(dispatcher, tracker)
        return await answer_question(dispatcher, tracker)


class ActionHealthChatter(Action):
    """Acknowledge health talk without advice; start the pre-screening or answer the question
    that came with it."""

    def name(self) -> str:
        return "action_health_chatter"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        if _asks_to_join(tracker):
            return await _take_part(dispatcher, tracker)
        if consent.waiting_for_answer(tracker):
            return await _under_the_consent_question(dispatcher, tracker)
        if wording.asks(text):
            return await answer_question(dispatcher, tracker)
        if safety.check(text) is None:  # else the gateway has acknowledged it already
            dispatcher.utter_message(response=_health_talk(text))
        return []


def _health_talk(text: str) -> str:
    """The reply to health talk that asks nothing and reports nothing."""
    if safety.help_on_its_way(text):
        return "utter_help_on_its_way"  # "ambulance on its way now", after "Call 112 now"
    if wording.writes_for_someone(text):
        return "utter_writing_for_someone"  # "im writing for my mum she's in the az study"
    if wording.feels_unwell(text):
        return "utter_feeling_unwell"
    return "utter_health_chatter"


async def _under_the_consent_question(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType]:
    """A consent question waits: a question is answered (one no entry answers is a gap for staff,
    and the person is pointed to the text they are asked about), anything else ("52", "ok fine")
    is neither a gap nor a reason to call in the team; then the question comes back."""
    events: list[EventType] = []
    text = str(tracker.latest_message.get("text") or "")
    if wording.asks(text) and not wording.is_puzzled(text):
        # "hein ?" only gets the question again, below. A question about what the consent
        # covers is answered by its text, just above; any other ("what time does the clinic
        # open") gets the usual "not sure" and the team.
        in_the_text = functools.partial(
            dispatcher.utter_message, response="utter_consent_in_the_text"
        )
        unsure = in_the_text if wording.about_consent(text) else None
        events = await answer_question(dispatcher, tracker, unsure=unsure)
    return events + await asyncio.to_thread(consent.remind, dispatcher, tracker)


def _asks_to_join(tracker: Tracker) -> bool:
    # Inside the questions, what the person writes is an answer or a question about them.
    text = str(tracker.latest_message.get("text") or "")
    return (
        tracker.active_loop_name is None
        and wording.asks_to_join(text)
        and not understanding.not_a_request_to_take_part(text, trials().screenable())
    )


async def _take_part(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    events = await asyncio.to_thread(start, dispatcher, tracker)
    if SlotSet("awaiting", "screening_questions") in events:
        # The rules open the form after a request to join; this one came under another intent.
        events.append(FollowupAction("screening_form"))
    return events
