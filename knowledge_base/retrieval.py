"""Hybrid retrieval: dense (sentence-transformers + FAISS) fused with lexical (TF-IDF) scores per article."""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings import CachingEncoder, IndexManifest, TextEncoder, VectorIndex
from embeddings.index import HNSW_FROM_ROWS, kind_for
from knowledge_base.article import Article
from knowledge_base.language import detect_language
from knowledge_base.lexical import LexicalIndex

log = logging.getLogger(__name__)

CANDIDATE_ROWS = 256  # rows taken from each index per query before scoring articles
MAX_SMOOTHING = 5


@dataclass(frozen=True)
class FusionWeights:
    """How much the dense and the lexical score count, per query language.

    MiniLM is an English model: for Chinese the lexical (character n-gram) score carries more weight.
    """

    dense_en: float = 0.75
    dense_zh: float = 0.10

    def dense_weight(self, language: str) -> float:
        return self.dense_zh if language == "zh" else self.dense_en


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    score: float
    dense: float
    lexical: float


class HybridRetriever:
    """Immutable once built: a new knowledge base means a new retriever, swapped in whole."""

    def __init__(
        self,
        articles: Sequence[Article],
        encoder: TextEncoder,
        index: VectorIndex,
        weights: FusionWeights = FusionWeights(),
    ) -> None:
        self._articles = {a.id: a for a in articles}
        # questions are encoded directly: caching every customer question would only grow memory
        self._encoder = encoder.inner if isinstance(encoder, CachingEncoder) else encoder
        self._index = index
        self._weights = weights
        self._rows: list[tuple[str, str]] = [(a.id, p) for a in articles for p in a.phrasings]
        self._smoothing = {a.id: smoothing(len(a.phrasings)) for a in articles}
        self._by_language: dict[str, list[Article]] = defaultdict(list)
        for article in articles:
            self._by_language[article.language].append(article)
        self._lexical = LexicalIndex([p for _, p in self._rows])

    @classmethod
    def build(
        cls,
        articles: Sequence[Article],
        encoder: TextEncoder,
        index_dir: Path | None = None,
        weights: FusionWeights = FusionWeights(),
        hnsw_from_rows: int = HNSW_FROM_ROWS,
    ) -> HybridRetriever:
        """Reuse the index saved in `index_dir` when its manifest matches, otherwise encode and save."""
        manifest = IndexManifest(
            model=encoder.model_name,
            dimension=encoder.dimension,
            content_hash=content_hash(articles),
            count=sum(len(a.phrasings) for a in articles),
            built_at=time.time(),
        )
        index = VectorIndex.load(index_dir, manifest) if index_dir else None
        if index is not None and isinstance(encoder, CachingEncoder):
            encoder.remember([p for a in articles for p in a.phrasings], index.vectors())
        if index is None:
            started = time.perf_counter()
            keys = [a.id for a in articles for _ in a.phrasings]
            texts = [p for a in articles for p in a.phrasings]
            index = VectorIndex(encoder.dimension, kind_for(len(texts), hnsw_from_rows))
            index.add(keys, encoder.encode(texts) if texts else np.zeros((0, encoder.dimension), np.float32))
            if index_dir:
                index.save(index_dir, manifest)
            log.info("built vector index: %d phrasings in %.2fs", len(texts), time.perf_counter() - started)
        return cls(articles, encoder, index, weights)

    def __len__(self) -> int:
        return len(self._articles)

    @property
    def phrasing_count(self) -> int:
        return len(self._rows)

    def article(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def articles(self) -> list[Article]:
        return list(self._articles.values())

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[ArticleHit]:
        """The k best articles for `query`, preferring (when it has any) the query's language."""
        if not self._articles:
            return []
        language = language or detect_language(query)
        return self.search_vector(self._encoder.encode([query])[0], query, k, language)

    def search_vector(self, vector: np.ndarray, query: str, k: int, language: str,
                      exclude_row: int | None = None) -> list[ArticleHit]:
        """Search with an already encoded query; `exclude_row` hides one phrasing (for held-out checks)."""
        dense_hits = [h for h in self._index.search(vector, k=min(len(self._index), CANDIDATE_ROWS))
                      if h.row != exclude_row]
        dense = self._per_article([h.key for h in dense_hits], [max(h.score, 0.0) for h in dense_hits])
        lexical_rows = self._lexical.scores(query)
        if exclude_row is not None:
            lexical_rows[exclude_row] = 0.0
        top = np.argpartition(-lexical_rows, min(CANDIDATE_ROWS, len(lexical_rows)) - 1)[:CANDIDATE_ROWS]
        lexical = self._per_article([self._rows[i][0] for i in top], [float(lexical_rows[i]) for i in top])
        candidates = self._by_language.get(language) or list(self._articles.values())
        w = self._weights.dense_weight(language)
        hits = [ArticleHit(a, w * dense.get(a.id, 0.0) + (1 - w) * lexical.get(a.id, 0.0),
                           dense.get(a.id, 0.0), lexical.get(a.id, 0.0)) for a in candidates]
        return heapq.nlargest(k, hits, key=lambda h: h.score)

    @property
    def query_encoder(self) -> TextEncoder:
        return self._encoder

    @property
    def languages(self) -> list[str]:
        return sorted(self._by_language)

    def rows(self) -> list[tuple[str, str]]:
        """(article id, phrasing) for every indexed row, in index order."""
        return list(self._rows)

    def row_vectors(self) -> np.ndarray:
        return self._index.vectors()

    def _per_article(self, keys: Sequence[str], scores: Sequence[float]) -> dict[str, float]:
        """Each article's score: the mean of its `smoothing(article)` best rows among the candidates.

        Rows outside the candidates count as the lowest candidate score (an upper bound for them).
        """
        if not scores:
            return {}
        floor = min(scores)
        grouped: dict[str, list[float]] = defaultdict(list)
        for key, score in zip(keys, scores, strict=True):
            grouped[key].append(score)
        result = {}
        for article_id, values in grouped.items():
            n = self._smoothing[article_id]
            best = sorted(values, reverse=True)[:n]
            result[article_id] = (sum(best) + floor * (n - len(best))) / n
        return result


def smoothing(phrasing_count: int) -> int:
    """How many of an article's best-matching phrasings its score averages.

    One for an article with a handful of phrasings (one exact match is enough); up to five for an
    article with many, where averaging the nearest neighbours is more robust than the single best
    (HWU64 top-1: 0.857 with the best alone, 0.891 with five; docs/retrieval.md).
    """
    return max(1, min(MAX_SMOOTHING, phrasing_count // 10))


def content_hash(articles: Sequence[Article]) -> str:
    """Hash of what the vector index holds: article ids and their phrasings."""
    payload = json.dumps(sorted((a.id, list(a.phrasings)) for a in articles), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()
