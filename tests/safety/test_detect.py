"""The safety check: emergencies and side effects caught through typos, negations respected."""

from __future__ import annotations

import re

import pytest
import yaml

from bench.safety_eval.scoring import evaluate, load
from bot.safety.detect import check
from bot.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I cant breath", "breathing"),
        ("help my chest pian is crushing", "chest_pain"),
        ("pain in my cehst and down my left arm", "chest_pain"),
        ("yes I'm 54 but I have a crushing pain in my chest right now", "chest_pain"),
        ("my husband collapsed and wont wake up", "unconscious"),
        ("her face is drooping and she slurs", "stroke"),
        ("my throat is swelling after the injection", "allergy"),
        ("I took the whole bottle of pills", "overdose"),
        ("I want to end it all", "suicide"),
        ("j'arrive plus a respirer", "breathing"),
        ("g mal a la poitrine ça serre fort", "chest_pain"),
        ("je veux en finir", "suicide"),
        ("il a perdu connaissance", "unconscious"),
        ("ma langue gonfle depuis le comprimé", "allergy"),
    ],
)
def test_emergencies_are_caught_in_both_languages(text: str, category: str) -> None:
    finding = check(text)
    assert finding is not None and finding.kind == "emergency", text
    assert finding.category == category


@pytest.mark.parametrize(
    "text",
    [
        "since the new tablets I get headaches every afternoon",
        "depuis la piqure j'ai des boutons partout",
        "the injection site is swollen and red since yesterday's dose",
    ],
)
def test_side_effects_of_the_treatment_are_caught(text: str) -> None:
    finding = check(text)
    assert finding is not None and finding.kind == "adverse_event", text


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain at all, just wondering about parking",
        "pas de douleur à la poitrine, tout va bien",
        "I had a heart attack 10 years ago, can I still join?",
        "what side effects can the drug cause?",
        "ces formulaires me tuent",
        "I'm dying to know the results",
        "where is the site?",
    ],
)
def test_what_needs_no_alert_raises_none(text: str) -> None:
    assert check(text) is None, check(text)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_evaluation_set_is_large_and_covers_every_kind(language: str) -> None:
    items = load()[language]
    assert len(items) >= 150
    kinds = {item.get("kind") for item in items if item["label"] == "emergency"}
    assert kinds == {
        "chest_pain", "breathing", "stroke", "unconscious", "allergy", "overdose", "suicide"
    }  # fmt: skip
    assert len({item["text"] for item in items}) == len(items)  # no message twice
    figures = evaluate(items).figures()
    assert figures["adverse_event_messages"] >= 40 and figures["none_messages"] >= 60


def _nlu_examples() -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip().removeprefix("- "))
                if text:
                    examples.setdefault(item["intent"], []).append(text)
    return examples


def test_the_dialogue_models_examples_agree_with_the_check() -> None:
    """What the NLU learns as an emergency is caught; what it learns as anything else is not."""
    examples = _nlu_examples()
    missed = [t for t in examples["emergency"] if (f := check(t)) is None or f.kind != "emergency"]
    assert missed == []
    reports = examples["report_side_effect"]
    caught = [t for t in reports if check(t) is not None]
    assert len(caught) >= 0.95 * len(reports)
    ordinary = [t for intent, texts in examples.items() for t in texts
                if intent not in ("emergency", "report_side_effect")]  # fmt: skip
    assert len(ordinary) > 800
    assert [t for t in ordinary if check(t) is not None] == []
