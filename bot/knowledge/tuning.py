"""Adapting the sentence encoder to the knowledge base's own wording.

The shipped all-MiniLM-L6-v2 was trained on English sentence pairs: it tells a trial question from
small talk well in English and poorly in French. Fine-tuning it on the entries' titles and example
questions, each paired with another phrasing of the same entry and contrasted with the other
entries of its batch (in-batch negatives, as sentence-transformers' MultipleNegativesRankingLoss),
teaches it which wordings mean the same thing here. It takes about a minute per pass on 2 cores.

`trialbot kb tune` (run by `make setup`) tunes one model per language of TUNED_LANGUAGES into
KB_ENCODER_DIR/<lang>/, which the knowledge base then uses for that language with the scores'
own calibration (index.TUNED_CALIBRATION); `bench/kb_eval --encoder DIR` measures one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge.embeddings import TUNED_RECORD
from bot.knowledge.entries import Entry

# Measured on the calibration half of bench/kb_eval (answered right, out-of-scope declined):
# English gains from tuning; French, which the shipped model barely reads, did not, and keeps it.
TUNED_LANGUAGES = ("en",)
EPOCHS = 3
THREADS = 2

# Phrasings in a batch; the other entries in it are the negatives. The last batches of a pass,
# left with the few topics that have the most phrasings, teach little: smaller ones are skipped.
BATCH = 32
SMALLEST_BATCH = 8
LEARNING_RATE = 2e-5
# The similarity scale of the contrastive loss (sentence-transformers' default, 20).
SCALE = 20.0

Progress = Callable[[int, int, float], None]  # (step, steps, loss)


@dataclass(frozen=True)
class Pair:
    text: str
    other: str  # another phrasing of the same entry
    group: tuple[str, str]  # (lang, topic)


def phrasing_pairs(entries: list[Entry], seed: int) -> list[Pair]:
    """Each title and example question of a general entry, with another phrasing of its topic.

    A trial's own entries share their general entry's wording and are left out; so are topics
    with a single phrasing (nothing to pair it with)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        if entry.trials is None:
            groups.setdefault((entry.lang, entry.key), []).extend([entry.title, *entry.questions])
    chance = random.Random(seed)  # noqa: S311 (the order of training data, no secret)
    pairs = []
    for group, texts in sorted(groups.items()):
        distinct = sorted(set(texts))
        for text in distinct:
            others = [other for other in distinct if other != text]
            if others:
                pairs.append(Pair(text, chance.choice(others), group))
    return pairs


def batches(pairs: list[Pair], seed: int) -> list[list[Pair]]:
    """Shuffled batches in which no topic appears twice (it would be its own negative), and
    none smaller than SMALLEST_BATCH, or than the number of topics when there are fewer (the
    pairs left over are not used in this pass)."""
    chance = random.Random(seed)  # noqa: S311 (the order of training data, no secret)
    smallest = max(2, min(SMALLEST_BATCH, len({pair.group for pair in pairs})))
    waiting = list(pairs)
    chance.shuffle(waiting)
    result: list[list[Pair]] = []
    while waiting:
        batch: list[Pair] = []
        seen: set[tuple[str, str]] = set()
        rest = []
        for pair in waiting:
            if len(batch) < BATCH and pair.group not in seen:
                batch.append(pair)
                seen.add(pair.group)
            else:
                rest.append(pair)
        if len(batch) < smallest:
            break
        result.append(batch)
        waiting = rest
    return result


def tune_encoder(
    entries: list[Entry],
    base: str,
    out: Path,
    *,
    declined: list[str] | tuple[str, ...] = (),
    epochs: int = 3,
    seed: int = 0,
    progress: Progress | None = None,
) -> Path:
    """Fine-tune the sentence-transformers model at `base` on the entries; saved under `out`.

    `declined` are questions the knowledge base must not answer: each batch is also contrasted
    with as many of them (hard negatives), which pushes them away from every entry's wording."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    # The same seed gives the same model from one run to the next only with the same number of
    # threads (their sums are split differently): fixed, so every machine tunes the same model.
    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    model = SentenceTransformer(base, device="cpu")
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    pairs = phrasing_pairs(entries, seed)
    schedule = [batch for epoch in range(epochs) for batch in batches(pairs, seed + epoch)]
    chance = random.Random(seed)  # noqa: S311 (the choice of training data, no secret)
    model.train()
    for step, batch in enumerate(schedule, start=1):
        left = _encode(model, [pair.text for pair in batch])
        right = _encode(model, [pair.other for pair in batch])
        logits = left @ right.T * SCALE
        labels = torch.arange(len(batch))
        cross_entropy = torch.nn.functional.cross_entropy
        against = logits
        if declined:
            sample = chance.sample(list(declined), min(len(batch), len(declined)))
            negatives = _encode(model, sample)
            against = torch.cat([logits, left @ negatives.T * SCALE], dim=1)
        loss = (cross_entropy(against, labels) + cross_entropy(logits.T, labels)) / 2
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        if progress is not None:
            progress(step, len(schedule), float(loss.detach()))
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    return out


def fingerprint(entries: list[Entry], declined: list[str] | tuple[str, ...] = ()) -> str:
    """Changes when a title, example question or question not to answer that tuning learns
    from changes."""
    texts = sorted(f"{e.lang}|{e.key}|{t}" for e in entries for t in [e.title, *e.questions])
    if declined:  # a model tuned without any keeps the fingerprint it was given
        texts += sorted(f"declined|{text}" for text in declined)
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


def tune_language(
    entries: list[Entry],
    lang: str,
    base: str,
    folder: Path,
    *,
    declined: list[str] | tuple[str, ...] = (),
    epochs: int = EPOCHS,
    seed: int = 0,
    progress: Progress | None = None,
) -> Path:
    """Tune a model on one language's entries (and its questions not to answer) into
    `folder`/`lang`, replacing any before it only once the new one is whole (a running server
    reads the old one until it restarts)."""
    mine = [entry for entry in entries if entry.lang == lang]
    folder.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{lang}-", dir=folder))
    try:
        tune_encoder(
            mine, base, building, declined=declined, epochs=epochs, seed=seed, progress=progress
        )
        record = {
            "lang": lang,
            "base": base,
            "epochs": epochs,
            "seed": seed,
            "entries": fingerprint(mine, declined),
            "tuned_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        (building / TUNED_RECORD).write_text(json.dumps(record, indent=2) + "\n")
        target = folder / lang
        if target.exists():
            shutil.rmtree(target)
        building.rename(target)
        return target
    finally:
        shutil.rmtree(building, ignore_errors=True)


def tuned_on(
    entries: list[Entry], folder: Path, declined: dict[str, list[str]] | None = None
) -> bool:
    """Whether `folder` holds a whole model tuned on these entries' titles and questions (and
    these questions not to answer, per language)."""
    try:
        record = json.loads((folder / TUNED_RECORD).read_text())
    except (OSError, ValueError):
        return False
    lang = record.get("lang")
    mine = [e for e in entries if e.lang == lang]
    return bool(record.get("entries") == fingerprint(mine, (declined or {}).get(str(lang), [])))


def _encode(model: Any, texts: list[str]) -> Any:
    """Unit vectors for `texts`, with gradients (model.encode computes none)."""
    import torch

    vectors = model(model.preprocess(texts))["sentence_embedding"]
    return torch.nn.functional.normalize(vectors, dim=1)
