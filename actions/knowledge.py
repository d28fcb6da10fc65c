"""Answering trial questions from the vetted knowledge base, and recording "was this helpful?"."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import cipher, team_phone, trial_spoken_of, trials, with_phone
from actions.handoff import add_to_open, hand_over, user_messages
from bot import wording
from bot.db.session import default_sessions
from bot.i18n import messages
from bot.knowledge import gaps
from bot.knowledge.entries import Entry
from bot.knowledge.service import Decision, KnowledgeBase
from bot.settings import get_settings
from bot.trials import named_in, without_name

log = logging.getLogger(__name__)

# The standard topic that gives the study team's number and address (kb-topics.yml).
CONTACT_TOPIC = "contact_team"
# The standard topics on who may take part and why, and on leaving a study (kb-topics.yml).
CRITERIA_TOPIC = "eligibility_criteria"
LEAVING_TOPIC = "leave_anytime"

_loaded = threading.Event()
_kb: KnowledgeBase | None = None
_loader: threading.Thread | None = None
_start_lock = threading.Lock()


def start_loading() -> None:
    """Load the knowledge base in the background, once, so the first question need not wait."""
    global _loader
    with _start_lock:
        if _loader is None:
            _loader = threading.Thread(target=_load, name="knowledge", daemon=True)
            _loader.start()


def _load() -> None:
    global _kb
    kb = KnowledgeBase(get_settings())
    try:
        kb.load()
    except Exception:
        log.exception("the knowledge base could not be loaded; questions will retry it")
    finally:
        _kb = kb
        _loaded.set()


def knowledge_base() -> KnowledgeBase:
    start_loading()
    _loaded.wait()
    assert _kb is not None
    return _kb


async def answer_question(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    *,
    misread: str | None = None,
    unsure: Callable[[], None] | None = None,
) -> list[EventType]:
    """Answer the latest message from the knowledge base (or say it cannot).

    `misread` names the intent the NLU gave a message that another action found to be a question
    after all: staff see it among the gaps even when the answer was found, so that the
    understanding can be taught. `unsure` says what to do instead of "I'm not sure", or of a
    choice between close entries, when no entry answers (the gap is recorded all the same).
    """
    lang = tracker.get_slot("language") or "en"
    text = str(tracker.latest_message.get("text") or "")
    trial = trial_spoken_of(tracker)
    kb = await asyncio.to_thread(knowledge_base)
    chosen = next(tracker.get_latest_entity_values("entry_id"), None)
    if chosen and (entry := kb.entry(str(chosen), lang, trial=trial)):
        say_answer(dispatcher, entry, kb.emergency_number)
        return []
    if misread is None and (courtesy := _courtesy(text)):
        dispatcher.utter_message(response=courtesy)  # asks nothing: no gap, no "not sure"
        return []
    if wording.is_puzzled(text):
        # "hein ?": not a question the team should add an answer for; what they can ask.
        dispatcher.utter_message(response="utter_how_can_i_help")
        return []
    if wording.stops_treatment(text) and wording.asks(text):
        # "should i stop the tablets?": never the assistant's to say, nor a knowledge gap.
        stop_treatment(dispatcher, tracker)
        return []
    if misread is None and wording.writes_for_someone(text) and not wording.asks(text):
        # "my daughter is in the asthma trial": how to help them, not a gap for staff.
        dispatcher.utter_message(response="utter_writing_for_someone")
        return []
    if misread is None and wording.feels_unwell(text):
        # "i dont feel great tbh": no question for the knowledge base, no gap for staff; what
        # they feel, and since when, is asked (the safety check reads the answer).
        dispatcher.utter_message(response="utter_feeling_unwell")
        return []
    if entry := contact_entry(kb, tracker, text, lang, trial):
        say_answer(dispatcher, entry, kb.emergency_number)
        if entry.trials is None:
            each_study_team(dispatcher, lang)  # no study in context: the number is one of these
        return []
    if (
        wording.only_names(text)
        and (named := named_in(trials().screenable(), text))
        and (again := _asked_again(kb, tracker, text, lang, trial, set()))
    ):
        # "what about my asthma" after an answer: that answer's topic for the study named,
        # not whichever of the study's own entries its name is nearest to.
        if again.id == _last_answer(tracker):
            study = trials().screenable()[named]
            dispatcher.utter_message(
                response="utter_kb_same_for_trial", trial_name=study.named(lang)
            )
        else:
            say_answer(dispatcher, again, kb.emergency_number)
        if again.key == CRITERIA_TOPIC:
            offer_screening(dispatcher, tracker, named, lang)
        return []
    decision, each, answers = await ask_each(kb, text, lang, trial)
    criteria = None if misread else criteria_entry(kb, text, lang, trial, decision)
    if criteria is not None:
        answers = _distinct([criteria, *(e for e in answers if e.key != LEAVING_TOPIC)])
    if answers:
        for entry in answers:
            say_answer(dispatcher, entry, kb.emergency_number)
        if any(entry.key == CRITERIA_TOPIC for entry in answers):
            offer_screening(dispatcher, tracker, trial, lang)
        await _unsure_of_the_rest(dispatcher, tracker, each, answers, trial)
        return []
    if not decision.answered and (close := [d for _, d in each if d.reason == "ambiguous"]):
        decision = close[0]  # the question's own close entries, rather than none at all
    if misread is not None:
        await asyncio.to_thread(
            _record_gap, tracker.sender_id, text, lang, f"misread:{misread}", decision, trial
        )
    near = (
        {c.entry.key for c in decision.candidates[:3]} if decision.reason == "ambiguous" else set()
    )
    if (
        not decision.answered
        and decision.reason != "out_of_scope"  # like a question not to answer: not a follow-up
        and (again := _asked_again(kb, tracker, text, lang, trial, near))
    ):
        # "and my hay fever every spring?" after an answer on who may take part: the same
        # topic, for the study named if one is.
        decision = Decision(True, entry=again, score=decision.score)
    if decision.answered and decision.entry is not None:
        say_answer(dispatcher, decision.entry, kb.emergency_number)
        if decision.entry.key == CRITERIA_TOPIC:
            offer_screening(dispatcher, tracker, trial, lang)
        await _unsure_of_the_rest(dispatcher, tracker, each, [decision.entry], trial)
    elif decision.reason == "ambiguous" and unsure is None:
        _offer_choices(dispatcher, decision)
    else:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        out_of_scope = intent == "out_of_scope"
        reason = "out_of_scope" if out_of_scope else (decision.reason or "low_confidence")
        if misread is None:
            await asyncio.to_thread(
                _record_gap, tracker.sender_id, text, lang, reason, decision, trial
            )
        if unsure is not None:
            unsure()
            return []
        return await _not_understood(dispatcher, tracker, out_of_scope, decision.suggestion)
    return []


def contact_entry(
    kb: KnowledgeBase, tracker: Tracker, text: str, lang: str, trial: str | None
) -> Entry | None:
    """For a question for the team's number: the entry that gives the number of the study in
    context, or of the one named (a promise kept), else the general one."""
    if not _asks_for_contact(tracker, text):
        return None
    return kb.on_topic(CONTACT_TOPIC, lang, trial=named_in(trials().screenable(), text) or trial)


def criteria_entry(
    kb: KnowledgeBase, text: str, lang: str, trial: str | None, decision: Decision
) -> Entry | None:
    """For "i've had eczema for years, would that stop me joining?": who may take part, for
    the study named or in context (its own entry when it has one), unless the knowledge base
    answers the question itself ("trying for a baby, does that matter for a trial?" has its
    own entry). Word by word the question is nearest to leaving a study ("stop", "taking
    part"): that answer is never the one."""
    if not wording.asks_whether_a_condition_counts(text):
        return None
    if decision.answered and decision.entry is not None and decision.entry.key != LEAVING_TOPIC:
        return None
    return kb.on_topic(CRITERIA_TOPIC, lang, trial=trial)  # `trial`: the one named, else context


def offer_screening(
    dispatcher: CollectingDispatcher, tracker: Tracker, trial: str | None, lang: str
) -> None:
    """After who may take part, the pre-screening of the study in question, one tap away (none
    while its questions are going on, or with no study in question)."""
    study = trials().screenable().get(trial) if trial else None
    if study is None or tracker.active_loop.get("name"):
        return
    button = {
        "title": messages.text("screening_offer_button", lang),
        "payload": "/start_screening" + json.dumps({"trial": study.id}, separators=(",", ":")),
    }
    dispatcher.utter_message(
        response="utter_screening_offer", trial_name=study.named(lang), buttons=[button]
    )


def each_study_team(dispatcher: CollectingDispatcher, lang: str) -> None:
    """The number of each study's team, for a person asking with no study in context: the
    general answer sends them to an information sheet they may not have yet."""
    teams = [
        f"- {trial.title(lang)} ({trial.condition.get(lang, '')}): {trial.phone}"
        for trial in trials().screenable().values()
        if trial.phone
    ]
    if teams:
        dispatcher.utter_message(response="utter_each_study_team", teams="\n".join(teams))


def _asks_for_contact(tracker: Tracker, text: str) -> bool:
    """A question for the team's number, or "and for the asthma one?" right after one."""
    if wording.asks_for_contact(text):
        return True
    if not wording.asks_the_same_of(text):
        return False
    said = [str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"]
    return len(said) >= 2 and wording.asks_for_contact(said[-2])


def _asked_again(
    kb: KnowledgeBase,
    tracker: Tracker,
    text: str,
    lang: str,
    trial: str | None,
    close: set[str],
) -> Entry | None:
    """For a short follow-up right after a vetted answer, that answer's topic again."""
    if not wording.follows_up(text):
        return None
    last = _last_answer(tracker)
    if last is None:
        return None
    answered = next((e for e in kb.entries(lang) if e.id == last), None)
    if answered is None or (close and answered.key not in close):
        return None  # close to other topics: not the same question again
    return kb.on_topic(answered.key, lang, trial=named_in(trials().screenable(), text) or trial)


def _last_answer(tracker: Tracker) -> str | None:
    """The entry of the assistant's answer to the person's previous message, if it was one."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users > 1:
                return None
        elif event.get("event") == "bot" and users == 1:
            for button in (event.get("data") or {}).get("buttons") or []:
                found = _ENTRY.search(str(button.get("payload") or ""))
                if found:
                    return found[1]
    return None


_ENTRY = re.compile(r'^/feedback\{"entry_id": "([^"]+)"')


def _courtesy(text: str) -> str | None:
    """The reply to thanks or a goodbye that asks nothing, if the message is one."""
    if wording.is_goodbye(text):
        return "utter_goodbye"
    if wording.is_thanks(text):
        return "utter_you_are_welcome"
    return None


def _by_question(
    kb: KnowledgeBase, text: str, lang: str, trial: str | None
) -> list[tuple[str, Decision]]:
    """Each question of a message, with the knowledge base's decision on it, when the message
    holds several parts (none for a message of one part: the whole message was asked already)."""
    parts: list[str] = []
    for part in wording.clauses(text):
        if parts and wording.points_back(part):
            parts[-1] = f"{parts[-1]}, {part}"  # "i've had eczema, does that stop me…": one
        else:
            parts.append(part)
    if len(parts) < 2:
        return []
    return [(part, _decide(kb, part, lang, trial)) for part in parts if wording.asks(part)]


def _decide(kb: KnowledgeBase, text: str, lang: str, trial: str | None) -> Decision:
    """The knowledge base's decision on `text`, and when it names the study in context, on the
    rest of its words too: "start to finish how many months does the diabetes one run" (every
    entry of the study shares "diabetes"; the study is the context, the rest of the words the
    question). The rest answers when the whole does not, or when the name alone chose the
    whole's answer: "l'étude DMX-101 on peut la faire à distance ?" came closest to the study
    team's page, and is about remote visits. Nor is an entry offered for the name alone: "whats
    the asthma one about" came closest to the asthma study's placebo page."""
    decision = kb.ask(text, lang, trial=trial)
    if (named := _without_trial_name(text, trial)) is None:
        return decision
    plain = kb.ask(named, lang, trial=trial)
    if decision.answered and not _chosen_by_the_name(decision, plain):
        return decision
    if plain.answered or plain.reason == "ambiguous" or decision.answered:
        return plain  # the rest of the words answer, offer a choice, or show the name chose
    return replace(decision, suggestion=plain.suggestion)


# How far behind the answer to the rest of the words an entry may fall, without the study's name,
# and still be the answer: "l'étude AZ-202 dure combien ?" and "how long does the asthma study go
# on" keep the study's visits page, which gives its length (0.12 and 0.16 behind the general
# page on durations); "l'étude DMX-101 c'est où ?" gets the page on places, not the study team's
# (0.26 behind: chosen by the name).
NAME_LEAD = 0.2


def _chosen_by_the_name(named: Decision, plain: Decision) -> bool:
    """Whether the study's name alone made `named`'s entry the answer: it falls far behind
    without the name, or it is one of the study's own pages and the rest of the words, which
    no entry answers, come closest to another ("c quoi l'etude diabete en gros" got the study's
    placebo page; "c quoi en gros" is closest to the page on what a trial is)."""
    if named.entry is None or plain.entry == named.entry:
        return False
    if named.entry.trials is not None and plain.reason == "low_confidence":
        return bool(plain.candidates) and plain.candidates[0].entry != named.entry
    without = next((c.score for c in plain.candidates if c.entry == named.entry), 0.0)
    return plain.score - without > NAME_LEAD


async def ask_each(
    kb: KnowledgeBase, text: str, lang: str, trial: str | None
) -> tuple[Decision, list[tuple[str, Decision]], list[Entry]]:
    """The decision on the whole message, on each of its questions, and the entries to answer
    it with question by question (none when the whole message's decision is the one to follow).

    "do i get paid and how many visits r there": each question its own answer; and "im ok now.
    what do u do with my data" is answered for its question.
    """
    decision = await asyncio.to_thread(_decide, kb, text, lang, trial)
    each = await asyncio.to_thread(_by_question, kb, text, lang, trial)
    answers = _distinct([d.entry for _, d in each if d.answered and d.entry is not None])
    if len(answers) > 1 or (answers and not decision.answered):
        return decision, each, answers
    return decision, each, []


async def answer_asked_too(
    dispatcher: CollectingDispatcher, tracker: Tracker, parts: list[str], trial: str | None
) -> None:
    """The questions a message asks beside what another action does with it ("can he join and
    would he get paid"): each answered, or named with the entries close to it."""
    kb = await asyncio.to_thread(knowledge_base)
    lang = tracker.get_slot("language") or "en"
    each = [(part, await asyncio.to_thread(_decide, kb, part, lang, trial)) for part in parts]
    answers = _distinct([d.entry for _, d in each if d.answered and d.entry is not None])
    for entry in answers:
        say_answer(dispatcher, entry, kb.emergency_number)
    await _unsure_of_the_rest(dispatcher, tracker, each, answers, trial)


async def _unsure_of_the_rest(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    each: list[tuple[str, Decision]],
    said: list[Entry],
    trial: str | None,
) -> None:
    """After the answers to a message of several questions, each other question that entries
    come close to is named, said to be unsure, offered those entries and the team as buttons,
    and kept for staff: "do i get paid and whats in it for me honestly" loses neither. A part
    no entry comes close to ("can i ask u something") is left: most are no question at all."""
    keys = {entry.key for entry in said}
    lang = tracker.get_slot("language") or "en"
    for part, decision in each:
        if decision.answered or (decision.candidates and decision.candidates[0].entry.key in keys):
            continue  # answered, here or by the answer to the whole message
        if decision.suggestion is not None:
            offered = [decision.suggestion]
        elif decision.reason == "ambiguous":
            offered = _close_entries(decision)
        else:
            continue
        offered = [entry for entry in offered if entry.key not in keys]
        if not offered:
            continue
        buttons = [{"title": entry.title, "payload": _chosen(entry)} for entry in offered]
        buttons.append({"title": messages.text("team_button", lang), "payload": "/request_human"})
        dispatcher.utter_message(response="utter_kb_not_sure_rest", part=part, buttons=buttons)
        await asyncio.to_thread(
            _record_gap,
            tracker.sender_id,
            part,
            lang,
            decision.reason or "low_confidence",
            decision,
            trial,
        )


def _without_trial_name(text: str, trial: str | None) -> str | None:
    """The message without the words naming the trial in context, if it names it."""
    study = trials().screenable().get(trial) if trial else None
    if study is None:
        return None
    plain = without_name(study, text)
    return plain if plain != text and len(plain.split()) >= 2 else None


def _distinct(entries: list[Entry]) -> list[Entry]:
    return [entry for i, entry in enumerate(entries) if entry not in entries[:i]]


def stop_treatment(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Asked whether to stop the study treatment: not on their own; the team's number (the
    emergency number is the conversation's slot, as in every response)."""
    phone = team_phone(tracker, trial_spoken_of(tracker))
    with_phone(dispatcher, "utter_stop_treatment_ask_team", phone)


async def answer_instead(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, misread: str
) -> list[EventType]:
    """A question the NLU read as `misread` gets its answer, and the conversation stays where it
    was: a form going on asks its question again, else the assistant listens."""
    events = await answer_question(dispatcher, tracker, misread=misread)
    return [*events, FollowupAction(tracker.active_loop_name or "action_listen")]


class ActionRecordFeedback(Action):
    """Keep the person's "was this helpful?" for the entry it was about."""

    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        entry_id = next(tracker.get_latest_entity_values("entry_id"), None)
        helpful = next(tracker.get_latest_entity_values("helpful"), None)
        if entry_id and helpful in ("yes", "no"):
            language = tracker.get_slot("language") or "en"
            await asyncio.to_thread(
                _record_feedback, tracker.sender_id, str(entry_id), language, helpful == "yes"
            )
        dispatcher.utter_message(response="utter_kb_feedback_thanks")
        return []


async def _not_understood(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    out_of_scope: bool,
    suggestion: Entry | None = None,
) -> list[EventType]:
    """Say so; a question about the study missed right after another message missed goes to
    the study team, and any missed while it has the conversation is added to it. An entry close
    to the question (`suggestion`) is offered, one tap away, beside "not sure"."""
    turn = len(user_messages(tracker))
    if out_of_scope:
        # Not a question for the team ("tell me a joke"), so never a reason to call them in; but
        # a question for them right after it ("what colour is the car park barrier", then "which
        # floor is the vending machine on") is the second message in a row left unanswered.
        _unsure(dispatcher, tracker, suggestion, otherwise="utter_out_of_scope")
        return [SlotSet("misunderstood_at", turn)]
    if await add_to_open(dispatcher, tracker):
        return [SlotSet("misunderstood_at", None)]  # the team has the conversation already
    if tracker.get_slot("misunderstood_at") == turn - 1 and await hand_over(
        dispatcher, tracker, "misunderstood"
    ):
        return [SlotSet("misunderstood_at", None)]
    _unsure(dispatcher, tracker, suggestion, otherwise="utter_kb_not_sure")
    return [SlotSet("misunderstood_at", turn)]


def _unsure(
    dispatcher: CollectingDispatcher, tracker: Tracker, suggestion: Entry | None, otherwise: str
) -> None:
    """ "Not sure", with the entry close to the question and the team as buttons; `otherwise`
    when no entry is close."""
    if suggestion is None:
        dispatcher.utter_message(response=otherwise)
        return
    lang = tracker.get_slot("language") or "en"
    buttons = [
        {"title": suggestion.title, "payload": _chosen(suggestion)},
        {"title": messages.text("team_button", lang), "payload": "/request_human"},
    ]
    dispatcher.utter_message(response="utter_kb_not_sure_suggest", buttons=buttons)


def say_answer(dispatcher: CollectingDispatcher, entry: Entry, emergency_number: str) -> None:
    dispatcher.utter_message(
        response="utter_kb_answer",
        kb_answer=entry.render_body(emergency_number),
        kb_source_name=entry.source.name,
        kb_source_url=entry.source.url,
        kb_reviewed_on=entry.reviewed_on.isoformat(),
        kb_entry_id=entry.id,
    )


def _offer_choices(dispatcher: CollectingDispatcher, decision: Decision) -> None:
    buttons = [{"title": e.title, "payload": _chosen(e)} for e in _close_entries(decision)]
    dispatcher.utter_message(response="utter_kb_did_you_mean", buttons=buttons)


def _close_entries(decision: Decision) -> list[Entry]:
    """The entries of an ambiguous decision close enough to the best to be offered."""
    return [c.entry for c in decision.candidates[:3] if decision.score - c.score <= 0.1]


def _chosen(entry: Entry) -> str:
    """The payload of a button that gives `entry`'s answer."""
    return f'/faq{{"entry_id": "{entry.id}"}}'


def _record_gap(
    sender_key: str, text: str, lang: str, reason: str, decision: Decision, trial: str | None
) -> None:
    with default_sessions().begin() as session:
        gaps.record_unanswered(
            session,
            cipher=cipher(),
            sender_key=sender_key,
            text=text,
            language=lang,
            reason=reason,
            candidates=decision.candidates,
            trial=trial,
        )


def _record_feedback(sender_key: str, entry_id: str, language: str, helpful: bool) -> None:
    with default_sessions().begin() as session:
        gaps.record_feedback(
            session, sender_key=sender_key, entry_id=entry_id, language=language, helpful=helpful
        )
