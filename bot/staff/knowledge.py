"""The knowledge page's data: unanswered questions grouped by meaning, entries due for review,
and what people thought of the answers."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import AnswerFeedback, as_utc
from bot.knowledge import gaps
from bot.knowledge.embeddings import BATCH, Embedder, default_model_path
from bot.knowledge.encoders import Vectors
from bot.knowledge.entries import Entry, load_faq
from bot.lint import EXPIRY_WARNING
from bot.settings import Settings

Encode = Callable[[list[str]], Vectors]  # texts → L2-normalised vectors, one row per text

# Cosine from which two wordings ask the same thing. Measured with all-MiniLM-L6-v2: "How much
# does parking cost?" and "Is parking free?" 0.73, "… cost?" and "what's the parking fee" 0.89,
# "Is there parking at the hospital?" (where, not how much) 0.54-0.65, "Can I bring my kids?"
# 0.21 at most. At 0.75 the first pair stays apart.
THRESHOLD = 0.70
EXAMPLES = 5
CANDIDATES = 3


@dataclass(frozen=True)
class TriedEntry:
    """An entry the knowledge base found near the question, but not near enough to answer."""

    entry_id: str
    title: str | None
    score: float  # the best it reached
    times: int  # how many of the group's questions it came up for


@dataclass(frozen=True)
class GapGroup:
    representative: str  # the most asked wording (in its newest form)
    count: int
    examples: tuple[str, ...]  # other wordings, most asked first
    languages: tuple[str, ...]
    first_asked: dt.datetime
    last_asked: dt.datetime
    candidates: tuple[TriedEntry, ...]
    trials: tuple[str, ...]


@dataclass(frozen=True)
class ExpiringEntry:
    id: str
    lang: str
    title: str
    path: str  # within the knowledge folder, e.g. faq/en/cost.md
    review_due: dt.date
    days_left: int  # negative once expired
    expired: bool  # then the entry is no longer served
    reviewed_by: str


@dataclass(frozen=True)
class EntryFeedback:
    entry_id: str
    language: str
    title: str | None
    helpful: int
    not_helpful: int
    last_not_helpful_at: dt.datetime | None

    @property
    def share_not_helpful(self) -> float:
        return self.not_helpful / max(1, self.helpful + self.not_helpful)


@dataclass
class _Wording:
    """The questions asked in the same words (any case), newest first."""

    asked: list[gaps.Asked] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.asked[0].text


def gap_groups(
    session: Session,
    cipher: Cipher,
    encode: Encode | None,
    *,
    since: dt.datetime | None = None,
    threshold: float = THRESHOLD,
    limit: int = 20,
    entries: Iterable[Entry] = (),
) -> list[GapGroup]:
    """Unanswered questions grouped by meaning, the most asked first; `encode` None groups the
    same words only.

    Per language: the default model knows English only, and a gap is filled with an entry per
    language anyway. `entries` give the titles of the entries that were tried.
    """
    wordings = _wordings(gaps.asked(session, cipher, since=since))
    titles = _titles(entries)
    groups = [
        _group(members, titles)
        for part in _by_language(wordings)
        for members in _cluster(part, encode, threshold)
    ]
    groups.sort(
        key=lambda group: (-group.count, -group.last_asked.timestamp(), group.representative)
    )
    return groups[:limit]


def _wordings(questions: list[gaps.Asked]) -> list[_Wording]:
    """Most asked first, then most recently asked: the order in which they found groups."""
    by_words: dict[tuple[str, str], _Wording] = {}
    for question in questions:  # newest first
        by_words.setdefault(gaps.same_words(question), _Wording()).asked.append(question)
    return sorted(by_words.values(), key=lambda wording: -len(wording.asked))


def _by_language(wordings: list[_Wording]) -> list[list[_Wording]]:
    by_language: dict[str, list[_Wording]] = {}
    for wording in wordings:
        by_language.setdefault(wording.asked[0].language, []).append(wording)
    return [by_language[language] for language in sorted(by_language)]


def _cluster(
    wordings: list[_Wording], encode: Encode | None, threshold: float
) -> list[list[_Wording]]:
    if encode is None or len(wordings) < 2:
        return [[wording] for wording in wordings]
    vectors = encode([wording.text for wording in wordings])
    return [[wordings[i] for i in group] for group in nearest_groups(vectors, threshold)]


def nearest_groups(vectors: Vectors, threshold: float) -> list[list[int]]:
    """Each vector in turn joins the group whose mean direction is nearest, if its cosine to it
    reaches `threshold`, or founds a group. Deterministic; a group's founder comes first.

    Against the mean rather than the founder alone, so that a group is one question asked many
    ways and does not drift through a chain of neighbours, as single linkage would.
    """
    sums = np.zeros_like(vectors)
    groups: list[list[int]] = []
    for index, vector in enumerate(vectors):
        if groups:
            centres = sums[: len(groups)]
            scores = centres @ vector / np.linalg.norm(centres, axis=1)
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                sums[best] += vector
                groups[best].append(index)
                continue
        sums[len(groups)] = vector
        groups.append([index])
    return groups


def _titles(entries: Iterable[Entry]) -> dict[tuple[str, str], str]:
    return {(entry.id, entry.lang): entry.title for entry in entries}


def _group(members: list[_Wording], titles: dict[tuple[str, str], str]) -> GapGroup:
    questions = [question for wording in members for question in wording.asked]
    times = [question.created_at for question in questions]
    return GapGroup(
        representative=members[0].text,
        count=len(questions),
        examples=tuple(wording.text for wording in members[1 : 1 + EXAMPLES]),
        languages=tuple(sorted({question.language for question in questions})),
        first_asked=min(times),
        last_asked=max(times),
        candidates=_tried(questions, titles),
        trials=tuple(sorted({question.trial for question in questions if question.trial})),
    )


def _tried(
    questions: list[gaps.Asked], titles: dict[tuple[str, str], str]
) -> tuple[TriedEntry, ...]:
    """The entries that came up most often for these questions, with their best score."""
    best: dict[str, float] = {}
    times: Counter[str] = Counter()
    title: dict[str, str | None] = {}
    for question in questions:
        for candidate in question.candidates:
            entry_id, score = str(candidate["entry_id"]), float(candidate["score"])
            best[entry_id] = max(score, best.get(entry_id, score))
            times[entry_id] += 1
            title.setdefault(entry_id, titles.get((entry_id, question.language)))
    ranked = sorted(best, key=lambda entry_id: (-times[entry_id], -best[entry_id], entry_id))
    return tuple(
        TriedEntry(entry_id, title[entry_id], best[entry_id], times[entry_id])
        for entry_id in ranked[:CANDIDATES]
    )


class VectorCache:
    """Question vectors kept in memory, by the SHA-256 of the model and the text, so that the
    page shown again encodes only the wordings asked since. Bounded, the least recently used
    going first; shared by the threads that serve the pages. Never written anywhere: questions
    carry health details, and a vector says much of its text."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._vectors: OrderedDict[bytes, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, keys: list[bytes]) -> list[Vectors | None]:
        with self._lock:
            for key in keys:
                if key in self._vectors:
                    self._vectors.move_to_end(key)
            return [self._vectors.get(key) for key in keys]

    def put(self, vectors: dict[bytes, Vectors]) -> None:
        with self._lock:
            self._vectors.update(vectors)
            for key in vectors:
                self._vectors.move_to_end(key)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


