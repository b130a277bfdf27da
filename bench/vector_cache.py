"""A disk cache of vectors by text for the tuning benchmarks (each one encodes the same tens of thousands
of phrasings): `--vector-cache DIR` keeps one file per model. Not for latency figures."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embeddings import TextEncoder


class DiskCachedEncoder:
    def __init__(self, encoder: TextEncoder, folder: Path) -> None:
        self._encoder = encoder
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / f"{hashlib.sha256(encoder.model_name.encode()).hexdigest()[:16]}.pkl"
        self._vectors: dict[str, np.ndarray] = pickle.loads(self._path.read_bytes()) if self._path.exists() else {}

    @property
    def model_name(self) -> str:
        return self._encoder.model_name

    @property
    def dimension(self) -> int:
        return self._encoder.dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1 and texts[0] not in self._vectors:  # a question asked: encoded live, not kept
            return self._encoder.encode(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        for start in range(0, len(missing), 512):
            chunk = missing[start:start + 512]
            self._vectors.update(zip(chunk, self._encoder.encode(chunk), strict=True))
        if missing:
            temporary = self._path.with_suffix(".tmp")
            temporary.write_bytes(pickle.dumps(self._vectors))
            os.replace(temporary, self._path)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)


def cached(encoder: TextEncoder, folder: Path | None) -> TextEncoder:
    return DiskCachedEncoder(encoder, folder) if folder else encoder
