"""Tuning the encoder on the entries (`trialbot kb tune`) brings each topic's phrasings together."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from bot.knowledge.embeddings import Encoders, default_model_path
from bot.knowledge.entries import Entry, load_faq
from bot.knowledge.tuning import (
    BATCH,
    SMALLEST_BATCH,
    batches,
    phrasing_pairs,
    tune_language,
    tuned_on,
)
from bot.settings import Settings

# Topics that the shipped encoder confuses most easily with one another.
TOPICS = {"placebo", "randomization", "blinding", "compensation", "cost"}


def _entries() -> list[Entry]:
    entries = load_faq(Settings().knowledge_dir).entries
    return [e for e in entries if e.lang == "en" and e.trials is None and e.key in TOPICS]


def _separation(model: str, entries: list[Entry]) -> float:
    """Mean, over every phrasing, of its best cosine within its topic minus the best outside."""
    from sentence_transformers import SentenceTransformer

    texts = [(e.key, text) for e in entries for text in [e.title, *e.questions]]
    vectors = SentenceTransformer(model, device="cpu").encode(
        [text for _, text in texts], normalize_embeddings=True
    )
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    keys = np.array([key for key, _ in texts])
    same = keys[:, None] == keys[None, :]
    inside = np.where(same, similarity, -1.0).max(axis=1)
    outside = np.where(same, -1.0, similarity).max(axis=1)
    return float((inside - outside).mean())


def test_batches_never_hold_a_topic_twice() -> None:
    pairs = phrasing_pairs(load_faq(Settings().knowledge_dir).entries, seed=0)
    made = batches(pairs, seed=0)
    used = [id(p) for b in made for p in b]
    assert len(used) == len(set(used)) and set(used) <= {id(p) for p in pairs}
    assert len(used) > 0.9 * len(pairs)
    for batch in made:
        assert SMALLEST_BATCH <= len(batch) <= BATCH
        assert len({pair.group for pair in batch}) == len(batch)


# Questions the knowledge base must not answer, close in words to the topics above.
DECLINED = [
    "how much paracetamol can I take in a day",
    "is it ok to pay for prescriptions by card",
    "what does a pharmacist earn",
    "which blood pressure tablet is the best",
    "who invented the first vaccine",
    "can my employer pay me sick leave",
    "what is a placebo button on a pedestrian crossing",
    "how random is the lottery",
]


def _nearest(model: str, questions: list[str], entries: list[Entry]) -> float:
    """Mean, over `questions`, of the best cosine with any entry's phrasing."""
    from sentence_transformers import SentenceTransformer

    phrasings = [text for e in entries for text in [e.title, *e.questions]]
    encoder = SentenceTransformer(model, device="cpu")
    asked = encoder.encode(questions, normalize_embeddings=True)
    known = encoder.encode(phrasings, normalize_embeddings=True)
    return float((asked @ known.T).max(axis=1).mean())


def test_tuning_brings_a_topics_phrasings_together(tmp_path: Path) -> None:
    entries = _entries()
    assert {e.key for e in entries} == TOPICS
    base = default_model_path()
    tuned = tune_language(
        entries, "en", base, tmp_path / "encoders", declined=DECLINED, epochs=2, seed=0
    )
    assert tuned == tmp_path / "encoders" / "en"
    assert [p.name for p in (tmp_path / "encoders").iterdir()] == ["en"]  # nothing half-made
    before, after = _separation(base, entries), _separation(str(tuned), entries)
    assert after > before + 0.05, (before, after)
    # ...and pushes the questions not to answer away from them.
    near_before, near_after = (
        _nearest(base, DECLINED, entries),
        _nearest(str(tuned), DECLINED, entries),
    )
    assert near_after < near_before - 0.05, (near_before, near_after)

    encoders = Encoders("", tmp_path / "encoders", tmp_path / "cache")
    assert encoders.tuned("en") and not encoders.tuned("fr")
    assert encoders.for_language("en").model_name == str(tuned)
    assert encoders.for_language("fr").model_name == base
    assert tuned_on(entries, tuned, {"en": DECLINED})
    edited = dataclasses.replace(entries[0], questions=(*entries[0].questions, "new wording?"))
    assert not tuned_on([edited, *entries[1:]], tuned, {"en": DECLINED})
    assert not tuned_on(entries, tuned, {"en": DECLINED[1:]})  # one taken out of the list


def test_a_set_embedding_model_encodes_every_language(tmp_path: Path) -> None:
    (tmp_path / "encoders" / "en").mkdir(parents=True)
    (tmp_path / "encoders" / "en" / "tuned.json").write_text("{}")
    encoders = Encoders("/models/chosen", tmp_path / "encoders", tmp_path / "cache")
    assert not encoders.tuned("en")
    assert encoders.for_language("en").model_name == "/models/chosen"
    assert Encoders("", tmp_path / "encoders", tmp_path / "cache").tuned("en")