# 50,000 wordings: years of a busy site's questions, in about 80 MB (384 float32 each).
question_vectors = VectorCache(50_000)


def _vector_key(model: str, text: str) -> bytes:
    return hashlib.sha256(f"{model}\x00{text}".encode()).digest()


class _QuestionEncoder(Embedder):
    """The knowledge base's encoder (its model, its ONNX export) without its disk cache: people's
    questions carry health details, and are not written to disk, even as vectors."""

    def encode_texts(self, texts: list[str]) -> Vectors:
        self.load()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        keys = [_vector_key(self.model_name, text) for text in texts]
        known = question_vectors.get(keys)
        missing = {
            key: text
            for key, text, vector in zip(keys, texts, known, strict=True)
            if vector is None
        }
        fresh = dict(zip(missing, self._encode(list(missing.values())), strict=True))
        question_vectors.put(fresh)
        return np.stack(
            [
                fresh[key] if vector is None else vector
                for key, vector in zip(keys, known, strict=True)
            ]
        )

    def _encode(self, texts: list[str]) -> list[Vectors]:
        assert self._backend is not None
        # In batches: one padded batch of thousands of questions would take gigabytes. Copied
        # row by row, so that a cached vector does not keep its whole batch in memory.
        return [
            np.array(vector)
            for start in range(0, len(texts), BATCH)
            for vector in self._backend.encode(texts[start : start + BATCH])
        ]


