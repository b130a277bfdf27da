"""The knowledge base as the rest of the product sees it: search and decide, reload on change."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import anyio

from embeddings import TextEncoder
from knowledge_base.decision import AnswerPolicy, Decision
from knowledge_base.language import detect_language
from knowledge_base.markdown import load_folder
from knowledge_base.retrieval import FusionWeights, HybridRetriever
from knowledge_base.store import ArticleStore

log = logging.getLogger(__name__)


class KnowledgeBase:
    """Holds the current retriever; a reload builds a new one and swaps it in, so searches never block."""

    def __init__(
        self,
        store: ArticleStore,
        encoder: TextEncoder,
        index_dir: Path | None,
        policy: AnswerPolicy = AnswerPolicy(),
        weights: FusionWeights = FusionWeights(),
    ) -> None:
        self._store = store
        self._encoder = encoder
        self._index_dir = index_dir
        self._policy = policy
        self._weights = weights
        self._retriever: HybridRetriever | None = None
        self._reload_lock = asyncio.Lock()

    async def import_folder(self, folder: Path) -> int:
        """Load the editors' Markdown articles into the database; returns how many were new or changed."""
        articles = await anyio.to_thread.run_sync(load_folder, folder)
        changed = await self._store.import_articles(articles)
        log.info("imported knowledge base folder: %d articles, %d new or changed", len(articles), changed)
        return changed

    async def reload(self) -> None:
        """Rebuild the retriever from the published articles and swap it in."""
        async with self._reload_lock:
            articles = await self._store.published()
            self._retriever = await anyio.to_thread.run_sync(
                lambda: HybridRetriever.build(articles, self._encoder, self._index_dir, self._weights)
            )

    @property
    def article_count(self) -> int:
        return len(self._retriever) if self._retriever else 0

    async def decide(self, question: str, language: str | None = None, k: int = 3) -> Decision:
        """Search and decide whether to answer. Runs the model off the event loop."""
        retriever = self._retriever
        if retriever is None:
            raise RuntimeError("knowledge base not loaded: call reload() first")
        language = language or detect_language(question)
        hits = await anyio.to_thread.run_sync(lambda: retriever.search(question, k=k, language=language))
        return self._policy.decide(hits, language)
