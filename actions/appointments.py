"""A participant's appointments in the chat: the reminder's buttons, and "my appointments"."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language, team_phone, trial_spoken_of, with_phone
from actions.common import trials as catalogue
from actions.consent import ask as ask_consent
from actions.knowledge import answer_instead
from bot import wording
from bot.db.session import default_sessions
from bot.reminders import permission, requests
from bot.reminders.message import when
from bot.trials import Trial

_ACTIONS: dict[str, requests.Action] = {
    "confirm_appointment": "confirm",
    "reschedule_appointment": "reschedule",
    "cancel_appointment": "cancel",
}
_STATUS_WORDS = {
    "en": {"scheduled": "", "confirmed": "confirmed", "reschedule_requested": "new date asked"},
    "fr": {"scheduled": "", "confirmed": "confirmé", "reschedule_requested": "changement demandé"},
}


@functools.cache
def _trials() -> dict[str, Trial]:
    return catalogue().get()


def _describe(item: requests.Upcoming, lang: str) -> str:
    trial = _trials().get(item.trial)
    site = (trial.sites.get(item.site) if trial else None) or {}
    name = site.get("name")
    place = (name.get(lang) if isinstance(name, dict) else name) or item.site
    status = _STATUS_WORDS[lang].get(item.status, "")
    colon = "\u00a0:" if lang == "fr" else ":"  # French: a space that never breaks, before it
    text = f"{when(item.starts_at, item.timezone, lang, item.reader)}{colon} {item.kind}, {place}"
    return f"{text} ({status})" if status else text


class ActionAppointmentAnswer(Action):
    """Confirm, ask to reschedule or cancel: the appointment of the button tapped."""

    def name(self) -> str:
        return "action_appointment_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        action = _ACTIONS.get(intent)
        chosen = next(tracker.get_latest_entity_values("appointment_id"), None)
        lang = language(tracker)
        if action is None:
            return []
        if chosen is None or not str(chosen).isdigit():
            if await _asked_without_appointments(tracker):
                # "if i can't make a visit can i move it?" from someone with no visit here.
                return await answer_instead(dispatcher, tracker, misread=intent)
            # Typed, not tapped: the one upcoming appointment, else which? (a button each)
            chosen = await asyncio.to_thread(self._choose, dispatcher, tracker, intent, lang)
            if chosen is None:
                return []
        done = await asyncio.to_thread(
            self._answer, tracker.sender_id, int(str(chosen)), action, lang
        )
        if done is None:
            dispatcher.utter_message(response="utter_appointment_unknown")
            return []
        dispatcher.utter_message(
            response=f"utter_appointment_{action}", appointment=_describe(done, lang)
        )
        return []

    @staticmethod
    def _answer(
        sender_key: str, appointment_id: int, action: requests.Action, lang: str
    ) -> requests.Upcoming | None:
        with default_sessions().begin() as session:
            return requests.answer(session, sender_key, appointment_id, action, lang)

    @staticmethod
    def _choose(
        dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, lang: str
    ) -> int | None:
        """The appointment a typed request is about when there is one; else asks which."""
        with default_sessions()() as session:
            items = requests.upcoming(session, tracker.sender_id)
        if not items:
            dispatcher.utter_message(response="utter_no_appointments")
            return None
        if len(items) == 1:
            return items[0].id
        buttons = [
            {
                "title": _describe(item, lang)[:60],
                "payload": f"/{intent}"
                + json.dumps({"appointment_id": str(item.id)}, separators=(",", ":")),
            }
            for item in items[:5]
        ]
        dispatcher.utter_message(response="utter_appointment_which", buttons=buttons)
        return None


class ActionMyAppointments(Action):
    """The participant's upcoming appointments, from the database."""

    def name(self) -> str:
        return "action_my_appointments"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = language(tracker)
        items, linked = await asyncio.to_thread(self._upcoming, tracker.sender_id)
        text = str(tracker.latest_message.get("text") or "")
        someone = wording.about_someone_else(text)
        if not items and linked and not someone:
            # A participant whose visits are not booked here yet: the team books them.
            with_phone(dispatcher, "utter_no_appointments_yet", team_phone(tracker))
            return []
        if not items and someone:
            # "my dad is in the asthma trial, when is his next appointment?": not "none for
            # you", but where the participant's own appointments are, and the team's number.
            phone = team_phone(tracker, trial_spoken_of(tracker))
            with_phone(dispatcher, "utter_no_appointments_someone", phone)
            return []
        if not items and wording.is_question(text) and not wording.asks_when_my_visit_is(text):
            return await answer_instead(dispatcher, tracker, misread="my_appointments")
        if not items:
            dispatcher.utter_message(response="utter_no_appointments")
            return []
        listed = "\n".join(f"- {_describe(item, lang)}" for item in items)
        # "when is her next visit", from a relative in the participant's chat: theirs, not yours.
        response = "utter_their_appointments" if someone else "utter_my_appointments"
        dispatcher.utter_message(response=response, appointments=listed)
        return []

    @staticmethod
    def _upcoming(sender_key: str) -> tuple[list[requests.Upcoming], bool]:
        """The chat's appointments ahead, and whether it is a participant's."""
        with default_sessions()() as session:
            upcoming = requests.upcoming(session, sender_key)
            return upcoming, bool(upcoming) or requests.linked(session, sender_key)


class ActionWantReminders(Action):
    """ "Remind me of my appointments": their consent first, then the reminders (again)."""

    def name(self) -> str:
        return "action_want_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await asyncio.to_thread(want_reminders, dispatcher, tracker)


def want_reminders(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    with default_sessions()() as session:
        is_linked = requests.linked(session, tracker.sender_id)
    if not is_linked:
        dispatcher.utter_message(response="utter_reminders_need_link")
        return [SlotSet("awaiting", None)]
    asked = ask_consent(dispatcher, tracker, permission.CONSENT)
    if asked:  # a yes comes back through action_consent_decision, which calls this again
        return asked
    with default_sessions().begin() as session:
        requests.opt_in(session, tracker.sender_id, _trials())
    dispatcher.utter_message(response="utter_reminders_on")
    return [SlotSet("awaiting", None)]


async def _asked_without_appointments(tracker: Tracker) -> bool:
    """A question about appointments from someone who has none here: a question for the
    knowledge base, not a request about a visit."""
    if not wording.is_question(str(tracker.latest_message.get("text") or "")):
        return False
    upcoming, _ = await asyncio.to_thread(ActionMyAppointments._upcoming, tracker.sender_id)
    return not upcoming