_encoders: dict[tuple[str, Path], _QuestionEncoder] = {}
_loading = threading.Lock()


def lazy_encoder(settings: Settings) -> Encode:
    """The configured model, loaded on the first call (once per process), never downloaded."""

    def encode(texts: list[str]) -> Vectors:
        return _encoder(settings.embedding_model, settings.cache_dir).encode_texts(texts)

    return encode


def _encoder(model: str, cache_dir: Path) -> _QuestionEncoder:
    # Under the lock: two page requests at once load the model once.
    with _loading:
        key = (model, cache_dir)
        if key not in _encoders:
            # Set, not defaulted: a model name that is not on disk fails instead of downloading.
            os.environ["HF_HUB_OFFLINE"] = os.environ["TRANSFORMERS_OFFLINE"] = "1"
            encoder = _QuestionEncoder(model or default_model_path(), cache_dir)
            encoder.load()
            _encoders[key] = encoder
        return _encoders[key]


def load_entries(knowledge_dir: Path) -> list[Entry]:
    """The FAQ entries that load (`trialbot kb lint` names the files that do not)."""
    return load_faq(knowledge_dir).entries


def expiring(
    entries: Iterable[Entry], *, today: dt.date, within_days: int = EXPIRY_WARNING.days
) -> list[ExpiringEntry]:
    """Entries whose review falls due within `within_days`, and those expired; soonest first."""
    horizon = today + dt.timedelta(days=within_days)
    return sorted(
        (_expiring(entry, today) for entry in entries if entry.review_due <= horizon),
        key=lambda entry: (entry.review_due, entry.lang, entry.id),
    )


def _expiring(entry: Entry, today: dt.date) -> ExpiringEntry:
    return ExpiringEntry(
        id=entry.id,
        lang=entry.lang,
        title=entry.title,
        # An entry is <knowledge>/faq/<lang>/<id>.md.
        path=entry.path.relative_to(entry.path.parents[2]).as_posix(),
        review_due=entry.review_due,
        days_left=(entry.review_due - today).days,
        expired=not entry.servable(today),
        reviewed_by=entry.reviewed_by,
    )


def feedback(
    session: Session, *, since: dt.datetime | None = None, entries: Sequence[Entry] = ()
) -> list[EntryFeedback]:
    """Helpful and not helpful per entry and language, the most often not helpful first."""
    unhelpful = AnswerFeedback.helpful.is_(False)
    query = select(
        AnswerFeedback.entry_id,
        AnswerFeedback.language,
        func.sum(case((unhelpful, 0), else_=1)),
        func.sum(case((unhelpful, 1), else_=0)),
        func.max(case((unhelpful, AnswerFeedback.created_at))),
    ).group_by(AnswerFeedback.entry_id, AnswerFeedback.language)
    if since is not None:
        query = query.where(AnswerFeedback.created_at >= since)
    titles = _titles(entries)
    rows = [
        EntryFeedback(
            entry_id=entry_id,
            language=language,
            title=titles.get((entry_id, language)),
            helpful=int(helpful),
            not_helpful=int(not_helpful),
            last_not_helpful_at=as_utc(last) if last is not None else None,
        )
        for entry_id, language, helpful, not_helpful, last in session.execute(query)
    ]
    return sorted(
        rows, key=lambda row: (-row.not_helpful, -row.share_not_helpful, row.entry_id, row.language)
    )
