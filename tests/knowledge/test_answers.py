"""Patients ask in their own words; the assistant answers from the right vetted entry, or not."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from bot.knowledge.index import CALIBRATION, Candidate
from bot.knowledge.service import KnowledgeBase, decide
from tests.knowledge.conftest import kb_settings


@pytest.mark.parametrize(
    ("question", "lang", "entry_id"),
    [
        ("could I end up on a dummy pill with no medicine in it?", "en", "placebo"),
        ("Can I pull out halfway through without giving a reason?", "en", "leave_anytime"),
        ("who decides which group I'm put in", "en", "randomization"),
        ("Est-ce que ça me coûtera quelque chose de participer ?", "fr", "cost"),
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
    ("question", "lang", "entry_id"),
    [
        ("If I sign up, is there anything I'd have to pay for?", "en", "cost"),
        (
            "Qui vérifie que l'étude est sans danger pour les participants ?",
            "fr",
            "safety_oversight",
        ),
    ],
)
def test_a_question_close_to_two_entries_offers_the_right_one_first(
    kb: KnowledgeBase, question: str, lang: str, entry_id: str
) -> None:
    decision = kb.ask(question, lang)
    assert decision.answered or decision.reason == "ambiguous", decision.to_json("112")
    assert decision.candidates[0].entry.id == entry_id


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
    assert decision.to_json("112")["reason"] in ("low_confidence", "out_of_scope", "ambiguous")


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
    assert decide(close, CALIBRATION["en"]).reason == "ambiguous"
    clear = [Candidate(cost, 0.74, 0.7, 0.8), Candidate(compensation, 0.5, 0.5, 0.5)]
    assert decide(clear, CALIBRATION["en"]).entry == cost
    weak = [Candidate(cost, 0.2, 0.2, 0.2)]
    assert decide(weak, CALIBRATION["en"]).reason == "low_confidence"
    # As clear, but closer still to a question not to answer.
    declined = [Candidate(c.entry, c.score, c.dense, c.lexical, declined=0.75) for c in clear]
    assert decide(declined, CALIBRATION["en"]).reason == "out_of_scope"


@pytest.mark.parametrize(
    ("question", "lang", "trial", "topic"),
    [
        ("Est-ce que je serai payé ?", "fr", "demo-asthma-002", "compensation"),
        ("Est-ce que je serai payé ?", "fr", "demo-t2d-001", "compensation"),
        ("will they give me money for my time?", "en", "demo-asthma-002", "compensation"),
        ("c'est quoi un placebo ?", "fr", "demo-t2d-001", "placebo"),
        ("how many visits would I need to attend?", "en", "demo-t2d-001", "visits"),
        ("il y a combien de visites en tout ?", "fr", "demo-asthma-002", "visits"),
        # The trial's other entries share its name: they must not turn this into a choice.
        ("combien de visites pour l'étude asthme ?", "fr", "demo-asthma-002", "visits"),
        # Tried in a conversation about the asthma study: "how long does it last" got the general
        # page ("It depends on the study…"). The study's visits page gives its length, and
        # stands in for the page on durations too (`also: [duration]`).
        ("how long does it last", "en", "demo-asthma-002", "duration"),
        ("how long is the study?", "en", "demo-t2d-001", "duration"),
        ("ça dure combien de temps ?", "fr", "demo-asthma-002", "duration"),
        ("l'étude dure combien de temps en tout ?", "fr", "demo-t2d-001", "duration"),
    ],
)
def test_a_trial_in_context_never_loses_a_general_answer(
    kb: KnowledgeBase, question: str, lang: str, trial: str, topic: str
) -> None:
    general = kb.ask(question, lang)
    assert general.answered and general.entry is not None and general.entry.key == topic
    in_trial = kb.ask(question, lang, trial=trial)
    assert in_trial.answered, in_trial.to_json("112")
    assert in_trial.entry is not None and topic in in_trial.entry.topics
    assert in_trial.entry.trials == (trial,)  # the trial's own text, when it has one
    assert in_trial.score >= general.score


@pytest.mark.parametrize(
    ("question", "lang", "trial", "words"),
    [
        ("is there a placebo in this study?", "en", "demo-t2d-001", "DMX-101"),
        ("is there a placebo in this study?", "en", "demo-asthma-002", "AZ-202"),
        ("y a-t-il un placebo dans cette étude ?", "fr", "demo-t2d-001", "metformine"),
        ("je risque d'avoir le placebo ?", "fr", "demo-asthma-002", "inhalateur"),
    ],
)
def test_a_placebo_question_in_a_trial_gets_that_trials_answer(
    kb: KnowledgeBase, question: str, lang: str, trial: str, words: str
) -> None:
    decision = kb.ask(question, lang, trial=trial)
    assert decision.answered and decision.entry is not None, decision.to_json("112")
    assert decision.entry.id == f"placebo-{trial}"
    answer = decision.to_json("112")["answer"]
    assert "one chance in two" in answer or "une chance sur deux" in answer
    assert words in answer


def test_answers_flow_without_the_source_files_line_breaks(kb: KnowledgeBase) -> None:
    decision = kb.ask("combien je touche par visite ?", "fr", trial="demo-asthma-002")
    assert decision.entry is not None and decision.entry.id == "compensation-demo-asthma-002"
    answer = decision.to_json("112")["answer"]
    # The file wraps this sentence after "contraintes"; the answer must not.
    assert "en compensation des contraintes liées à votre participation" in answer
    paragraphs = answer.split("\n\n")
    assert len(paragraphs) == 3 and all("\n" not in p for p in paragraphs)


def test_list_items_and_paragraphs_are_kept(kb: KnowledgeBase) -> None:
    entry = kb.entry("visits-demo-asthma-002", "en", trial="demo-asthma-002")
    assert entry is not None
    lines = entry.render_body("112").split("\n")
    assert "- a first treatment visit (week 0);" in lines
    assert "- visits at weeks 4, 8, 12, 16 and 24;" in lines
    assert any(
        line.startswith("Most visits last") and line.endswith("in an electronic diary.")
        for line in lines
    )
    assert lines.count("") == 3  # the blank lines between paragraphs and around the list


def test_staff_stop_an_entry_answering_what_it_should_not(
    kb: KnowledgeBase, knowledge_copy: Path, tmp_path: Path
) -> None:
    """A drug interaction is for a doctor or a pharmacist, not for the entry on a participant's
    usual medicines, which the same words find. Staff list one such question in
    out_of_scope.yml: other wordings of it are declined, and the entry still answers its own."""
    question = "je peux prendre de l'ibuprofène avec mes antibiotiques"
    answered = kb.ask(question, "fr")
    assert answered.answered and answered.entry is not None
    assert answered.entry.key == "current_medications"

    listed = knowledge_copy / "faq" / "fr" / "out_of_scope.yml"
    added = "est-ce qu'on peut prendre de l'ibuprofène pendant un traitement antibiotique"
    listed.write_text(listed.read_text(encoding="utf-8") + f'  - "{added}"\n', encoding="utf-8")
    edited = KnowledgeBase(kb_settings(tmp_path / "var", knowledge_copy))
    assert edited.load() == []
    declined = edited.ask(question, "fr")
    assert not declined.answered and declined.reason == "out_of_scope", declined.to_json("112")
    assert declined.candidates  # staff still see which entries came closest
    usual = edited.ask("je continue mes médicaments habituels ?", "fr")
    assert usual.answered and usual.entry is not None
    assert usual.entry.key == "current_medications"


def test_a_question_just_short_of_an_answer_offers_the_closest_entry(kb: KnowledgeBase) -> None:
    """From the conversation benchmark: "whats in it for me honestly" and "will my boss be able
    to find out im in it" got only "not sure", their right entry first but a little below the
    threshold. That entry is now offered, not given as the answer; nothing is offered for a
    question far from every entry, nor in French, where it offered wrong ones more often."""
    for question, entry in (
        ("whats in it for me honestly", "why_take_part"),
        ("will my boss be able to find out im in it", "privacy"),
    ):
        decision = kb.ask(question, "en")
        assert not decision.answered and decision.suggestion is not None, question
        assert decision.suggestion.id == entry
        assert decision.to_json("112")["suggestion"] == entry
    for question, lang in (
        ("can you recommend a good pizza place near the hospital", "en"),
        ("vous connaissez une bonne pizzeria près de l'hôpital ?", "fr"),
    ):
        decision = kb.ask(question, lang)
        assert not decision.answered and decision.suggestion is None, question
