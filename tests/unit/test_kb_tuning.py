"""Fine-tuning the encoder on the entries brings each topic's phrasings together (bench/kb_tune)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.knowledge.embeddings import default_model_path
from bot.knowledge.entries import Entry, load_faq
from bot.knowledge.tuning import BATCH, batches, phrasing_pairs, tune_encoder
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
    assert sorted(id(p) for b in made for p in b) == sorted(id(p) for p in pairs)
    for batch in made:
        assert len(batch) <= BATCH
        assert len({pair.group for pair in batch}) == len(batch)


def test_tuning_brings_a_topics_phrasings_together(tmp_path: Path) -> None:
    entries = _entries()
    assert {e.key for e in entries} == TOPICS
    base = default_model_path()
    tuned = tune_encoder(entries, base, tmp_path / "tuned", epochs=2, seed=0)
    before, after = _separation(base, entries), _separation(str(tuned), entries)
    assert after > before + 0.05, (before, after)
