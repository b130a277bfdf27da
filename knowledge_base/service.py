"""The knowledge base as the rest of the product sees it: search and decide, edit, and go live at once.

A change to what is published rebuilds the retriever (encoding only new phrasings) and swaps it in;
searches running meanwhile keep using the previous one, so nothing blocks and nothing fails.

With a `VectorStore`, phrasing embeddings are cached in the database: a process reads the vectors another
one computed rather than running the model. `on_change` listeners hear about every edit that went live
(the service tells the other processes, which then `reload_if_changed`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path

import anyio
import numpy as np

from embeddings import CachingEncoder, TextEncoder
from knowledge_base.article import LANGUAGES, Article, ArticleStatus
from knowledge_base.calibration import fit_calibrator
from knowledge_base.decision import AnswerPolicy, Decision, Outcome
from knowledge_base.language import detect_language
from knowledge_base.retrieval import FusionWeights, HybridRetriever
from knowledge_base.store import ArticleStore
from knowledge_base.transfer import read_articles
from knowledge_base.tryit import Collision, DraftRetrievers, collisions, try_question
from knowledge_base.vectors import VectorStore

log = logging.getLogger(__name__)

QUESTION_VECTORS_KEPT = 20_000  # customer questions whose vectors Questions to fix keeps (~31 MB at 384 floats)


class KnowledgeBase:
    def __init__(
        self,
        store: ArticleStore,
        encoder: TextEncoder,
        index_dir: Path | None,
        policy: AnswerPolicy = AnswerPolicy(),
        weights: FusionWeights = FusionWeights(),
        out_of_scope: Sequence[str] | None = None,
        vectors: VectorStore | None = None,
    ) -> None:
        self._store = store
        self._encoder = encoder if isinstance(encoder, CachingEncoder) else CachingEncoder(encoder)
        self._index_dir = index_dir
        self._policy = policy
        self._weights = weights
        self._retriever: HybridRetriever | None = None
        self._reload_lock = asyncio.Lock()
        self._fingerprint: tuple | None = None
        # None: do not calibrate (the policy's score thresholds decide); else known off-topic questions
        self._out_of_scope = list(out_of_scope) if out_of_scope is not None else None
        self._refit: asyncio.Task | None = None
        self._drafts = DraftRetrievers(self._encoder, weights)
        self._question_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._question_lock = threading.Lock()
        self._vectors = vectors
        self._listeners: list[Callable[[], None]] = []
        self.last_reload_seconds: float | None = None

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every edit made through this object has gone live."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("a knowledge base change listener failed")

    @property
    def store(self) -> ArticleStore:
        return self._store

    async def import_folder(self, folder: Path) -> int:
        """Load the editors' Markdown articles into the database; returns how many were new or changed.

        A malformed file is logged and skipped; the others still load.
        """
        result = await anyio.to_thread.run_sync(read_articles, folder, "markdown")
        for error in result.errors:
            log.error("skipped article file: %s", error)
        changed = await self._store.import_articles(result.articles)
        log.info("imported knowledge base folder: %d articles, %d new or changed", len(result.articles), changed)
        return changed

    async def reload(self) -> None:
        """Rebuild the retriever from the published articles and swap it in."""
        async with self._reload_lock:
            started = time.perf_counter()
            self._fingerprint = await self._store.fingerprint()
            articles = await self._store.published()
            texts = list(dict.fromkeys(p for a in articles for p in a.phrasings))
            cached: set[str] = set()
            if self._vectors is not None and texts:
                found = await self._vectors.get(self._encoder.model_name, texts)
                if found:
                    self._encoder.remember(list(found), np.stack(list(found.values())))
                cached = set(found)

            def build() -> HybridRetriever:
                retriever = HybridRetriever.build(articles, self._encoder, self._index_dir, self._weights)
                self._encoder.retain(texts)
                return retriever

            retriever = await anyio.to_thread.run_sync(build)
            if self._vectors is not None:
                fresh = [t for t in texts if t not in cached]
                if fresh:  # already in the encoder's memory: no model call
                    vectors = await anyio.to_thread.run_sync(self._encoder.encode, fresh)
                    await self._vectors.put(self._encoder.model_name, dict(zip(fresh, vectors, strict=True)))
            first = self._retriever is None
            self._retriever = retriever
            self.last_reload_seconds = time.perf_counter() - started
        if self._out_of_scope is None:
            return
        if first:
            await self._calibrate(retriever)  # answer from the first question on with calibrated decisions
        else:  # keep deciding with the previous calibration while the new one is fitted
            if self._refit is not None:
                self._refit.cancel()
            self._refit = asyncio.create_task(self._calibrate(retriever))

    async def _calibrate(self, retriever: HybridRetriever) -> None:
        try:
            calibrator = await anyio.to_thread.run_sync(fit_calibrator, retriever, self._out_of_scope)
        except Exception:
            log.exception("calibration failed; keeping the previous decision thresholds")
            return
        if self._retriever is retriever:
            self._policy = replace(self._policy, calibrator=calibrator)
            log.info("calibrated answer decisions: %s", {
                lang: {"answer_at": round(calibrator.answer_at[lang], 3), "samples": calibrator.samples[lang],
                       "precision_floor": round(calibrator.precision_at.get(lang, 0.0), 3)}
                for lang in calibrator.coefficients})

    async def aclose(self) -> None:
        if self._refit is not None:
            self._refit.cancel()

    async def reload_if_changed(self) -> bool:
        """Reload when the articles changed behind this process's back (an import, another process)."""
        if await self._store.fingerprint() == self._fingerprint:
            return False
        await self.reload()
        return True

    async def watch(self, interval_seconds: float) -> None:
        """Poll for outside changes until cancelled; errors are logged, never fatal."""
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                if await self.reload_if_changed():
                    log.info("knowledge base changed outside this process: reloaded")
            except Exception:
                log.exception("checking the knowledge base for changes failed")

    def published_article(self, article_id: str) -> Article | None:
        """The article as the bot currently serves it (None if not published)."""
        return self._retriever.article(article_id) if self._retriever else None

    def untranslated(self) -> list[tuple[Article, tuple[str, ...]]]:
        """Each published article whose topic has no published version in some language, with those languages."""
        retriever = self._retriever
        if retriever is None:
            return []
        gaps = []
        for language in LANGUAGES:
            gaps += [(a, language) for a in retriever.untranslated(language)]
        missing: dict[str, list[str]] = {}
        for article, language in gaps:
            missing.setdefault(article.id, []).append(language)
        return [(retriever.article(article_id), tuple(languages)) for article_id, languages in sorted(missing.items())]

    def _live(self) -> HybridRetriever:
        if self._retriever is None:
            raise RuntimeError("knowledge base not loaded: call reload() first")
        return self._retriever

    def encode(self, texts: Sequence[str]):
        """Unit vectors of `texts` from the retriever's own encoder (the embeddings retrieval uses); the
        vectors of the last QUESTION_VECTORS_KEPT customer questions are kept, so listing Questions to fix
        again encodes only the new ones."""
        texts = list(texts)
        with self._question_lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._question_vectors))
        fresh = self._encoder.inner.encode(missing) if missing else None
        with self._question_lock:
            if fresh is not None:
                self._question_vectors.update(zip(missing, fresh, strict=True))
            for t in texts:
                self._question_vectors.move_to_end(t)
            while len(self._question_vectors) > QUESTION_VECTORS_KEPT:
                self._question_vectors.popitem(last=False)
            if not texts:
                return np.zeros((0, self._encoder.dimension), dtype=np.float32)
            return np.stack([self._question_vectors[t] for t in texts]).astype(np.float32, copy=False)

    async def try_it(self, question: str, language: str | None = None, draft: Article | None = None,
                     k: int = 5) -> Decision:
        """What the bot would do with `question`: against what is published, or with `draft` published too."""
        live, policy = self._live(), self._policy

        def run() -> Decision:
            retriever = self._drafts.with_draft(live, draft) if draft is not None else live
            return try_question(retriever, policy, question, language, k)

        return await anyio.to_thread.run_sync(run)

    async def collisions(self, draft: Article) -> list[Collision]:
        """Phrasings of `draft` that would retrieve another article first, were it published."""
        live = self._live()
        return await anyio.to_thread.run_sync(
            lambda: collisions(self._drafts.with_draft(live, draft), draft, self._encoder))

    async def nearest(self, questions: Sequence[tuple[str, str | None]], k: int = 3) -> list[list]:
        """For each (question, language): the published articles nearest to it (hits, best first)."""
        live = self._live()

        def run() -> list[list]:
            vectors = self.encode([q for q, _ in questions])
            return [live.search_vector(v, q, k, lang or detect_language(q))
                    for (q, lang), v in zip(questions, vectors, strict=True)] if len(live) else [[] for _ in questions]

        return await anyio.to_thread.run_sync(run)

    @property
    def is_loaded(self) -> bool:
        """Whether the index has been built (or loaded) and searches can be answered."""
        return self._retriever is not None

    @property
    def phrasing_count(self) -> int:
        return self._retriever.phrasing_count if self._retriever else 0

    @property
    def article_count(self) -> int:
        return len(self._retriever) if self._retriever else 0

    async def decide(self, question: str, language: str | None = None, k: int = 3,
                     exclude: Collection[str] = ()) -> Decision:
        """Search and decide whether to answer, leaving out the articles in `exclude` (already shown, or
        rejected). Runs the model off the event loop."""
        retriever = self._retriever
        if retriever is None:
            raise RuntimeError("knowledge base not loaded: call reload() first")
        language = language or detect_language(question)
        excluded = set(exclude)
        policy = self._policy

        def search() -> Decision:
            vector = retriever.encode_query(question)
            hits = retriever.search_vector(vector, question, k + len(excluded), language)
            decision = policy.decide([h for h in hits if h.article.id not in excluded][:k], language)
            if decision.outcome is Outcome.UNSURE:  # perhaps an article that has no translation yet
                untranslated = retriever.search_untranslated(vector, language, 1 + len(excluded))
                decision = policy.across(decision, [h for h in untranslated if h.article.id not in excluded])
            return decision

        return await anyio.to_thread.run_sync(search)

    # -- editing: every change that can alter what is published goes live before returning ---------

    async def create(self, article: Article, author: str | None) -> Article:
        saved = await self._store.create(article, author)
        if saved.status is ArticleStatus.PUBLISHED:
            await self.reload()
            self._changed()
        return saved

    async def update(self, article: Article, expected_version: int, author: str | None) -> Article:
        return await self._change(article.id, lambda: self._store.update(article, expected_version, author))

    async def set_status(self, article_id: str, status: ArticleStatus, author: str | None,
                         expected_version: int | None = None) -> Article:
        return await self._change(article_id,
                                  lambda: self._store.set_status(article_id, status, author, expected_version))

    async def restore(self, article_id: str, version: int, author: str | None,
                      expected_version: int | None = None) -> Article:
        return await self._change(article_id,
                                  lambda: self._store.restore(article_id, version, author, expected_version))

    async def _change(self, article_id: str, save: Callable[[], Awaitable[Article]]) -> Article:
        """Save, then go live if the article was or is published."""
        before = await self._store.get(article_id)
        saved = await save()
        if ArticleStatus.PUBLISHED in (before.status, saved.status):
            await self.reload()
            self._changed()
        return saved
