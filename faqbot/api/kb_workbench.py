"""The editors' workbench: "try it" (what the bot would do, with or without a draft), the questions the bot
failed grouped into needs (and what to do about them), and how each article does as an answer."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from faqbot.api.deps import EditorAgent, ServicesDep
from faqbot.api.kb import (
    ERRORS,
    SLUG,
    ArticleContent,
    CollisionOut,
    InvalidArticleField,
    NewArticle,
    check_category,
    collision_warnings,
)
from faqbot.api.models import MAX_SQL_INT, RequestModel
from faqbot.conversations.signals import ConversationSignals
from faqbot.questions import clusters
from knowledge_base.article import LANGUAGES, Article, ArticleStatus
from knowledge_base.decision import Decision
from knowledge_base.resolutions import QuestionKey, Resolution, ResolutionStore
from storage import utcnow

router = APIRouter()


# -- try it ------------------------------------------------------------------------------------------

class DraftArticle(ArticleContent):
    id: str = Field(pattern=SLUG, description="the draft's id (new or existing)")


class TryRequest(RequestModel):
    question: str = Field(min_length=1, max_length=1000)
    language: str | None = Field(default=None, description="'en' or 'zh'; detected when absent")
    draft: DraftArticle | None = Field(default=None, description="also try with this draft published")


class HitOut(BaseModel):
    article_id: str
    title: str
    language: str
    status: str
    score: float
    dense: float
    lexical: float


class OutcomeOut(BaseModel):
    outcome: Literal["answer", "clarify", "unsure"]
    language: str
    confidence: float | None
    hits: list[HitOut]


class TryResponse(BaseModel):
    published: OutcomeOut
    with_draft: OutcomeOut | None = None
    took_ms: float


class CollisionsResponse(BaseModel):
    collisions: list[CollisionOut]


def _outcome(decision: Decision, draft_id: str | None = None) -> OutcomeOut:
    return OutcomeOut(outcome=decision.outcome.value, language=decision.language, confidence=decision.confidence,
                      hits=[HitOut(article_id=h.article.id, title=h.article.title, language=h.article.language,
                                   status="draft" if h.article.id == draft_id else h.article.status.value,
                                   score=round(h.score, 4), dense=round(h.dense, 4), lexical=round(h.lexical, 4))
                            for h in decision.hits])


def _language(value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise InvalidArticleField(f"language: must be one of {', '.join(LANGUAGES)}")
    return value


@router.post("/try", response_model=TryResponse, responses=ERRORS)
async def try_it(body: TryRequest, editor: EditorAgent, services: ServicesDep) -> TryResponse:
    """What the bot would do with the question now, and (with a draft) once the draft is published."""
    import time

    started = time.perf_counter()
    language = _language(body.language)
    knowledge = services.core.knowledge
    published = await knowledge.try_it(body.question, language)
    with_draft = None
    if body.draft is not None:
        check_category(body.draft, services)
        draft = body.draft.to_article(body.draft.id, ArticleStatus.DRAFT)
        with_draft = _outcome(await knowledge.try_it(body.question, language, draft), draft.id)
    return TryResponse(published=_outcome(published), with_draft=with_draft,
                       took_ms=round((time.perf_counter() - started) * 1000, 2))


@router.post("/collisions", response_model=CollisionsResponse, responses=ERRORS)
async def collisions(body: DraftArticle, editor: EditorAgent, services: ServicesDep) -> CollisionsResponse:
    """The draft's phrasings that would retrieve another article first, were it published."""
    check_category(body, services)
    found = await collision_warnings(body.to_article(body.id, ArticleStatus.DRAFT), services)
    return CollisionsResponse(collisions=[CollisionOut(**c) for c in found])


# -- questions to fix --------------------------------------------------------------------------------

class QuestionKeyIn(BaseModel):
    conversation_id: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=0, le=MAX_SQL_INT)


class ClusterExample(BaseModel):
    conversation_id: str
    seq: int
    text: str
    language: str | None
    asked_at: str
    handled: bool


class ArticleRef(BaseModel):
    article_id: str
    title: str | None
    times: int | None = None
    score: float | None = None


class ClusterOut(BaseModel):
    id: str
    count: int
    open: int
    representative: str
    languages: list[str]
    first_seen: str
    last_seen: str
    kinds: dict[str, int]
    examples: list[ClusterExample]
    keys: list[QuestionKeyIn]
    tried: list[ArticleRef]
    suggested: list[ArticleRef]


class ClustersResponse(BaseModel):
    clusters: list[ClusterOut]
    failed_questions: int
    since: str


async def _failed(services, days: int):
    since = utcnow() - dt.timedelta(days=days)
    failed, quality = await ConversationSignals(services.core.engine).read(since, None)
    return since, failed, quality


@router.get("/questions", response_model=ClustersResponse, responses=ERRORS)
async def questions_to_fix(editor: EditorAgent, services: ServicesDep,
                           days: int = Query(default=30, ge=1, le=366),
                           include_handled: bool = False) -> ClustersResponse:
    """The customer questions the bot failed in the last `days`, grouped into needs, biggest open first."""
    since, failed, _ = await _failed(services, days)
    found = await clusters(failed, services.core.knowledge, ResolutionStore(services.core.engine),
                           include_handled)
    return ClustersResponse(clusters=found, failed_questions=len(failed), since=since.isoformat())


