"""A FAISS inner-product index over normalised vectors, persisted with a manifest."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)

INDEX_FILE = "index.faiss"
KEYS_FILE = "keys.json"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class IndexManifest:
    """What an index on disk was built from; a mismatch means it must be rebuilt."""

    model: str
    dimension: int
    content_hash: str
    count: int
    built_at: float = 0.0

    def matches(self, other: IndexManifest) -> bool:
        return (self.model, self.dimension, self.content_hash) == (
            other.model,
            other.dimension,
            other.content_hash,
        )


@dataclass(frozen=True)
class VectorHit:
    key: str
    score: float
    row: int = -1


FLAT = "flat"
HNSW = "hnsw"
# Exact search answers in p95 21.8 ms at 100k 384-d rows on 2 cores and rebuilds in well under a second
# from cached vectors, so edits stay live at once; from 200k rows HNSW (M=32; recall@10 0.992 vs exact at
# 100k rows, bench/scale.py) keeps queries fast, at the price of a slower rebuild. See docs/retrieval.md.
HNSW_FROM_ROWS = 200_000


def kind_for(rows: int, hnsw_from_rows: int = HNSW_FROM_ROWS) -> str:
    return HNSW if rows >= hnsw_from_rows else FLAT


class VectorIndex:
    """Inner-product search over normalised vectors; each row has a string key (the article it belongs to).

    `flat` (IndexFlatIP) is exact; `hnsw` (IndexHNSWFlat, M=32) is approximate and much faster at scale.
    """

    def __init__(self, dimension: int, kind: str = FLAT, *, hnsw_ef_search: int = 128) -> None:
        self._dimension = dimension
        self.kind = kind
        if kind == FLAT:
            self._index = faiss.IndexFlatIP(dimension)
        elif kind == HNSW:
            self._index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
            self._index.hnsw.efConstruction = 80
            self._index.hnsw.efSearch = hnsw_ef_search
        else:
            raise ValueError(f"unknown index kind '{kind}'")
        self._keys: list[str] = []

    @property
    def dimension(self) -> int:
        return self._dimension

    def __len__(self) -> int:
        return self._index.ntotal

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        if vectors.ndim != 2 or vectors.shape[1] != self._dimension or len(keys) != vectors.shape[0]:
            raise ValueError(f"expected {len(keys)} vectors of dimension {self._dimension}, got {vectors.shape}")
        if len(keys):
            faiss.omp_set_num_threads(os.cpu_count() or 1)  # bulk work: use every core
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
            self._keys.extend(keys)

    def search(self, query: np.ndarray, k: int) -> list[VectorHit]:
        """Top-k rows for one query vector, best first."""
        if len(self) == 0:
            return []
        k = min(k, len(self))
        # One query gains nothing from threads, and idle OpenMP threads spin for a while after a parallel
        # search, stealing the cores the next query's encoder needs (p95 27.5 -> 9.2 ms at 10k rows).
        # The setting is per OS thread, so this does not slow bulk adds made on other threads.
        faiss.omp_set_num_threads(1)
        scores, rows = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        return [VectorHit(self._keys[r], float(s), int(r)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]

    def vectors(self) -> np.ndarray:
        """Every stored vector, in row order."""
        if len(self) == 0:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return self._index.reconstruct_n(0, len(self))

    def save(self, directory: Path, manifest: IndexManifest) -> None:
        """Write index, keys and manifest; the manifest goes last, so a half-written index never matches."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MANIFEST_FILE).unlink(missing_ok=True)
        _atomic_write(directory / INDEX_FILE, faiss.serialize_index(self._index).tobytes())
        _atomic_write(directory / KEYS_FILE, json.dumps(self._keys).encode())
        _atomic_write(directory / MANIFEST_FILE, json.dumps(asdict(manifest), indent=2).encode())

    @classmethod
    def load(cls, directory: Path, expected: IndexManifest) -> VectorIndex | None:
        """The index saved in `directory` if its manifest matches `expected`; None if absent, stale or corrupt."""
        try:
            manifest = IndexManifest(**json.loads((directory / MANIFEST_FILE).read_text()))
            if not manifest.matches(expected):
                log.info("index manifest is stale", extra={"directory": str(directory)})
                return None
            raw = np.frombuffer((directory / INDEX_FILE).read_bytes(), dtype=np.uint8)
            faiss_index = faiss.deserialize_index(raw)
            keys = json.loads((directory / KEYS_FILE).read_text())
            if faiss_index.d != expected.dimension or faiss_index.ntotal != len(keys) or len(keys) != manifest.count:
                raise ValueError("index, keys and manifest disagree")
        except FileNotFoundError:
            return None
        except Exception as exc:  # corrupt files are rebuilt, never fatal
            log.warning("index on disk is unreadable, rebuilding: %s", exc)
            return None
        index = cls(expected.dimension, HNSW if isinstance(faiss_index, faiss.IndexHNSW) else FLAT)
        index._index = faiss_index
        index._keys = list(keys)
        return index


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
