"""Patients ask in their own words; the assistant answers from the right vetted entry, or not."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from bot.knowledge.index import Candidate
from bot.knowledge.service import KnowledgeBase, decide
from tests.knowledge.conftest import kb_settings


@pytest.mark.parametrize(
    ("question", "lang", "entry_id"),
    [
        ("If I sign up, is there anything I'd have to pay for?", "en", "cost"),
        ("could I end up on a dummy pill with no medicine in it?", "en", "placebo"),
        ("Can I pull out halfway through without giving a reason?", "en", "leave_anytime"),
        ("who decides which group I'm put in", "en", "randomization"),
        ("Est-ce que ça me coûtera quelque chose de participer ?", "fr", "cost"),
        (
            "Qui vérifie que l'étude est sans danger pour les participants ?",
            "fr",
            "safety_oversight",
        ),
        ("mes données de santé seront-elles protégées ?", "fr", "privacy"),
        ("je dois annuler mon rendez-vous de jeudi, comment faire ?", "fr", "reschedule_visit"),
    ],
)
def test_a_question_in_other_words_gets_its_entry(
    kb: KnowledgeBase, question: str, lang: str, entry_id: str
) -> None:
    decision = kb.ask(question, lang)
    assert decision.answered, decision.to_json("112")
    assert decision.entry is not None and decision.entry.id == entry_id
    assert decision.entry.lang == lang


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("what's the weather like in Lyon tomorrow?", "en"),
        ("give me a recipe for banana bread", "en"),
        ("quel est le meilleur restaurant de Paris ?", "fr"),
        ("comment remplir ma déclaration d'impôts", "fr"),
    ],
)
def test_an_unrelated_question_is_not_answered(kb: KnowledgeBase, question: str, lang: str) -> None:
    decision = kb.ask(question, lang)
    assert not decision.answered
    assert decision.to_json("112")["reason"] in ("low_confidence", "ambiguous")


def test_the_emergency_number_is_filled_into_the_answer(kb: KnowledgeBase) -> None:
    decision = kb.ask(
        "I feel really unwell since I started the study drug, what should I do?", "en"
    )
    assert decision.entry is not None and decision.entry.id == "side_effects_what_to_do"
    answer = decision.to_json("999")["answer"]
    assert "999" in answer and "{emergency_number}" not in answer


def test_a_trials_own_entry_wins_when_the_trial_is_known(kb: KnowledgeBase) -> None:
    question = "how many visits are there in the study?"
    general = kb.ask(question, "en")
    specific = kb.ask(question, "en", trial="demo-t2d-001")
    assert general.entry is not None and general.entry.id == "visits"
    assert specific.entry is not None and specific.entry.id == "visits-demo-t2d-001"
    other = kb.ask(question, "en", trial="demo-asthma-002")
    assert other.entry is not None and other.entry.id == "visits-demo-asthma-002"


def test_an_expired_entry_is_never_served(knowledge_copy: Path, tmp_path: Path) -> None:
    placebo = knowledge_copy / "faq" / "en" / "placebo.md"
    text = placebo.read_text()
    text = text.replace("reviewed_on: 2026-11-20", "reviewed_on: 2024-01-01")
    placebo.write_text(text.replace("review_due: 2027-11-20", "review_due: 2025-01-01"))
    kb = KnowledgeBase(kb_settings(tmp_path / "var", knowledge_copy))
    kb.load()
    decision = kb.ask("what is a placebo?", "en")
    assert all(c.entry.id != "placebo" for c in decision.candidates)
    assert kb.entry("placebo", "en") is None


def test_an_edit_is_picked_up_and_a_broken_one_keeps_the_last_good_index(
    knowledge_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kb = KnowledgeBase(kb_settings(tmp_path / "var", knowledge_copy), reload_every=0)
    kb.load()
    cost = knowledge_copy / "faq" / "en" / "cost.md"
    original = cost.read_text()
    cost.write_text(
        original.replace("In most trials, you do not pay", "NEW WORDING: you do not pay")
    )
    _touch_later(cost)
    assert "NEW WORDING" in _answer(kb, "Do I have to pay for the study treatment?")

    cost.write_text(original.replace("title:", "title: [broken"))
    _touch_later(cost)
    with caplog.at_level(logging.ERROR, logger="bot.knowledge.service"):
        answer = _answer(kb, "Do I have to pay for the study treatment?")
    assert "NEW WORDING" in answer  # the last good version is still served
    assert any("faq/en/cost.md:" in r.getMessage() for r in caplog.records)


def _answer(kb: KnowledgeBase, question: str) -> str:
    result = kb.ask(question, "en").to_json("112")
    assert result["answered"], result
    return str(result["answer"])


def _touch_later(path: Path) -> None:
    """Make sure the change shows in the modification time, whatever the clock's resolution."""
    later = time.time() + 5
    os.utime(path, (later, later))


def test_two_close_entries_are_offered_rather_than_guessed(kb: KnowledgeBase) -> None:
    cost, compensation = kb.entry("cost", "en"), kb.entry("compensation", "en")
    assert cost is not None and compensation is not None
    close = [Candidate(cost, 0.74, 0.7, 0.8), Candidate(compensation, 0.73, 0.7, 0.8)]
    assert decide(close, "en").reason == "ambiguous"
    clear = [Candidate(cost, 0.74, 0.7, 0.8), Candidate(compensation, 0.5, 0.5, 0.5)]
    assert decide(clear, "en").entry == cost
    weak = [Candidate(cost, 0.2, 0.2, 0.2)]
    assert decide(weak, "en").reason == "low_confidence"