class Keys(RequestModel):
    keys: list[QuestionKeyIn] = Field(min_length=1, max_length=5000, description="the questions acted on")


class AddPhrasings(Keys):
    article_id: str = Field(pattern=SLUG)
    version: int = Field(ge=1, le=MAX_SQL_INT, description="the article version this is based on")
    phrasings: list[str] = Field(min_length=1, max_length=200, description="the questions' texts to add")


class DraftFromCluster(Keys):
    article: NewArticle


class ResolvedResponse(BaseModel):
    handled: int
    article: dict[str, Any] | None = None
    collisions: list[CollisionOut] = []


def _keys(body: Keys) -> list[QuestionKey]:
    return [QuestionKey(k.conversation_id, k.seq) for k in body.keys]


@router.post("/questions/dismiss", response_model=ResolvedResponse, responses=ERRORS)
async def dismiss(body: Keys, editor: EditorAgent, services: ServicesDep) -> ResolvedResponse:
    handled = await ResolutionStore(services.core.engine).resolve(_keys(body), Resolution.DISMISSED, None,
                                                                  editor.username)
    return ResolvedResponse(handled=handled)


@router.post("/questions/add-phrasings", response_model=ResolvedResponse, responses=ERRORS)
async def add_phrasings(body: AddPhrasings, editor: EditorAgent, services: ServicesDep) -> ResolvedResponse:
    """Add the questions as phrasings of an existing article (saved as a new version, 409 if it moved on)."""
    knowledge = services.core.knowledge
    current = await knowledge.store.get(body.article_id)
    cleaned = [p.strip()[:500] for p in body.phrasings if p.strip()]
    if not cleaned:
        raise InvalidArticleField("phrasings: none of them has any text")
    changed = Article(**{**current.__dict__, "questions": tuple(dict.fromkeys([*current.questions, *cleaned]))})
    if len(changed.questions) > 200:
        raise InvalidArticleField("phrasings: the article would have more than 200 phrasings")
    saved = await knowledge.update(changed, body.version, editor.username)
    # AUDIT(lead): await services.audit.record(editor, "kb.update", saved.id)  -- roles branch's recorder
    handled = await ResolutionStore(services.core.engine).resolve(_keys(body), Resolution.PHRASINGS, saved.id,
                                                                  editor.username)
    return ResolvedResponse(handled=handled, article=saved.to_json(),
                            collisions=[CollisionOut(**c) for c in await collision_warnings(saved, services)])


@router.post("/questions/draft", response_model=ResolvedResponse, status_code=201, responses=ERRORS)
async def draft_from_cluster(body: DraftFromCluster, editor: EditorAgent, services: ServicesDep
                             ) -> ResolvedResponse:
    """Create a draft article from a cluster (its questions as phrasings); the cluster leaves the list."""
    check_category(body.article, services)
    article = await services.core.knowledge.create(
        body.article.to_article(body.article.id, ArticleStatus.DRAFT), editor.username)
    # AUDIT(lead): await services.audit.record(editor, "kb.create", article.id)  -- roles branch's recorder
    handled = await ResolutionStore(services.core.engine).resolve(_keys(body), Resolution.DRAFT, article.id,
                                                                  editor.username)
    return ResolvedResponse(handled=handled, article=article.to_json(),
                            collisions=[CollisionOut(**c) for c in await collision_warnings(article, services)])


# -- article quality ---------------------------------------------------------------------------------

class QualityRow(BaseModel):
    article_id: str
    title: str | None
    language: str | None
    category: str | None
    answered: int
    helpful: int
    not_helpful: int
    rejections: int
    handoffs: int
    picks: int
    helpful_share: float | None
    badness: float


class QualityResponse(BaseModel):
    articles: list[QualityRow]
    since: str


QUALITY_SORTS = ("badness", "answered", "helpful", "not_helpful", "rejections", "handoffs", "picks")


@router.get("/quality", response_model=QualityResponse, responses=ERRORS)
async def article_quality(editor: EditorAgent, services: ServicesDep,
                          days: int = Query(default=30, ge=1, le=366),
                          sort: Literal["badness", "answered", "helpful", "not_helpful", "rejections", "handoffs",
                                        "picks"] = "badness") -> QualityResponse:
    """Per article over the last `days`: answered, 👍, 👎, rejections, handoffs within two turns, did-you-mean
    picks; worst first by default."""
    since, _, quality = await _failed(services, days)
    articles = {a.id: a for a in await services.core.knowledge.store.search(limit=20_000)}
    rows = []
    for stats in quality:
        article = articles.get(stats.article_id)
        rows.append(QualityRow(title=article.title if article else None,
                               language=article.language if article else None,
                               category=article.category if article else None, **stats.to_json()))
    rows.sort(key=lambda r: (-getattr(r, sort), -r.answered, r.article_id))
    return QualityResponse(articles=rows, since=since.isoformat())
