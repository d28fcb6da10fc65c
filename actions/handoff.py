"""Handing the conversation to the study team: a handoff with a summary, and when they answer.

While it is open the gateway keeps what the person writes for the team (bot/handoff); the study
team answers from `trialbot handoff reply` or the staff API, on the person's channel. One the
assistant opened because it did not understand leaves the conversation with the assistant until
staff write in it: what it still cannot answer is added to it (`add_to_open`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import cipher, language
from bot.db.session import default_sessions
from bot.handoff import replies, service
from bot.handoff.summary import summarise
from bot.settings import get_settings


class ActionRequestHuman(Action):
    """The person asked for someone of the study team."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not await hand_over(dispatcher, tracker, "asked"):
            dispatcher.utter_message(response="utter_contact_study_team")
        return []


class ActionBackToAssistant(Action):
    """ "Back to the assistant": the request to the team is closed, if the gateway closed one
    (`bot.handoff.service.back`); a form going on asks its question again after this."""

    def name(self) -> str:
        return "action_back_to_assistant"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # Only the gateway closes a request, and it says so ("yes"); a wish it did not take as
        # one ("bak to the assistant", read by the NLU alone) closed nothing.
        closed = next(tracker.get_latest_entity_values("closed_request"), None) == "yes"
        response = "utter_back_to_assistant" if closed else "utter_back_to_assistant_none_open"
        dispatcher.utter_message(response=response)
        return []


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> bool:
    """Open the person's handoff (or add to it) and tell them when the team answers.

    False when there is no conversation the team could answer in (Rasa reached directly).
    """
    trial = tracker.get_slot("trial")
    summary = summarise(
        reason=reason,
        said=user_messages(tracker),
        trial=trial,
        form=(tracker.active_loop or {}).get("name"),
        question=tracker.get_slot("screening_question"),
    )
    text = str(tracker.latest_message.get("text") or "")
    opened = await asyncio.to_thread(_open, tracker.sender_id, reason, summary, text, trial)
    if not opened:
        return False
    lang = language(tracker)
    dispatcher.utter_message(
        response=f"utter_handoff_{reason}",
        availability=replies.when_reachable(get_settings(), lang),
    )
    return True


async def add_to_open(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """A question not understood while the person's handoff is open: added to it, and the
    person told the team has it. False when none is open."""
    text = str(tracker.latest_message.get("text") or "")
    if not await asyncio.to_thread(_add_to_open, tracker.sender_id, text):
        return False
    said = replies.waiting(get_settings(), language(tracker))
    buttons = [{"title": b.title, "payload": b.payload} for b in said.buttons]
    dispatcher.utter_message(text=said.text, buttons=buttons)
    return True


def _add_to_open(sender_key: str, text: str) -> bool:
    with default_sessions().begin() as session:
        return service.note(session, cipher(), sender_key, text) is not None


def user_messages(tracker: Tracker) -> list[str]:
    """What the person wrote, oldest first."""
    return [str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"]


def _open(sender_key: str, reason: str, summary: str, text: str, trial: str | None) -> bool:
    with default_sessions().begin() as session:
        opened = service.open_for(
            session,
            cipher(),
            get_settings(),
            sender_key=sender_key,
            reason=reason,
            summary=summary,
            text=text,
            trial=trial,
        )
        return opened is not None
