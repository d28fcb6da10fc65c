"""Pre-screening in the conversation: the trial, its consent, one question at a time, the outcome.

The questions come from the trial's criteria file through the evaluator: the form has one slot,
`screening_answer`, asked again after each answer with the next question the evaluator needs.
Its answers are stored (encrypted) as they come, so a break resumes where it stopped. What is
stored and decided is `bot.screening.service`'s: these actions read the slots and word its results.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import cipher, language, named_lately, trial_spoken_of, with_phone
from actions.common import trials as _trials
from actions.consent import ask as ask_consent
from actions.consent import consent_texts
from actions.knowledge import (
    answer_asked_too,
    answer_instead,
    ask_each,
    contact_entry,
    knowledge_base,
    say_answer,
)
from actions.language import ActionChangeLanguage
from bot import understanding, wording
from bot.consent.texts import LoadedConsents
from bot.db.session import default_sessions
from bot.safety import detect as safety
from bot.screening import service, store
from bot.screening.criteria import Criteria, Question
from bot.screening.parse import asks, expected
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


# Said with more words: "actually stop i dont want to do this now", "en fait non j'arrête, pas
# maintenant".
_LEAVE_SAID = re.compile(
    r"\b(?:(?:stop|cancel|quit|j arrete|on arrete|laisse tomber)\b.*\b(?:dont want|do not want|"
    r"not now|later|another time|changed my mind|pas maintenant|plus tard|une autre fois|"
    r"change d avis)|(?:dont want|do not want|don t want) to (?:do|continue|carry on|go "
    r"on with) (?:this|it|that|these)|je (?:ne )?veux (?:plus|pas) (?:continuer|faire ca|le faire|"
    r"repondre))\b"
)


def leaving(tracker: Tracker, text: str) -> bool:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    words = " ".join(re.findall(r"[a-z]+", fold(text)))
    return intent == "stop_messages" or bool(_LEAVE.match(words) or _LEAVE_SAID.search(words))


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
        if asked_too := _asked_with_the_request(text):
            # "my dad has type 2, can he join and would he get paid": the payment question is
            # answered before the consent the questions need.
            await answer_asked_too(dispatcher, tracker, asked_too, trial_spoken_of(tracker))
        return await asyncio.to_thread(start, dispatcher, tracker)


def _asked_with_the_request(text: str) -> list[str]:
    """The questions a request to take part also asks, each on its own ("…, can he join and
    would he get paid": "would he get paid"; "elle peut faire l'etude ?" is the request)."""
    parts = wording.clauses(text)
    if len(parts) < 2:
        return []
    trials = _trials().screenable()
    return [
        part
        for part in parts
        if wording.is_question(part)
        and not wording.asks_to_join(part)
        and not understanding.asks_to_take_part(part, wording.words(part), trials)
    ]


def start(
    dispatcher: CollectingDispatcher, tracker: Tracker, chosen: str | None = None
) -> list[EventType]:
    trials = _trials().screenable()
    lang = language(tracker)
    chosen = chosen if chosen in trials else _chosen(tracker, trials)
    if not trials:
        dispatcher.utter_message(response="utter_screening_unavailable")
        return [SlotSet("awaiting", None)]
    if chosen is None:
        return _pick_trial(dispatcher, list(trials.values()), lang)
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
        named_lately(tracker, trials) if intent == "start_screening" else None,
        next(iter(trials)) if len(trials) == 1 else None,
    ]
    return next((str(c) for c in candidates if c and str(c) in trials), None)


def begin(dispatcher: CollectingDispatcher, tracker: Tracker, trial: Trial) -> list[EventType]:
    """Start or resume the trial's screening: open the form, or give the outcome at once."""
    lang = language(tracker)
    begun = screenings().begin(tracker.sender_id, trial, lang)
    if isinstance(begun, service.ConsentNeeded):
        return ask_consent(dispatcher, tracker, store.CONSENT)
    if isinstance(begun, service.Outcome):
        return _say_outcome(dispatcher, begun, lang)
    dispatcher.utter_message(
        response="utter_screening_resume" if begun.resumed else "utter_screening_intro",
        trial_name=trial.named(lang),
    )
    return [
        SlotSet("trial", trial.id),
        SlotSet("screening_question", begun.next_question),
        SlotSet("screening_answer", None),
        SlotSet("awaiting", "screening_questions"),  # the rules open the form on this
    ]


def screenings() -> service.Screenings:
    """The pre-screening's use cases on the action server's database, keys, texts and trials."""
    return service.Screenings(default_sessions(), cipher(), _consents, _trials().screenable)


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
            await asyncio.to_thread(lambda: screenings().stop(tracker.sender_id))
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
        elif (
            step.unclear is None
            and (asked_too := _asked_after_the_answer(text))
            and not await _answered_as_question(dispatcher, tracker, asked_too)
        ):
            # "yes diagnosed 2 yrs ago. also do u get paid for the visits?": the answer is kept,
            # and the question after it answered (or said unanswered) before the next one.
            dispatcher.utter_message(response="utter_screening_question_unanswered")
        return {"screening_answer": None, "screening_question": step.next_question}


