"""Phrasing embeddings cached in the database, shared by every process: a process that starts, or that
hears about a publish made elsewhere, reads the vectors another process already computed instead of
running the model (each process still builds its own index files from them; no shared disk needed)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Column, Integer, LargeBinary, MetaData, PrimaryKeyConstraint, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

metadata = MetaData()

embeddings_table = Table(
    "kb_embeddings",
    metadata,
    Column("model", String(200), nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("dimension", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32, little-endian
    PrimaryKeyConstraint("model", "text_hash"),
)

BATCH = 500


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class VectorStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors of those texts that have one."""
        by_hash = {text_hash(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        hashes = list(by_hash)
        async with self._engine.connect() as conn:
            for i in range(0, len(hashes), BATCH):
                rows = await conn.execute(
                    select(embeddings_table.c.text_hash, embeddings_table.c.vector)
                    .where(embeddings_table.c.model == model)
                    .where(embeddings_table.c.text_hash.in_(hashes[i:i + BATCH])))
                for h, raw in rows:
                    found[by_hash[h]] = np.frombuffer(raw, dtype="<f4").copy()
        return found

    async def put(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Remember vectors (a text already cached keeps its vector: the same model gives the same one)."""
        if not vectors:
            return
        rows = [{"model": model, "text_hash": text_hash(t), "dimension": int(v.shape[0]),
                 "vector": np.asarray(v, dtype="<f4").tobytes()} for t, v in vectors.items()]
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        async with self._engine.begin() as conn:
            for i in range(0, len(rows), BATCH):
                await conn.execute(dialect.insert(embeddings_table).values(rows[i:i + BATCH])
                                   .on_conflict_do_nothing(index_elements=["model", "text_hash"]))
