"""The two ways to run the sentence-transformers model: ONNX Runtime, else sentence-transformers.

A question must be encoded in a few milliseconds, and the action server must be ready in seconds.
sentence-transformers needs PyTorch, which takes seconds to import and about 20 ms per question on
one core. The same network exported once to ONNX (`trialbot kb index` does it, into the cache)
gives the same vectors — cosine 1.0000 to the sentence-transformers ones — in a third of the time,
and loads without PyTorch. A model that the export does not cover (extra layers, an unusual
pooling, no fast tokenizer) runs on sentence-transformers as before.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
ONNX = "onnx"
TORCH = "sentence-transformers"
_POOLINGS = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "mean": "mean",
    "cls": "cls",
}
_SIMPLE_MODULES = {"Transformer", "Pooling", "Normalize"}


class Backend(Protocol):
    name: str

    def encode(self, texts: list[str]) -> Vectors:
        """Unit vectors, one row per text."""
        ...


def load_backend(model: str, onnx_path: Path) -> Backend:
    """ONNX Runtime when the model allows it (exporting it first if needed), else PyTorch."""
    _offline()
    layout = _Layout.read(Path(model))
    if layout is not None and _has_onnxruntime():
        try:
            if onnx_path.exists():
                try:
                    return OnnxBackend(layout, onnx_path)
                except Exception as error:
                    log.warning("ONNX export %s unreadable (%s); exporting again", onnx_path, error)
            log.info("exporting %s to ONNX for fast questions (once)", model)
            export_onnx(layout, onnx_path)
            return OnnxBackend(layout, onnx_path)
        except Exception as error:  # any failure leaves the slower, always-working path
            log.warning("ONNX encoder unavailable for %s (%s); using PyTorch", model, error)
    return TorchBackend(model)


class _Layout:
    """What a sentence-transformers folder says about running it without the library."""

    def __init__(self, folder: Path, pooling: str, max_length: int) -> None:
        self.folder = folder
        self.pooling = pooling
        self.max_length = max_length

    @classmethod
    def read(cls, folder: Path) -> _Layout | None:
        try:
            modules = json.loads((folder / "modules.json").read_text())
            # Named by class: sentence-transformers 6 saves them under longer module paths.
            if {module["type"].rsplit(".", 1)[-1] for module in modules} - _SIMPLE_MODULES:
                return None
            pooling_dir = next(m["path"] for m in modules if m["type"].endswith(".Pooling"))
            pooling_config = json.loads((folder / pooling_dir / "config.json").read_text())
            modes = [_POOLINGS.get(key) for key, on in pooling_config.items() if on is True]
            if "pooling_mode" in pooling_config:  # sentence-transformers 6: one mode, by name
                modes = [_POOLINGS.get(str(pooling_config["pooling_mode"]))]
            bert_config = folder / "sentence_bert_config.json"
            settings = json.loads(bert_config.read_text()) if bert_config.exists() else {}
        except (OSError, ValueError, KeyError, StopIteration, TypeError):
            return None
        if len(modes) != 1 or modes[0] is None or not (folder / "tokenizer.json").exists():
            return None
        return cls(folder, modes[0], int(settings.get("max_seq_length") or 256))


class OnnxBackend:
    name = ONNX

    def __init__(self, layout: _Layout, onnx_path: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._pooling = layout.pooling
        self._tokenizer = Tokenizer.from_file(str(layout.folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(layout.max_length)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        # One short question is fastest on one thread, and concurrent questions each get a core.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {given.name for given in self._session.get_inputs()}

    def encode(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        if self._pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(hidden.dtype)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return np.asarray(pooled / norms, dtype=np.float32)


class TorchBackend:
    name = TORCH

    def __init__(self, model: str) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        self._model: Any = SentenceTransformer(model, device="cpu")
        import torch

        torch.set_num_threads(1)  # as for ONNX: one core per question

    def encode(self, texts: list[str]) -> Vectors:
        vectors = self._model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def export_onnx(layout: _Layout, destination: Path) -> None:
    """The model's transformer as ONNX (dynamic batch and length), written atomically."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    network = AutoModel.from_pretrained(str(layout.folder)).eval()
    accepted = inspect.signature(network.forward).parameters
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in accepted]

    class Hidden(torch.nn.Module):
        """Keyword arguments in, last hidden state out: what pooling needs."""

        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            output = self.network(**dict(zip(names, tensors, strict=True)), return_dict=True)
            hidden: torch.Tensor = output.last_hidden_state
            return hidden

    sample = tuple(torch.ones(1, 8, dtype=torch.long) for _ in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "hidden"]}
    destination.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=destination.parent, suffix=".onnx.tmp")
    os.close(descriptor)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes it treats as constant
            torch.onnx.export(
                Hidden(),
                sample,
                temporary,
                input_names=names,
                output_names=["hidden"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