def _asked_after_the_answer(text: str) -> str | None:
    """The question a message asks after the answer it opens with, if it asks one ("is that
    ok?", of a few words, asks about the answer itself: the next question says it is)."""
    parts = wording.clauses(text)
    asked = [p for p in parts[1:] if wording.is_question(p) and len(wording.words(p).split()) > 3]
    return " ".join(asked) if asked and not wording.is_question(parts[0]) else None


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


def _answer(tracker: Tracker, text: str, *, keep: bool = True) -> service.Step:
    """Read the answer and store it; with `keep` false, only say whether it would be read."""
    return screenings().answer(
        tracker.sender_id,
        str(tracker.get_slot("trial") or ""),
        str(tracker.get_slot("screening_question") or ""),
        text,
        language(tracker),
        keep=keep,
    )


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
        lang = language(tracker)
        found = screenings().outcome(tracker.sender_id, tracker.get_slot("trial"), lang)
        if isinstance(found, service.Outcome):
            return _say_outcome(dispatcher, found, lang)
        if found.unavailable:  # the questions ended without an outcome: the criteria went away
            dispatcher.utter_message(response="utter_screening_unavailable")
        return [SlotSet("screening_question", None), SlotSet("awaiting", None)]


def _say_outcome(
    dispatcher: CollectingDispatcher, said: service.Outcome, lang: str
) -> list[EventType]:
    """The outcome in words; what can happen next (another trial, or the team's call)."""
    named = {"trial_name": said.trial_name}
    done: list[EventType] = [
        SlotSet("screening_question", None),
        SlotSet("screening_answer", None),
        SlotSet("awaiting", None),
    ]
    if said.kind == "not_eligible":
        dispatcher.utter_message(response="utter_screening_not_eligible", **named)
        if said.others:
            buttons = [_other_trial(other, lang) for other in said.others]
            buttons.append({"title": _NO_THANKS[lang], "payload": "/deny"})
            dispatcher.utter_message(response="utter_screening_other_trials", buttons=buttons)
            return [*done, SlotSet("awaiting", "other_trial")]
        dispatcher.utter_message(response="utter_screening_no_other_trial")
        return done
    if said.kind == "needs_review":
        with_phone(dispatcher, "utter_screening_needs_review", said.team_phone, **named)
    else:
        with_phone(dispatcher, "utter_screening_likely_eligible", said.team_phone, **named)
    dispatcher.utter_message(response="utter_contact_offer")
    return [*done, SlotSet("awaiting", "contact")]


_NO_THANKS = {"en": "No, thanks", "fr": "Non, merci"}


class ActionOtherTrialDeclined(Action):
    """A no (typed, or its button) to checking another trial after a "not a match"."""

    def name(self) -> str:
        return "action_other_trial_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_other_trial_declined")
        return [SlotSet("awaiting", None)]


class ActionOtherTrialAccepted(Action):
    """A typed yes to checking another trial after a "not a match": that trial's pre-screening
    when one was offered, else the offer's buttons again to choose from."""

    def name(self) -> str:
        return "action_other_trial_accepted"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        trials = _trials().screenable()
        offered = [trials[t] for t in _offered_trials(tracker) if t in trials]
        if len(offered) == 1:
            return await asyncio.to_thread(start, dispatcher, tracker, offered[0].id)
        return _pick_trial(dispatcher, offered or list(trials.values()), language(tracker))


def _pick_trial(
    dispatcher: CollectingDispatcher, trials: list[Trial], lang: str
) -> list[EventType]:
    """Which study: a button for each."""
    buttons = [
        {"title": t.title(lang), "payload": "/start_screening" + _json({"trial": t.id})}
        for t in trials
    ]
    dispatcher.utter_message(response="utter_screening_pick_trial", buttons=buttons)
    return [SlotSet("awaiting", None)]


def _offered_trials(tracker: Tracker) -> list[str]:
    """The trials the assistant's latest message offered to check, by their buttons."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        payloads = [
            str(b.get("payload") or "") for b in (event.get("data") or {}).get("buttons") or []
        ]
        offered = [_OFFERED.match(p) for p in payloads]
        if any(offered):
            return [m[1] for m in offered if m]
    return []


_OFFERED = re.compile(r'^/start_screening\{"trial": ?"([^"]+)"\}$')


def _other_trial(other: service.OtherTrial, lang: str) -> dict[str, str]:
    """A button to check another trial the same answers do not rule out."""
    return {
        # French puts a space before a colon.
        "title": f"{other.title}{' :' if lang == 'fr' else ':'} {other.condition}"
        if other.condition
        else other.title,
        "payload": "/start_screening" + _json({"trial": other.id}),
    }
