"""Being contacted by the study team after the pre-screening: its consent, when and how, the record.

The outcome offers it; a yes asks for the consent to be contacted, then the contact form asks when
and how (and the number, for a call), and the request is recorded for the team.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import language, team_phone, with_phone
from actions.consent import ask as ask_consent
from actions.consent import just_asked
from actions.screening import leaving, screenings
from bot.wording import fold


class ActionContactAnswer(Action):
    """The yes or no to "would you like the study team to contact you?"."""

    def name(self) -> str:
        return "action_contact_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        done: list[EventType] = [SlotSet("awaiting", None)]
        if intent != "affirm" or not just_asked(tracker, "contact"):
            with_phone(dispatcher, "utter_contact_declined", team_phone(tracker))
            return done
        asked = await asyncio.to_thread(ask_consent, dispatcher, tracker, "contact")
        if asked:  # a yes comes back through action_consent_decision, which opens the form
            return [*done, *asked]
        return ask_contact_details(dispatcher, tracker)


def ask_contact_details(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    return [*_clear_contact(), SlotSet("awaiting", "contact_details")]  # the rules open the form


def _clear_contact() -> list[EventType]:
    return [SlotSet(slot, None) for slot in ("contact_time", "contact_channel", "contact_phone")]


# When and how the study team may call, as people type it (buttons send the same words).
TIMES: dict[str, tuple[str, ...]] = {
    "morning": ("morning", "mornings", "am", "matin", "matins", "matinee", "1"),
    "afternoon": ("afternoon", "afternoons", "pm", "apres midi", "aprem", "apres-midi", "2"),
    "evening": ("evening", "evenings", "soir", "soirs", "soiree", "fin de journee", "3"),
    "any": ("any", "anytime", "any time", "whenever", "peu importe", "n importe", "4"),
}
CHANNELS: dict[str, tuple[str, ...]] = {
    "chat": ("chat", "here", "message", "messages", "ici", "ce chat", "cette conversation", "1"),
    "phone": ("phone", "call", "telephone", "tel", "appel", "appelez", "2"),
}
DECLINED = "declined"  # the person stopped the contact questions: nothing is recorded
_PHONE = re.compile(r"^\+?\d{8,15}$")


def _pick(choices: dict[str, tuple[str, ...]], text: str) -> str | None:
    words = f" {' '.join(re.findall(r'[a-z0-9]+', fold(text)))} "
    found = {key for key, names in choices.items() for name in names if f" {name} " in words}
    return found.pop() if len(found) == 1 else None


class ValidateContactForm(FormValidationAction):
    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("contact_channel") == DECLINED:
            return []
        if tracker.get_slot("contact_channel") == "phone":
            return ["contact_time", "contact_channel", "contact_phone"]
        return ["contact_time", "contact_channel"]

    def _leave(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str
    ) -> dict[str, Any] | None:
        """A "stop" here means: do not contact me after all. The form ends with nothing saved."""
        if not leaving(tracker, text):
            return None
        with_phone(dispatcher, "utter_contact_declined", team_phone(tracker))
        return {"contact_channel": DECLINED, "contact_time": None, "contact_phone": None}

    async def validate_contact_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._leave(dispatcher, tracker, str(value)) or {
            "contact_time": _pick(TIMES, str(value))  # None: asked again, with its buttons
        }

    async def validate_contact_channel(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._leave(dispatcher, tracker, str(value)) or {
            "contact_channel": _pick(CHANNELS, str(value))
        }

    async def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        left = self._leave(dispatcher, tracker, str(value))
        if left:
            return left
        number = re.sub(r"[\s.()-]", "", str(value))
        if not _PHONE.match(number):
            dispatcher.utter_message(response="utter_contact_phone_unclear")
            return {"contact_phone": None}
        return {"contact_phone": number}


class ActionRecordContact(Action):
    """The contact form is complete: record the request for the study team."""

    def name(self) -> str:
        return "action_record_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        when = tracker.get_slot("contact_time")
        how = tracker.get_slot("contact_channel")
        if not when or how not in CHANNELS:  # they left the form: nothing to record
            return [*_clear_contact(), SlotSet("awaiting", None)]
        lang = language(tracker)
        recorded = await asyncio.to_thread(
            lambda: screenings().record_contact(
                tracker.sender_id,
                tracker.get_slot("trial"),
                lang,
                when=when,
                how=how,
                phone=tracker.get_slot("contact_phone"),
            )
        )
        if recorded:
            dispatcher.utter_message(
                response=f"utter_contact_recorded_{how}", contact_time=when_said(lang, when)
            )
        else:
            with_phone(dispatcher, "utter_contact_not_recorded", team_phone(tracker))
        return [*_clear_contact(), SlotSet("awaiting", None)]


# The time the person chose, said back as a wish: the team calls within its own hours.
_TIME_WORDS = {
    "en": {"morning": "the morning", "afternoon": "the afternoon", "evening": "the evening"},
    "fr": {"morning": "le matin", "afternoon": "l'après-midi", "evening": "le soir"},
}
_ASKED_FOR = {
    "en": "you asked for {time}, and they will try to",
    "fr": "vous avez demandé {time}, elle essaiera",
}
_ANY_TIME = {
    "en": "any time suits you, so they will get in touch when they can",
    "fr": "tout moment vous convient : elle vous contactera dès que possible",
}


def when_said(lang: str, when: str) -> str:
    """The chosen time said back, as the last reply of a contact request ends."""
    if when not in _TIME_WORDS[lang]:  # "any"
        return _ANY_TIME[lang]
    return _ASKED_FOR[lang].format(time=_TIME_WORDS[lang][when])
