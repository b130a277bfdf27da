"""Hybrid retrieval: dense (sentence-transformers + FAISS) fused with lexical (TF-IDF) scores per article."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings import CachingEncoder, IndexManifest, TextEncoder, VectorIndex
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
        self._encoder = encoder
        self._index = index
        self._weights = weights
        self._rows: list[tuple[str, str]] = [(a.id, p) for a in articles for p in a.phrasings]
        self._smoothing = {a.id: smoothing(len(a.phrasings)) for a in articles}
        self._lexical = LexicalIndex([p for _, p in self._rows])

    @classmethod
    def build(
        cls,
        articles: Sequence[Article],
        encoder: TextEncoder,
        index_dir: Path | None = None,
        weights: FusionWeights = FusionWeights(),
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
            index = VectorIndex(encoder.dimension)
            index.add(keys, encoder.encode(texts) if texts else np.zeros((0, encoder.dimension), np.float32))
            if index_dir:
                index.save(index_dir, manifest)
            log.info("built vector index: %d phrasings in %.2fs", len(texts), time.perf_counter() - started)
        return cls(articles, encoder, index, weights)

    def __len__(self) -> int:
        return len(self._articles)

    def article(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[ArticleHit]:
        """The k best articles for `query`, preferring (when it has any) the query's language."""
        if not self._articles:
            return []
        language = language or detect_language(query)
        query_vector = self._encoder.encode([query])[0]
        dense_hits = self._index.search(query_vector, k=min(len(self._index), CANDIDATE_ROWS))
        dense = self._per_article([h.key for h in dense_hits], [max(h.score, 0.0) for h in dense_hits])
        lexical_rows = self._lexical.scores(query)
        top = np.argpartition(-lexical_rows, min(CANDIDATE_ROWS, len(lexical_rows)) - 1)[:CANDIDATE_ROWS]
        lexical = self._per_article([self._rows[i][0] for i in top], [float(lexical_rows[i]) for i in top])
        candidates = [a for a in self._articles.values() if a.language == language] or list(
            self._articles.values()
        )
        w = self._weights.dense_weight(language)
        hits = []
        for article in candidates:
            d = dense.get(article.id, 0.0)
            lex = lexical.get(article.id, 0.0)
            hits.append(ArticleHit(article, w * d + (1 - w) * lex, d, lex))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

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
