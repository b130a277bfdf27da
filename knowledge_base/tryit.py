""""Try it": what the bot would do with a question, against what is published or against what is published plus
one draft (before it is published); and which phrasings of a draft would retrieve another article first.

The retriever with the draft is built like the live one (the cached encoder encodes only the draft's new
phrasings) and kept for the few drafts being edited, so asking again costs one search.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from embeddings import CachingEncoder, TextEncoder
from knowledge_base.article import Article, ArticleStatus
from knowledge_base.decision import AnswerPolicy, Decision
from knowledge_base.language import detect_language
from knowledge_base.retrieval import FusionWeights, HybridRetriever

KEPT_DRAFTS = 8


@dataclass(frozen=True)
class Collision:
    phrasing: str
    article_id: str  # the article it retrieves first instead
    title: str
    score: float
    own_score: float

    def to_json(self) -> dict:
        return {"phrasing": self.phrasing, "article_id": self.article_id, "title": self.title,
                "score": round(self.score, 4), "own_score": round(self.own_score, 4)}


class DraftRetrievers:
    """Retrievers of "published + one draft", for the latest published retriever, least recently used dropped."""

    def __init__(self, encoder: CachingEncoder, weights: FusionWeights, kept: int = KEPT_DRAFTS) -> None:
        self._encoder = encoder
        self._weights = weights
        self._kept = kept
        self._cache: OrderedDict[tuple[int, str], HybridRetriever] = OrderedDict()
        self._lock = threading.Lock()

    def with_draft(self, published: HybridRetriever, draft: Article) -> HybridRetriever:
        draft = replace(draft, status=ArticleStatus.PUBLISHED)
        key = (id(published), draft.content_hash())
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        articles = [a for a in published.articles() if a.id != draft.id] + [draft]
        retriever = HybridRetriever.build(articles, self._encoder, None, self._weights)
        with self._lock:
            self._cache = OrderedDict((k, v) for k, v in self._cache.items() if k[0] == id(published))
            self._cache[key] = retriever
            while len(self._cache) > self._kept:
                self._cache.popitem(last=False)
        return retriever


def try_question(retriever: HybridRetriever, policy: AnswerPolicy, question: str, language: str | None = None,
                 k: int = 5) -> Decision:
    """The bot's decision on `question` with this retriever; its hits are the top `k` articles."""
    language = language or detect_language(question)
    hits = retriever.search(question, k=max(k, 3), language=language)
    decision = policy.decide(hits[:3], language)
    return replace(decision, hits=tuple(hits[:k]))


def collisions(retriever: HybridRetriever, draft: Article, encoder: TextEncoder | None = None) -> list[Collision]:
    """The draft's phrasings that retrieve another article first (with the draft in the retriever).

    `encoder`: the one the retriever was built with (its cache holds the draft's phrasings already)."""
    phrasings = list(draft.phrasings)
    if not phrasings:
        return []
    vectors = (encoder or retriever.query_encoder).encode(phrasings)
    found = []
    for phrasing, vector in zip(phrasings, vectors, strict=True):
        hits = retriever.search_vector(vector, phrasing, 5, draft.language)
        if hits and hits[0].article.id != draft.id:
            own = next((h.score for h in hits if h.article.id == draft.id), 0.0)
            found.append(Collision(phrasing, hits[0].article.id, hits[0].article.title, hits[0].score, own))
    return found
