"""Pre-screening in the conversation: the trial, its consent, one question at a time, the outcome.

The questions come from the trial's criteria file through the evaluator: the form has one slot,
`screening_answer`, asked again after each answer with the next question the evaluator needs.
Its answers are stored (encrypted) as they come, so a break resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import cipher, language
from actions.common import trials as _trials
from actions.consent import ask as ask_consent
from actions.consent import consent_texts, just_asked
from actions.knowledge import (
    answer_instead,
    ask_each,
    contact_entry,
    knowledge_base,
    say_answer,
)
from actions.language import ActionChangeLanguage
from bot import understanding, wording
from bot.consent.service import has_consent
from bot.consent.texts import LoadedConsents
from bot.db.models import Screening
from bot.db.session import default_sessions
from bot.safety import detect as safety
from bot.screening import store
from bot.screening.criteria import Criteria, Question
from bot.screening.evaluate import evaluate
from bot.screening.parse import Unclear, asks, expected, extract
from bot.trials import Screenable as Trial
from bot.trials import named_in
from bot.wording import fold

# What the person can press; a typed answer is read the same way.
YES_NO = {"en": (("Yes", "yes"), ("No", "no")), "fr": (("Oui", "oui"), ("Non", "non"))}
DONT_KNOW = {"en": ("I don't know", "I don't know"), "fr": ("Je ne sais pas", "je ne sais pas")}
# Leaving the questions: "stop" and "annuler" in any form of the word.
_LEAVE = re.compile(
    r"^(stop+|cancel|quit|exit|enough|annuler?|annule|arrete[rz]?|arreter|stopper|"
    r"i want to stop|je veux arreter|laisse tomber|stop (the )?questions?)$"
)


def _json(values: dict[str, str]) -> str:
    return json.dumps(values, separators=(",", ":"))


def leaving(tracker: Tracker, text: str) -> bool:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    words = " ".join(re.findall(r"[a-z]+", fold(text)))
    return intent == "stop_messages" or bool(_LEAVE.match(words))


class ActionStartScreening(Action):
    """Which trial, then its consent, then the questions: no health question before a yes."""

    def name(self) -> str:
        return "action_start_screening"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        if wording.asks_without_joining(text) and not understanding.asks_to_take_part(
            text, wording.words(text), _trials().screenable()
        ):
            # Naming a trial in a question ("how many visits in the asthma study?") is no
            # request to take part.
            return await answer_instead(dispatcher, tracker, misread="start_screening")
        return await asyncio.to_thread(start, dispatcher, tracker)


def start(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    trials = _trials().screenable()
    lang = language(tracker)
    chosen = _chosen(tracker, trials)
    if not trials:
        dispatcher.utter_message(response="utter_screening_unavailable")
        return [SlotSet("awaiting", None)]
    if chosen is None:
        buttons = [
            {"title": t.title(lang), "payload": "/start_screening" + _json({"trial": t.id})}
            for t in trials.values()
        ]
        dispatcher.utter_message(response="utter_screening_pick_trial", buttons=buttons)
        return [SlotSet("awaiting", None)]
    asked = ask_consent(dispatcher, tracker, store.CONSENT)
    if asked:  # a yes comes back through action_consent_decision, which calls `start` again
        return [SlotSet("trial", chosen), *asked]
    return begin(dispatcher, tracker, trials[chosen])


def _chosen(tracker: Tracker, trials: dict[str, Trial]) -> str | None:
    """The trial a button or the message names, else the conversation's, else the only one.

    The message's words choose a trial only when it asks to take part: after a consent's yes,
    the latest message is that yes, and a question naming a trial is not a request to join.
    """
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    text = str(tracker.latest_message.get("text") or "")
    candidates = [
        next(tracker.get_latest_entity_values("trial"), None),
        named_in(trials, text)
        if intent == "start_screening" or wording.asks_to_join(text)
        else None,
        tracker.get_slot("trial"),
        # "how many visits in the asthma study?" then "ok how do i sign up for it?"
        _named_lately(tracker, trials) if intent == "start_screening" else None,
        next(iter(trials)) if len(trials) == 1 else None,
    ]
    return next((str(c) for c in candidates if c and str(c) in trials), None)


def _named_lately(tracker: Tracker, trials: dict[str, Trial], within: int = 3) -> str | None:
    """The trial the person's last few messages named, the latest first."""
    said = [str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"]
    for text in reversed(said[-within:]):
        if found := named_in(trials, text):
            return found
    return None


def begin(dispatcher: CollectingDispatcher, tracker: Tracker, trial: Trial) -> list[EventType]:
    """Start or resume the trial's screening: open the form, or give the outcome at once."""
    lang = language(tracker)
    with default_sessions().begin() as session:
        try:
            progress = store.start(
                session, cipher(), _consents(), tracker.sender_id, trial.criteria
            )
        except store.NoConsent:
            return ask_consent(dispatcher, tracker, store.CONSENT)
        screening = session.get(Screening, progress.screening_id)
        assert screening is not None
        if progress.result.outcome != "incomplete":
            return outcome(dispatcher, tracker, session, screening, lang)
    dispatcher.utter_message(
        response="utter_screening_resume" if progress.resumed else "utter_screening_intro",
        trial_name=trial.named(lang),
    )
    return [
        SlotSet("trial", trial.id),
        SlotSet("screening_question", progress.result.next_question),
        SlotSet("screening_answer", None),
        SlotSet("awaiting", "screening_questions"),  # the rules open the form on this
    ]


def _consents() -> LoadedConsents:
    return consent_texts().get()


class AskScreeningAnswer(Action):
    """The question the evaluator needs next, in the person's language, with buttons."""

    def name(self) -> str:
        return "action_ask_screening_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        found = await asyncio.to_thread(_current, tracker)
        if found is None:
            dispatcher.utter_message(response="utter_screening_unavailable")
            return []
        _, question = found
        lang = language(tracker)
        buttons = _buttons(question, lang)
        if not _just_unclear(tracker):
            dispatcher.utter_message(text=question.text[lang], buttons=buttons)
            return []
        kind = {"integer": "number"}.get(question.type, question.type)
        dispatcher.utter_message(
            response=f"utter_screening_again_{kind}",
            question=(question.simple or question.text)[lang],
            expected=expected(question, lang),
            buttons=buttons,
        )
        return []


def _just_unclear(tracker: Tracker) -> bool:
    """Whether this turn's answer could not be read: the question then comes in plainer words."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") in (
            "utter_screening_unclear",
            "utter_screening_question_unanswered",
        ):
            return True
    return False


def _current(tracker: Tracker) -> tuple[Criteria, Question] | None:
    trial = _trials().screenable().get(str(tracker.get_slot("trial") or ""))
    question_id = tracker.get_slot("screening_question")
    if trial is None or not question_id:
        return None
    question = trial.criteria.question(str(question_id))
    return (trial.criteria, question) if question is not None else None


def _buttons(question: Question, lang: str) -> list[dict[str, str]]:
    if question.type == "yes_no":
        pairs = list(YES_NO[lang])
    elif question.type == "choice":
        # The option's key: its label may hold words ("not sure") that mean something else,
        # and a number would be read as one ("2" is type 2, not the second option).
        pairs = [(labels.get(lang, key), key) for key, labels in question.options.items()]
    else:
        pairs = []
    if question.type != "integer":
        pairs.append(DONT_KNOW[lang])
    return [{"title": title, "payload": payload} for title, payload in pairs]


@dataclass(frozen=True)
class _Step:
    next_question: str | None
    unclear: Unclear | None = None
    no_consent: bool = False
    answered: bool = False  # the question asked was answered


class ValidateScreeningForm(FormValidationAction):
    """Read each answer, store it, and ask what the evaluator needs next (or end the form)."""

    def name(self) -> str:
        return "validate_screening_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # Dynamic: one more question while the evaluator has one, none once it has decided.
        return ["screening_answer"] if tracker.get_slot("screening_question") else []

    async def validate_screening_answer(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = str(value or "")
        if leaving(tracker, text):
            await asyncio.to_thread(_stop, tracker.sender_id)
            dispatcher.utter_message(response="utter_screening_stopped")
            return {"screening_answer": None, "screening_question": None}
        if (tracker.latest_message.get("intent") or {}).get("name") == "change_language":
            # "do you speak english?" in the middle of the questions: the question again, in
            # the language asked for.
            switched = await ActionChangeLanguage().run(dispatcher, tracker, domain)
            return {"screening_answer": None, **{e["name"]: e["value"] for e in switched}}
        if wording.wants_to_go_on(text) or safety.check(text) is not None:
            # "Can we go on?", or a side effect the gateway has acknowledged: the question
            # comes back as it was.
            return {"screening_answer": None}
        asking = asks(text)
        if asking == "maybe":  # "2 fois ?": an answer typed with doubt, if it reads as one
            asking = not (await asyncio.to_thread(_answer, tracker, text, keep=False)).answered
        if asking:
            # A question instead of an answer ("is there a placebo?") is never read as one:
            # its vetted answer (or a plain "I don't know"), then the question again.
            if not await _answered_as_question(dispatcher, tracker, text):
                dispatcher.utter_message(response="utter_screening_question_unanswered")
            return {"screening_answer": None}
        step = await asyncio.to_thread(_answer, tracker, text)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if step.no_consent:
            dispatcher.utter_message(response="utter_screening_no_consent")
        elif step.unclear is not None and not (
            intent == "faq" and await _answered_as_question(dispatcher, tracker, text)
        ):
            dispatcher.utter_message(response="utter_screening_unclear")
        return {"screening_answer": None, "screening_question": step.next_question}


async def _answered_as_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str
) -> bool:
    """A vetted answer to a question asked in the middle of the questions, if there is one."""
    kb = await asyncio.to_thread(knowledge_base)
    trial = tracker.get_slot("trial")
    if entry := await asyncio.to_thread(contact_entry, kb, tracker, text, language(tracker), trial):
        say_answer(dispatcher, entry, kb.emergency_number)
        return True
    decision, _, answers = await ask_each(kb, text, language(tracker), trial)
    if not answers and decision.answered and decision.entry is not None:
        answers = [decision.entry]
    for entry in answers:  # "is there a placebo? do i have to pay anything": one answer each
        say_answer(dispatcher, entry, kb.emergency_number)
    return bool(answers)


def _stop(sender_key: str) -> None:
    with default_sessions().begin() as session:
        store.stop(session, sender_key)


def _answer(tracker: Tracker, text: str, *, keep: bool = True) -> _Step:
    """Read the answer and store it; with `keep` false, only say whether it would be read."""
    trial = _trials().screenable().get(str(tracker.get_slot("trial") or ""))
    if trial is None:  # its criteria were removed or broken meanwhile: the outcome says so
        return _Step(None)
    criteria = trial.criteria
    with default_sessions().begin() as session:
        try:
            progress = store.start(session, cipher(), _consents(), tracker.sender_id, criteria)
        except store.NoConsent:
            return _Step(None, no_consent=True)
        question = criteria.question(str(tracker.get_slot("screening_question") or ""))
        if progress.result.outcome != "incomplete" or question is None:
            # The criteria changed during the question: go on from where the new ones stand.
            return _Step(progress.result.next_question)
        read = extract(criteria, text, language(tracker), question, set(progress.answers))
        if not keep:
            return _Step(progress.result.next_question, answered=question.id in read.answers)
        if read.answers:
            progress = store.answer(
                session, cipher(), _consents(), progress.screening_id, criteria, read.answers
            )
    return _Step(progress.result.next_question, read.unclear if not read.answers else None)


class ActionScreeningOutcome(Action):
    """Once the form ends: what the answers suggest, and what can happen next."""

    def name(self) -> str:
        return "action_screening_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await asyncio.to_thread(self._outcome, dispatcher, tracker)

    @staticmethod
    def _outcome(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        with default_sessions().begin() as session:
            screening = store.latest(session, tracker.sender_id, tracker.get_slot("trial"))
            if screening is None or screening.outcome in ("incomplete", store.STOPPED):
                if screening is not None and screening.outcome == "incomplete":
                    # The questions ended without an outcome: the trial's criteria went away.
                    dispatcher.utter_message(response="utter_screening_unavailable")
                return [SlotSet("screening_question", None), SlotSet("awaiting", None)]
            return outcome(dispatcher, tracker, session, screening, language(tracker))


def outcome(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    session: Any,
    screening: Screening,
    lang: str,
) -> list[EventType]:
    trials = _trials().screenable()
    trial = trials.get(screening.trial)
    named = {"trial_name": trial.named(lang) if trial else screening.trial}
    phone = _team_phone(trial, lang)
    done: list[EventType] = [
        SlotSet("screening_question", None),
        SlotSet("screening_answer", None),
        SlotSet("awaiting", None),
    ]
    if screening.outcome == "not_eligible":
        dispatcher.utter_message(response="utter_screening_not_eligible", **named)
        others = _others(session, tracker.sender_id, trials, screening.trial, lang)
        if others:
            dispatcher.utter_message(response="utter_screening_other_trials", buttons=others)
        else:
            dispatcher.utter_message(response="utter_screening_no_other_trial")
        return done
    if screening.outcome == "needs_review":
        store.follow_up(session, cipher(), screening, "review", lang)
        _with_phone(dispatcher, "utter_screening_needs_review", phone, **named)
    else:
        _with_phone(dispatcher, "utter_screening_likely_eligible", phone, **named)
    dispatcher.utter_message(response="utter_contact_offer")
    return [*done, SlotSet("awaiting", "contact")]


def _team_phone(trial: Trial | None, lang: str) -> str | None:
    """The number the study team answers, with its hours: "+33 1 99 00 12 34 (Monday…)"."""
    if trial is None or not trial.phone:
        return None
    hours = trial.hours.get(lang)
    if hours and lang == "fr":  # mid-sentence: "(du lundi au vendredi…)"; English days keep theirs
        hours = hours[:1].lower() + hours[1:]
    return f"{trial.phone} ({hours})" if hours else trial.phone


def _with_phone(
    dispatcher: CollectingDispatcher, response: str, phone: str | None, **values: Any
) -> None:
    """A response that gives the team's number, or its `_no_phone` twin when none is known."""
    if phone:
        dispatcher.utter_message(response=response, team_phone=phone, **values)
    else:
        dispatcher.utter_message(response=f"{response}_no_phone", **values)


def _tracker_phone(tracker: Tracker) -> str | None:
    trial = _trials().screenable().get(str(tracker.get_slot("trial") or ""))
    return _team_phone(trial, language(tracker))


def _others(
    session: Any, sender_key: str, trials: dict[str, Trial], current: str, lang: str
) -> list[dict[str, str]]:
    """Other trials whose criteria the same answers do not rule out, as buttons to check them."""
    buttons = []
    for trial in trials.values():
        if trial.id == current:
            continue
        known = store.known_answers(session, cipher(), sender_key, trial.criteria)
        if evaluate(trial.criteria, known).outcome != "not_eligible":
            title = trial.title(lang)
            condition = trial.condition.get(lang)
            buttons.append(
                {
                    # French puts a space before a colon.
                    "title": f"{title}{' :' if lang == 'fr' else ':'} {condition}"
                    if condition
                    else title,
                    "payload": "/start_screening" + _json({"trial": trial.id}),
                }
            )
    return buttons


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
            _with_phone(dispatcher, "utter_contact_declined", _tracker_phone(tracker))
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
TIMES = {
    "morning": ("morning", "am", "matin", "matinee", "1"),
    "afternoon": ("afternoon", "pm", "apres midi", "aprem", "apres-midi", "2"),
    "evening": ("evening", "soir", "soiree", "fin de journee", "3"),
    "any": ("any", "anytime", "any time", "whenever", "peu importe", "n importe", "4"),
}
CHANNELS = {
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
        _with_phone(dispatcher, "utter_contact_declined", _tracker_phone(tracker))
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
            _record_contact,
            tracker.sender_id,
            tracker.get_slot("trial"),
            lang,
            when,
            how,
            tracker.get_slot("contact_phone"),
        )
        if recorded:
            dispatcher.utter_message(
                response=f"utter_contact_recorded_{how}", contact_time=_TIME_WORDS[lang][when]
            )
        else:
            _with_phone(dispatcher, "utter_contact_not_recorded", _tracker_phone(tracker))
        return [*_clear_contact(), SlotSet("awaiting", None)]


_TIME_WORDS = {
    "en": {
        "morning": "in the morning",
        "afternoon": "in the afternoon",
        "evening": "in the evening",
        "any": "at any time of day",
    },
    "fr": {
        "morning": "le matin",
        "afternoon": "l'après-midi",
        "evening": "en soirée",
        "any": "à n'importe quel moment de la journée",
    },
}


def _record_contact(
    sender_key: str, trial: str | None, lang: str, when: str, how: str, phone: str | None
) -> bool:
    with default_sessions().begin() as session:
        screening = store.latest(session, sender_key, trial)
        if screening is None or not has_consent(session, _consents(), sender_key, "contact"):
            return False
        store.follow_up(
            session,
            cipher(),
            screening,
            "contact",
            lang,
            preferred_time=when,
            channel=how,
            phone=phone if how == "phone" else None,
        )
    return True
