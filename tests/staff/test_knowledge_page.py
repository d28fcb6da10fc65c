"""The knowledge page: unanswered questions grouped by meaning, reviews due, answers' feedback."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.crypto import Cipher
from bot.db.models import AnswerFeedback, UnansweredQuestion, as_utc, utcnow
from bot.knowledge import embeddings, gaps
from bot.knowledge.encoders import Vectors
from bot.knowledge.entries import Entry, load_faq
from bot.knowledge.index import Candidate
from bot.settings import PROJECT_ROOT, Settings
from bot.staff import knowledge
from tests.knowledge.conftest import kb_settings

CIPHER = Cipher([Fernet.generate_key()])
ENTRIES = knowledge.load_entries(PROJECT_ROOT / "knowledge")


@pytest.fixture(scope="module")
def encode(tmp_path_factory: pytest.TempPathFactory) -> knowledge.Encode:
    """The real model, through the ONNX export `make setup` made (the knowledge tests' cache)."""
    return knowledge.lazy_encoder(kb_settings(tmp_path_factory.mktemp("var")))


def _entry(entry_id: str, lang: str = "en") -> Entry:
    return next(e for e in ENTRIES if (e.id, e.lang) == (entry_id, lang))


def _ask(session: Session, text: str, *, lang: str = "en", tried: str = "cost") -> None:
    """A question the knowledge base could not answer, recorded as the action server does."""
    near = Candidate(_entry(tried, lang), score=0.41, dense=0.5, lexical=0.2)
    gaps.record_unanswered(
        session, cipher=CIPHER, sender_key="web-3c4d", text=text, language=lang,
        reason="low_confidence", candidates=[near], trial="demo-t2d-001",
    )  # fmt: skip


def _parking_and_children(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for text in [
            "how much does parking cost?",
            "what's the parking fee",
            "Can I bring my kids?",
            "Is parking free?",
            "Le parking est-il gratuit ?",
            "How much does  parking cost?",  # the newest form of the most asked wording
        ]:
            lang = "fr" if text.startswith("Le ") else "en"
            _ask(session, text, lang=lang, tried="children" if "kids" in text else "cost")
        asked = session.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id)).all()
        for minutes, question in enumerate(reversed(asked)):
            question.created_at = utcnow() - dt.timedelta(minutes=minutes)  # a minute apart


def test_questions_asked_in_other_words_are_one_gap(
    sessions: sessionmaker[Session], encode: knowledge.Encode
) -> None:
    _parking_and_children(sessions)
    with sessions() as session:
        groups = knowledge.gap_groups(session, CIPHER, encode, entries=ENTRIES)
    parking, *others = groups
    assert (parking.representative, parking.count) == ("How much does  parking cost?", 4)
    assert sorted(parking.examples) == ["Is parking free?", "what's the parking fee"]
    assert parking.languages == ("en",) and parking.trials == ("demo-t2d-001",)
    assert parking.first_asked < parking.last_asked and parking.last_asked.tzinfo is not None
    (tried,) = parking.candidates
    assert (tried.entry_id, tried.title, tried.times) == ("cost", _entry("cost").title, 4)
    # Apart: another question, and the same question in French (grouped per language).
    assert sorted((g.representative, g.count, g.languages) for g in others) == [
        ("Can I bring my kids?", 1, ("en",)),
        ("Le parking est-il gratuit ?", 1, ("fr",)),
    ]


def test_without_a_model_only_the_same_words_are_grouped(
    sessions: sessionmaker[Session],
) -> None:
    _parking_and_children(sessions)
    with sessions() as session:
        groups = knowledge.gap_groups(session, CIPHER, None)
    assert [(g.representative, g.count) for g in groups] == [
        ("How much does  parking cost?", 2),
        ("Le parking est-il gratuit ?", 1),  # then the most recently asked first
        ("Is parking free?", 1),
        ("Can I bring my kids?", 1),
        ("what's the parking fee", 1),
    ]
    with sessions() as session:
        assert knowledge.gap_groups(session, CIPHER, None, limit=2) == groups[:2]


def test_only_questions_since_a_moment_are_grouped(
    sessions: sessionmaker[Session], encode: knowledge.Encode
) -> None:
    _parking_and_children(sessions)
    with sessions() as session:
        assert knowledge.gap_groups(session, CIPHER, encode, since=utcnow()) == []


