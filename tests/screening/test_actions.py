"""What a person sees of the questions: plainer words after an unclear answer, buttons that say
each thing once, trial names that read right in a sentence, the team's number when promised."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common, screening
from bot.screening.criteria import Question
from bot.screening.parse import Parsed, parse
from bot.settings import PROJECT_ROOT


def _tracker(
    slots: dict[str, Any],
    *,
    text: str = "",
    intent: str = "",
    events: tuple[dict[str, Any], ...] = (),
) -> Tracker:
    message = {"text": text, "intent": {"name": intent} if intent else {}, "entities": []}
    user = {"event": "user", "text": text, "parse_data": message}
    return Tracker("someone", slots, message, [user, *events], False, None, {}, "action_listen")


def _ask(tracker: Tracker) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(screening.AskScreeningAnswer().run(dispatcher, tracker, {}))
    return list(dispatcher.messages)


UNCLEAR = {"event": "bot", "text": "", "metadata": {"utter_action": "utter_screening_unclear"}}


def test_a_question_comes_back_in_plainer_words_with_its_buttons_after_an_unclear_answer() -> None:
    slots = {"trial": "demo-asthma-002", "screening_question": "copd", "language": "fr"}
    (first,) = _ask(_tracker(slots))
    assert "bronchopneumopathie chronique obstructive" in first["text"]  # the full question
    (again,) = _ask(_tracker(slots, text="bof", events=(UNCLEAR,)))
    assert again["response"] == "utter_screening_again_yes_no"
    assert again["question"] == "Vous a-t-on déjà dit que vous aviez une BPCO ?"
    assert [b["title"] for b in again["buttons"]] == ["Oui", "Non", "Je ne sais pas"]


def test_a_number_asked_again_says_which_numbers_fit() -> None:
    slots = {"trial": "demo-t2d-001", "screening_question": "hba1c", "language": "en"}
    (again,) = _ask(_tracker(slots, text="high", events=(UNCLEAR,)))
    assert again["response"] == "utter_screening_again_number"
    assert again["expected"] == "a number from 3 to 20"
    assert "for example 7.8" in again["question"]


@pytest.mark.parametrize(
    ("trial", "question", "lang", "titles"),
    [
        ("demo-t2d-001", "diabetes_type", "en",
         ["Type 2 diabetes", "Type 1 diabetes", "Another type", "I don't know"]),
        ("demo-asthma-002", "asthma_diagnosis", "fr",
         ["Oui, il y a 12 mois ou plus", "Oui, il y a moins de 12 mois", "Non", "Je ne sais pas"]),
    ],
)  # fmt: skip
def test_not_sure_is_offered_once(trial: str, question: str, lang: str, titles: list[str]) -> None:
    slots = {"trial": trial, "screening_question": question, "language": lang}
    (asked,) = _ask(_tracker(slots))
    assert [b["title"] for b in asked["buttons"]] == titles
    criteria = common.trials().screenable()[trial].criteria
    chosen = criteria.question(question)
    assert chosen is not None
    for button in asked["buttons"][:-1]:  # pressing a button gives its option
        assert parse(chosen, button["payload"], lang) == Parsed(button_key(chosen, button))


def button_key(question: Question, button: dict[str, str]) -> str:
    (key,) = [k for k, labels in question.options.items() if button["title"] in labels.values()]
    return key


def test_a_trial_named_in_a_question_is_not_chosen_for_the_questions() -> None:
    trials = common.trials().screenable()
    asking = _tracker({}, text="combien de visites pour l'étude asthme ?", intent="faq")
    assert screening._chosen(asking, trials) is None
    joining = _tracker({}, text="je veux participer à l'étude asthme", intent="start_screening")
    assert screening._chosen(joining, trials) == "demo-asthma-002"


def _responses() -> dict[str, list[dict[str, Any]]]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return domain["responses"]  # type: ignore[no-any-return]


def _render(text: str, values: dict[str, str | None]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1]) or ""), text)


def _depth(text: str) -> int:
    deepest = depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    return deepest


@pytest.mark.parametrize("trial_id", ["demo-t2d-001", "demo-asthma-002"])
def test_trial_names_read_right_in_every_sentence(trial_id: str) -> None:
    trial = common.trials().screenable()[trial_id]
    for name, variants in _responses().items():
        if not name.startswith(("utter_screening_", "utter_contact_")):
            continue
        for variant in variants:
            lang = "fr" if variant.get("condition") else "en"
            values = {
                "trial_title": trial.title(lang),
                "trial_name": trial.named(lang),
                "team_phone": trial.team_phone(lang),
            }
            text = _render(variant["text"], values)
            assert _depth(text) <= 1, f"{name}: brackets inside brackets: {text}"
            assert not re.search(r"\b(à|a|in|for|of) (Étude|Study)\b", text), f"{name}: {text}"


def test_the_outcome_gives_the_team_number_it_promises() -> None:
    trial = common.trials().screenable()["demo-t2d-001"]
    dispatcher = CollectingDispatcher()
    common.with_phone(
        dispatcher,
        "utter_screening_likely_eligible",
        trial.team_phone("fr"),
        trial_name=trial.named("fr"),
    )
    (said,) = dispatcher.messages
    assert said["team_phone"] == "+33 1 99 00 12 34 (du lundi au vendredi, de 9 h à 17 h)"
    for variant in _responses()["utter_screening_likely_eligible"]:
        assert "{team_phone}" in variant["text"]
