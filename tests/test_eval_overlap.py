"""Evaluation sets never share text with what the system learns from or matches against."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import overlap
from bench.overlap import Text, normalise, overlaps

KNOWLEDGE = [*overlap.knowledge_texts()]
NLU = [*overlap.nlu_texts()]


def _fail_on(found: list[overlap.Overlap]) -> None:
    lines = "\n".join(o.render() for o in found)
    assert not found, (
        f"{len(found)} evaluation text(s) repeat a training or matching text:\n{lines}"
    )


def test_knowledge_questions_are_not_in_the_entries_or_the_nlu_data() -> None:
    _fail_on(overlaps(overlap.kb_eval_texts(overlap.KB_EVAL / "questions.yml"), KNOWLEDGE + NLU))


def test_fresh_knowledge_questions_are_not_in_the_entries_or_the_nlu_data() -> None:
    path = overlap.KB_EVAL / "fresh.yml"
    if not path.exists():
        pytest.skip("no bench/kb_eval/fresh.yml")
    _fail_on(overlaps(overlap.kb_eval_texts(path), KNOWLEDGE + NLU))


def test_unseen_knowledge_questions_are_not_in_the_entries_or_the_nlu_data() -> None:
    texts = list(overlap.kb_eval_texts(overlap.KB_EVAL / "unseen.yml"))
    assert len(texts) == 240  # 120 per language: the set was read
    _fail_on(overlaps(texts, KNOWLEDGE + NLU))


# Each sealed set, the questions left after those that repeated a training text or an earlier
# set were taken out unread (240 written for each of the first three, 320 for the later ones), and
# the sets written before it.
_WRITTEN_BEFORE = ("questions.yml", "fresh.yml", "unseen.yml")
_SEALED_COUNTS = [
    ("sealed.yml", 202),
    ("sealed2.yml", 197),
    ("sealed3.yml", 173),
    ("sealed4.yml", 252),
    ("sealed5.yml", 254),
    ("sealed6.yml", 204),
]
SEALED = [
    (name, count, _WRITTEN_BEFORE + tuple(earlier for earlier, _ in _SEALED_COUNTS[:i]))
    for i, (name, count) in enumerate(_SEALED_COUNTS)
]


@pytest.mark.parametrize(("name", "count", "earlier"), SEALED)
def test_sealed_knowledge_questions_are_not_in_the_entries_the_nlu_data_or_the_other_sets(
    name: str, count: int, earlier: tuple[str, ...]
) -> None:
    texts = list(overlap.kb_eval_texts(overlap.KB_EVAL / name))
    assert len(texts) == count  # the set was read
    others = [text for other in earlier for text in overlap.kb_eval_texts(overlap.KB_EVAL / other)]
    _fail_on(overlaps(texts, KNOWLEDGE + NLU + others))


def test_the_overlap_report_lists_a_copy_in_the_unseen_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "questions.yml").write_text("en: []\n", encoding="utf-8")
    (tmp_path / "unseen.yml").write_text(
        'en:\n  - {text: "What is a placebo?", expect: placebo}\n', encoding="utf-8"
    )
    monkeypatch.setattr(overlap, "KB_EVAL", tmp_path)
    found = [o for o in overlap.report() if o.evaluation.origin.startswith(str(tmp_path))]
    assert [o.evaluation.origin for o in found] == [f"{tmp_path / 'unseen.yml'} en[0]"]


def test_safety_messages_are_not_in_the_nlu_data() -> None:
    texts = list(overlap.safety_eval_texts())
    assert len(texts) > 300  # messages.yml and fresh.yml at least: the sets were read
    assert any(t.origin.startswith("bench/safety_eval/sealed.yml") for t in texts)
    _fail_on(overlaps(texts, NLU))


def test_side_effect_reports_are_not_in_the_entries_or_the_nlu_data() -> None:
    texts = list(overlap.followup_eval_texts())
    assert len([t for t in texts if t.origin.endswith("]")]) >= 120  # reports, not answers
    assert any(t.origin.startswith("bench/safety_followup/fresh.yml") for t in texts)
    assert any(t.origin.startswith("bench/safety_followup/sealed.yml") for t in texts)
    assert any(t.origin.startswith("bench/safety_followup/sealed3.yml") for t in texts)
    assert any(t.origin.startswith("bench/safety_followup/sealed4.yml") for t in texts)
    assert any(t.origin.startswith("bench/safety_followup/sealed5.yml") for t in texts)
    assert sum(1 for t in texts if t.origin.split()[1].startswith("fr[")) > 40  # both languages
    _fail_on(overlaps(texts, KNOWLEDGE + NLU))


def test_sealed_side_effect_reports_are_not_in_the_sets_tuned_on() -> None:
    """Texts of four words or more: "feeling sick" or "yes still" is in every set of reports,
    and a report that short is played with the answers typed after it, which differ."""
    tuned = [t for t in overlap.followup_tuning_texts() if len(t.text.split()) >= 4]
    assert len(tuned) > 400  # tuning2.yml, tuning3.yml and sealed3.yml were read
    names = tuple(
        f"bench/safety_followup/{name}" for name in ("sealed.yml", "sealed4.yml", "sealed5.yml")
    )
    sealed = [
        t
        for t in overlap.followup_eval_texts()
        if t.origin.startswith(names) and len(t.text.split()) >= 4
    ]
    assert len(sealed) > 300
    _fail_on(overlaps(sealed, tuned))


def test_conversation_turns_are_not_in_the_entries_or_the_nlu_data() -> None:
    folder = overlap.ROOT / "bench" / "conversations"
    turns = list(overlap.conversation_texts(folder))
    if not turns:
        pytest.skip("no bench/conversations/ data yet")
    _fail_on(overlaps(turns, KNOWLEDGE + NLU))


def test_the_references_are_read_from_every_source() -> None:
    origins = {t.origin.split()[0] for t in KNOWLEDGE + NLU}
    assert any(o.startswith("knowledge/faq/en/") for o in origins)
    assert any(o.startswith("knowledge/faq/fr/") for o in origins)
    assert "data/nlu/faq.yml" in origins
    assert any(t.text == "What is a placebo?" for t in KNOWLEDGE)  # a question of an entry
    # Entity markup is gone: the words are what a patient would type.
    assert not [t for t in NLU if "]{" in t.text or "](" in t.text]


@pytest.mark.parametrize(
    ("evaluation", "reference"),
    [
        ("Placebo ?", "placebo?"),  # case, punctuation, spacing
        ("Est-ce que je serai paye", "Est-ce que je serai payé ?"),  # accents
        ("whats a clinical trail", "what's a clinical trial"),  # a typo
        ("can I quit the study whenever I want?", "can i leave the study whenever i want"),
    ],
)
def test_a_copied_or_barely_changed_question_is_found(evaluation: str, reference: str) -> None:
    found = overlaps(
        [Text(evaluation, "eval")], [Text("unrelated words", "x"), Text(reference, "ref")]
    )
    assert [o.reference.text for o in found] == [reference]


@pytest.mark.parametrize(
    ("evaluation", "reference"),
    [
        ("can i stop the study whenever i want", "can i stop the study at any time"),
        ("how many visits are there", "how many visits will i have"),
        ("risks?", "placebo?"),
    ],
)
def test_fresh_wording_of_the_same_question_is_not_an_overlap(
    evaluation: str, reference: str
) -> None:
    assert overlaps([Text(evaluation, "eval")], [Text(reference, "ref")]) == []


def test_normalise_folds_case_accents_and_punctuation() -> None:
    assert normalise("  Ça COÛTE combien ?!  ") == "ca coute combien"
    assert normalise("l'œuf") == "l oeuf"


def test_a_planted_copy_in_an_evaluation_file_is_reported(tmp_path: Path) -> None:
    planted = tmp_path / "questions.yml"
    planted.write_text(
        'en:\n  - {text: "Could I be given a sugar pill instead of the real medicine?",'
        " expect: placebo}\n",
        encoding="utf-8",
    )
    found = overlaps(overlap.kb_eval_texts(planted), KNOWLEDGE)
    assert [o.reference.origin for o in found] == ["knowledge/faq/en/placebo.md questions"]
