"""A yes or a no to a consent text, and what a yes leads to.

The consent is asked by the actions of what needs it (the pre-screening, being contacted,
reminders); a yes then goes on where they left off. This module sits above them all and names
what follows each consent in one table, so that none of them needs another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import appointments, consent, contact, screening
from actions.common import language
from bot.consent import service
from bot.db.session import default_sessions
from bot.reminders import permission
from bot.screening import store

AfterConsent = Callable[[CollectingDispatcher, Tracker], list[EventType]]
# What a yes leads to: the pre-screening's questions, when and how to be contacted, reminders.
AFTER_CONSENT: dict[str, AfterConsent] = {
    store.CONSENT: screening.start,
    "contact": contact.ask_contact_details,
    permission.CONSENT: appointments.want_reminders,
}


class ActionConsentDecision(Action):
    """Record the yes or no to the text the person saw (a button, or typed while asked)."""

    def name(self) -> str:
        return "action_consent_decision"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        decision = next(tracker.get_latest_entity_values("decision"), None)
        sha = next(tracker.get_latest_entity_values("consent_text"), None)
        if intent in ("affirm", "deny"):
            decision = "yes" if intent == "affirm" else "no"
        if not sha and consent.just_asked(tracker, "consent"):
            sha = tracker.get_slot("consent_text")  # typed right under the question
        done = [SlotSet("awaiting", None), SlotSet("consent_text", None)]
        if decision not in ("yes", "no") or not sha:
            dispatcher.utter_message(response="utter_consent_not_understood")
            return done + await asyncio.to_thread(consent.ask_again, dispatcher, tracker)
        return done + await asyncio.to_thread(
            self._record, dispatcher, tracker, str(sha), decision == "yes"
        )

    def _record(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, sha: str, agreed: bool
    ) -> list[EventType]:
        lang = language(tracker)
        texts = consent.consent_texts().get()
        with default_sessions().begin() as session:
            try:
                record = service.decide(session, tracker.sender_id, sha, agreed)
            except service.UnknownConsentText:
                dispatcher.utter_message(response="utter_consent_not_understood")
                return []
            current = texts.current(record.consent_id, record.language, record.recorded_at.date())
        purpose = consent.purpose(record.consent_id, lang)
        if not agreed:
            dispatcher.utter_message(response="utter_consent_refused", consent_purpose=purpose)
            consent.offer_copies(dispatcher, tracker, [record])
            return []
        if current is not None and current.version > record.version:
            # They agreed to a text that has since been replaced: the new one needs its own yes.
            dispatcher.utter_message(response="utter_consent_text_changed")
            # Its buttons answer it; a typed yes would be ambiguous after two texts.
            return [
                e
                for e in consent.ask(dispatcher, tracker, record.consent_id)
                if e["name"] != "awaiting"
            ]
        dispatcher.utter_message(
            response="utter_consent_given",
            consent_purpose=purpose,
            consent_version=record.version,
            consent_date=record.recorded_at.date().isoformat(),
        )
        consent.offer_copies(dispatcher, tracker, [record])
        then = AFTER_CONSENT.get(record.consent_id)
        return then(dispatcher, tracker) if then else []