def test_the_model_is_loaded_once_for_concurrent_pages_and_never_downloaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    loads: list[tuple[str, str | None]] = []

    class Backend:
        name = "fake"

        def encode(self, texts: list[str]) -> Vectors:
            return np.eye(len(texts), 4, dtype=np.float32)

    def load_backend(model: str, onnx_path: Path) -> Backend:
        loads.append((model, os.environ.get("HF_HUB_OFFLINE")))
        return Backend()

    monkeypatch.setattr(embeddings, "load_backend", load_backend)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    settings = Settings(
        TRIALBOT_VAR_DIR=tmp_path, EMBEDDING_MODEL="some/model", DATABASE_URL="",
        PSEUDONYM_KEY="test-key",
    )  # fmt: skip
    encode = knowledge.lazy_encoder(settings)
    assert loads == []  # nothing before the first use
    shapes: list[tuple[int, ...]] = []
    threads = [
        threading.Thread(target=lambda: shapes.append(encode(["a", "b"]).shape)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [("some/model", "1")]
    assert shapes == [(2, 4)] * 8


class _CountingBackend:
    """Parking questions point one way, the rest another; every text it encodes is counted."""

    name = "fake"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> Vectors:
        self.encoded += texts
        return np.array([[1.0, 0.0] if "park" in t.lower() else [0.0, 1.0] for t in texts], "f")


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> _CountingBackend:
    """The model's backend, and an empty cache of question vectors of its own."""
    backend = _CountingBackend()
    monkeypatch.setattr(embeddings, "load_backend", lambda model, onnx_path: backend)
    monkeypatch.setattr(knowledge, "question_vectors", knowledge.VectorCache(100))
    return backend


def _counting_encoder(tmp_path: Path) -> knowledge.Encode:
    settings = Settings(
        TRIALBOT_VAR_DIR=tmp_path, EMBEDDING_MODEL="counting/model", DATABASE_URL="",
        PSEUDONYM_KEY="test-key",
    )  # fmt: skip
    return knowledge.lazy_encoder(settings)


def test_the_page_shown_again_encodes_only_the_wordings_asked_since(
    sessions: sessionmaker[Session], counting: _CountingBackend, tmp_path: Path
) -> None:
    _parking_and_children(sessions)
    encode = _counting_encoder(tmp_path)
    with sessions() as session:
        before = knowledge.gap_groups(session, CIPHER, encode)
    assert len(counting.encoded) == 4  # the English wordings (French has one: nothing to compare)
    with sessions() as session:
        assert knowledge.gap_groups(session, CIPHER, encode) == before
    assert len(counting.encoded) == 4
    with sessions.begin() as session:
        _ask(session, "Where do I park?")
    counting.encoded.clear()
    with sessions() as session:
        after = knowledge.gap_groups(session, CIPHER, encode)
    assert counting.encoded == ["Where do I park?"]
    assert (after[0].representative, after[0].count) == ("How much does  parking cost?", 5)


def test_question_vectors_are_kept_in_memory_by_a_hash_and_the_oldest_make_room(
    counting: _CountingBackend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(knowledge, "question_vectors", knowledge.VectorCache(3))
    encode = _counting_encoder(tmp_path)
    encode(["park 1", "kids 1", "park 2"])
    encode(["park 1", "kids 2"])  # the cache holds 3: "kids 1", asked least recently, goes
    counting.encoded.clear()
    vectors = encode(["kids 1", "park 1", "kids 2"])
    assert counting.encoded == ["kids 1"]
    assert vectors.tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    assert all(len(key) == 32 for key in knowledge.question_vectors._vectors)  # no text kept


def _review_due(root: Path, lang: str, entry_id: str, due: str) -> None:
    path = root / "faq" / lang / f"{entry_id}.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        "".join(
            f"review_due: {due}\n" if line.startswith("review_due:") else line
            for line in text.splitlines(keepends=True)
        ),
        encoding="utf-8",
    )


def test_entries_due_for_review_soon_and_expired_ones_are_listed_soonest_first(
    tmp_path: Path,
) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "faq", root / "faq")
    _review_due(root, "en", "cost", "2027-06-15")
    _review_due(root, "fr", "visits", "2027-05-30")
    _review_due(root, "en", "privacy", "2027-07-15")  # beyond 30 days
    loaded = load_faq(root)
    assert loaded.problems == []
    due = knowledge.expiring(loaded.entries, today=dt.date(2027, 6, 1))
    assert [(e.lang, e.id, e.days_left, e.expired) for e in due] == [
        ("fr", "visits", -2, True),
        ("en", "cost", 14, False),
    ]
    assert due[1].path == "faq/en/cost.md" and due[1].title == _entry("cost").title
    assert due[1].reviewed_by == _entry("cost").reviewed_by
    later = knowledge.expiring(loaded.entries, today=dt.date(2027, 6, 1), within_days=45)
    assert [e.id for e in later] == ["visits", "cost", "privacy"]


def test_feedback_shows_the_entries_people_found_unhelpful_first(
    sessions: sessionmaker[Session],
) -> None:
    votes = [
        ("visits", "en", True), ("visits", "en", True), ("visits", "en", True),
        ("cost", "en", True), ("cost", "en", False), ("cost", "en", False),
        ("privacy", "fr", False),
    ]  # fmt: skip
    with sessions.begin() as session:
        for entry_id, lang, helpful in votes:
            gaps.record_feedback(
                session, sender_key="web-3c4d", entry_id=entry_id, language=lang, helpful=helpful
            )
    with sessions() as session:
        rows = knowledge.feedback(session, entries=ENTRIES)
        newest = session.scalars(
            select(AnswerFeedback.created_at)
            .where(AnswerFeedback.entry_id == "cost")
            .order_by(AnswerFeedback.id.desc())
        ).first()
    assert [(r.entry_id, r.language, r.helpful, r.not_helpful) for r in rows] == [
        ("cost", "en", 1, 2),
        ("privacy", "fr", 0, 1),
        ("visits", "en", 3, 0),
    ]
    assert rows[0].share_not_helpful == pytest.approx(2 / 3) and rows[2].share_not_helpful == 0
    assert rows[0].title == _entry("cost").title and rows[1].title == _entry("privacy", "fr").title
    assert newest is not None and rows[0].last_not_helpful_at == as_utc(newest)
    assert rows[2].last_not_helpful_at is None
    with sessions() as session:
        assert knowledge.feedback(session, since=utcnow() + dt.timedelta(minutes=1)) == []
