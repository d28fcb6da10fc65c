"""Trial questions through the real stack: vetted answers with their source, or a logged "no"."""

from __future__ import annotations

import sqlite3

import pytest

from bot.knowledge.entries import load_faq
from bot.settings import PROJECT_ROOT
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def _opening(entry_id: str, lang: str) -> str:
    """The first words of an entry's answer as staff wrote them."""
    (entry,) = [
        e
        for e in load_faq(PROJECT_ROOT / "knowledge").entries
        if (e.id, e.lang) == (entry_id, lang)
    ]
    return entry.body.split("\n")[0][:40]


def _rows(stack: Stack, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(stack.var_dir / "trialbot.db") as connection:
        return connection.execute(query).fetchall()


def test_an_english_question_gets_the_vetted_answer_with_its_source(stack: Stack) -> None:
    sender = "e2e-kb-en"
    (answer,) = stack.chat(sender, "how much will it cost me to take part in a trial?")
    assert _opening("cost", "en") in answer["text"]
    assert "Source: [" in answer["text"] and "reviewed on 2026-11-20" in answer["text"]
    assert answer["text"].endswith("Was this helpful?")
    yes = answer["buttons"][0]
    assert yes["payload"] == '/feedback{"entry_id": "cost", "helpful": "yes"}'
    assert "Thank you" in stack.chat(sender, yes["payload"])[0]["text"]
    assert ("cost", 1) in _rows(stack, "SELECT entry_id, helpful FROM answer_feedback")


def test_a_french_question_gets_the_french_answer(stack: Stack) -> None:
    (answer,) = stack.chat("e2e-kb-fr", "est-ce que je peux quitter l'étude quand je veux ?")
    assert _opening("leave_anytime", "fr") in answer["text"]
    assert "Source : [" in answer["text"] and "vérifié le" in answer["text"]
    assert answer["text"].endswith("Cette réponse vous a-t-elle aidé ?")
    assert [b["title"] for b in answer["buttons"]] == ["Oui 👍", "Non 👎"]


def test_an_unrelated_question_is_declined_and_logged_for_staff(stack: Stack) -> None:
    before = _rows(stack, "SELECT count(*) FROM unanswered_questions")[0][0]
    (reply,) = stack.chat("e2e-kb-oos", "what's the weather going to be like tomorrow?")
    assert "clinical trials" in reply["text"]
    rows = _rows(stack, "SELECT language, reason, text FROM unanswered_questions")
    assert len(rows) == int(str(before)) + 1
    language, reason, stored = rows[-1]
    assert (language, reason) == ("en", "out_of_scope")
    assert "weather" not in str(stored)  # kept encrypted


def test_a_choice_offered_as_a_button_answers_that_entry(stack: Stack) -> None:
    (answer,) = stack.chat("e2e-kb-choice", '/faq{"entry_id": "placebo"}')
    assert _opening("placebo", "en") in answer["text"]
