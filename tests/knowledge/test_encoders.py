"""Questions are encoded by ONNX Runtime when it can, and mean the same as with PyTorch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.embeddings import Embedder, default_model_path
from bot.knowledge.encoders import ONNX, TORCH, TorchBackend, load_backend
from bot.knowledge.service import KnowledgeBase
from tests.knowledge.conftest import SHARED_CACHE

QUESTIONS = [
    "what is a placebo?",
    "Est-ce que je serai dédommagé pour mes trajets jusqu'à l'hôpital ?",
    "can i stop whenever i want",
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return TorchBackend(default_model_path()).encode(QUESTIONS)


def test_the_onnx_encoder_gives_the_vectors_sentence_transformers_gives(
    torch_vectors: np.ndarray,
) -> None:
    embedder = Embedder(default_model_path(), SHARED_CACHE)  # `make setup` exported it there
    embedder.load()
    assert embedder.backend == ONNX
    vectors = np.stack([embedder.encode_query(q) for q in QUESTIONS])
    cosines = (vectors * torch_vectors).sum(axis=1)
    assert cosines == pytest.approx([1.0] * len(QUESTIONS), abs=1e-4)
    # Questions of different lengths padded into one batch come out the same as one by one.
    batch = load_backend(default_model_path(), embedder.onnx_path).encode(QUESTIONS)
    assert (batch * vectors).sum(axis=1) == pytest.approx([1.0] * len(QUESTIONS), abs=1e-4)


def test_a_missing_export_is_made_once_and_reused(tmp_path: Path) -> None:
    first = Embedder(default_model_path(), tmp_path)
    first.load()
    exported = list(tmp_path.glob("encoder-*.onnx"))
    assert first.backend == ONNX and len(exported) == 1
    made = exported[0].stat().st_mtime_ns
    second = Embedder(default_model_path(), tmp_path)
    second.load()
    assert second.backend == ONNX and exported[0].stat().st_mtime_ns == made
    assert not list(tmp_path.glob("*.tmp"))


def test_a_model_the_export_does_not_cover_runs_on_pytorch(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(default_model_path(), model)
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    pooling.write_text(json.dumps(config))
    backend = load_backend(str(model), tmp_path / "encoder.onnx")
    assert backend.name == TORCH
    assert not (tmp_path / "encoder.onnx").exists()
    assert np.linalg.norm(backend.encode(QUESTIONS[:1])[0]) == pytest.approx(1.0, abs=1e-4)


def test_a_corrupt_export_is_made_again(tmp_path: Path, torch_vectors: np.ndarray) -> None:
    broken = tmp_path / "encoder.onnx"
    broken.write_bytes(b"half a file")
    backend = load_backend(default_model_path(), broken)
    assert backend.name == ONNX
    assert broken.stat().st_size > 1_000_000
    assert (backend.encode(QUESTIONS[:1]) * torch_vectors[:1]).sum() == pytest.approx(1.0, abs=1e-4)


def test_a_typo_the_stemmer_cannot_fix_still_finds_the_entry(kb: KnowledgeBase) -> None:
    decision = kb.ask("c koi un plasebo", "fr")
    assert decision.candidates[0].entry.id == "placebo"
    decision = kb.ask("can I leave the studdy whenevr I want?", "en")
    assert decision.candidates[0].entry.id == "leave_anytime"


def test_a_model_saved_by_sentence_transformers_6_runs_on_onnx_too(
    tmp_path: Path, torch_vectors: np.ndarray
) -> None:
    """`trialbot kb tune` saves with today's module names and pooling format: the tuned model
    must not fall back to PyTorch (slower questions, a slower start)."""
    from sentence_transformers import SentenceTransformer

    model = tmp_path / "model"
    SentenceTransformer(default_model_path(), device="cpu").save(str(model))
    assert "pooling_mode" in json.loads((model / "1_Pooling" / "config.json").read_text())
    backend = load_backend(str(model), tmp_path / "encoder.onnx")
    assert backend.name == ONNX
    cosines = (backend.encode(QUESTIONS) * torch_vectors).sum(axis=1)
    assert cosines == pytest.approx([1.0] * len(QUESTIONS), abs=1e-4)
