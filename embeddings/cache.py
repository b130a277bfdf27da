"""Remembers vectors by text, so rebuilding an index after an edit only encodes what is new."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import numpy as np

from embeddings.encoder import TextEncoder


class CachingEncoder:
    """A TextEncoder that encodes each distinct text once (per process); `retain` drops unused entries."""

    def __init__(self, encoder: TextEncoder) -> None:
        self._encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @property
    def inner(self) -> TextEncoder:
        """The wrapped encoder, for texts not worth remembering (customers' questions)."""
        return self._encoder

    @property
    def model_name(self) -> str:
        return self._encoder.model_name

    @property
    def dimension(self) -> int:
        return self._encoder.dimension

    def __len__(self) -> int:
        return len(self._vectors)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = self._encoder.encode(missing)
            with self._lock:
                self._vectors.update(zip(missing, fresh, strict=True))
        with self._lock:
            if not texts:
                return np.zeros((0, self.dimension), dtype=np.float32)
            return np.stack([self._vectors[t] for t in texts]).astype(np.float32, copy=False)

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Seed the cache with vectors already computed (e.g. read back from a saved index)."""
        with self._lock:
            self._vectors.update(zip(texts, vectors, strict=True))

    def retain(self, texts: Iterable[str]) -> None:
        keep = set(texts)
        with self._lock:
            self._vectors = {t: v for t, v in self._vectors.items() if t in keep}
