"""The editors' API: articles with drafts, publishing, history and restore; questions the bot could not answer.

Agents may read; editors and admins may write. Saves name the version they were based on and get 409
if the article has moved on since.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, field_validator

from faqbot.agents import Agent
from faqbot.api.deps import CurrentAgent, EditorAgent, ServicesDep
from faqbot.api.models import MAX_SQL_INT, RequestModel
from faqbot.errors import InvalidMessage
from knowledge_base import finder
from knowledge_base.article import LANGUAGES, Article, ArticleStatus

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

SLUG = r"^[a-z0-9][a-z0-9._-]{0,127}$"
VersionPath = Annotated[int, Path(ge=1, le=MAX_SQL_INT, description="an article version")]


CurrentEditor = EditorAgent


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The service's one error body (faqbot/api/errors.py)."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 409, 422)}


class TranslationOut(BaseModel):
    id: str
    language: str
    title: str
    status: str
    version: int


class ArticleOut(BaseModel):
    id: str
    group: str
    language: str
    title: str
    questions: list[str]
    answer: str
    category: str
    tags: list[str]
    status: str
    version: int
    author: str | None
    updated_at: str | None
    score: float | None = Field(default=None, description="search rank (with `q`)")
    translations: list[TranslationOut] | None = Field(default=None, description="the topic's other languages")
    missing_languages: list[str] | None = Field(default=None, description="languages the topic has no article in")


class CollisionOut(BaseModel):
    phrasing: str
    article_id: str = Field(description="the article this phrasing retrieves first instead")
    title: str
    score: float
    own_score: float


class ArticleEnvelope(BaseModel):
    article: ArticleOut
    collisions: list[CollisionOut] | None = Field(
        default=None, description="on saves: phrasings that would retrieve another article first")


ONE_ARTICLE: dict[str, Any] = {"response_model": ArticleEnvelope, "responses": ERRORS}


class ArticleListOut(BaseModel):
    articles: list[ArticleOut]
    categories: list[str]
    languages: list[str]
    tags: list[str]


class ArticleContent(RequestModel):
    title: str = Field(min_length=1, max_length=300)
    questions: list[str] = Field(min_length=1, max_length=200, description="question phrasings")
    answer: str = Field(min_length=1, max_length=20000, description="Markdown")
    category: str = Field(min_length=1, max_length=64)
    language: str = Field(description="'en' or 'zh'")
    tags: list[str] = Field(default_factory=list, max_length=30)
    group: str | None = Field(default=None, max_length=128, description="links translations of one topic")

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("questions")
    @classmethod
    def _questions(cls, value: list[str]) -> list[str]:
        cleaned = [q.strip() for q in value]
        if any(not q for q in cleaned):
            raise ValueError("question phrasings must not be empty")
        return list(dict.fromkeys(cleaned))

    def to_article(self, article_id: str, status: ArticleStatus) -> Article:
        return Article(id=article_id, group=self.group or article_id.rsplit("-", 1)[0], language=self.language,
                       title=self.title.strip(), questions=tuple(self.questions), answer=self.answer.strip(),
                       category=self.category.strip(), tags=tuple(self.tags), status=status)


class InvalidArticleField(InvalidMessage):
    code = "invalid_article"


def check_category(body: ArticleContent, services) -> None:
    """An unknown category is refused by name (the list is FAQBOT_KB_CATEGORIES)."""
    known = services.core.settings.categories
    if body.category.strip() not in known:
        raise InvalidArticleField(f"category: '{body.category}' is not one of {', '.join(known)}")


async def collision_warnings(article: Article, services) -> list[dict[str, Any]]:
    """Phrasings of `article` that retrieve another article first (with it published), for the editor."""
    return [c.to_json() for c in await services.core.knowledge.collisions(article)]


class NewArticle(ArticleContent):
    id: str = Field(pattern=SLUG, description="stable slug, e.g. 'refund-timing-en'")
    status: ArticleStatus = ArticleStatus.DRAFT


class ArticleUpdate(ArticleContent):
    version: int = Field(ge=1, le=MAX_SQL_INT, description="the version this edit is based on")


class VersionedAction(RequestModel):
    version: int | None = Field(default=None, ge=1, le=MAX_SQL_INT,
                                description="the version this is based on (optional)")


def _translations(article: Article, everything: list[Article]) -> dict[str, Any]:
    """The other languages of the article's topic, and the languages the topic still lacks."""
    siblings = [a for a in everything if a.group == article.group and a.id != article.id
                and a.status is not ArticleStatus.ARCHIVED]
    have = {article.language, *(a.language for a in siblings)}
    return {"translations": [{"id": a.id, "language": a.language, "title": a.title, "status": a.status.value,
                              "version": a.version} for a in siblings],
            "missing_languages": [lang for lang in LANGUAGES if lang not in have]}


@router.get("/articles", response_model=ArticleListOut, responses=ERRORS)
async def list_articles(
    agent: CurrentAgent, services: ServicesDep,
    status: ArticleStatus | None = None, language: str | None = None, category: str | None = None,
    tag: list[str] = Query(default=[], max_length=10, description="only articles with all of these tags"),
    group: str | None = Query(default=None, max_length=128, description="one topic's translations"),
    q: str | None = Query(default=None, max_length=200,
                          description="ranked search over title, phrasings and answer (works for Chinese)"),
) -> dict[str, Any]:
    if language is not None and language not in LANGUAGES:
        raise InvalidArticleField(f"language: must be one of {', '.join(LANGUAGES)}")
    everything = await services.core.knowledge.store.search(limit=20_000)
    chosen = [a for a in everything
              if (status is None or a.status is status) and (language is None or a.language == language)
              and (category is None or a.category == category) and (group is None or a.group == group)
              and all(t in a.tags for t in tag)]
    ranked = finder.rank(chosen, q) if q and q.strip() else [(a, None) for a in chosen]
    return {"articles": [{**a.to_json(), "score": score, **_translations(a, everything)} for a, score in ranked],
            "categories": list(services.core.settings.categories), "languages": list(LANGUAGES),
            "tags": sorted({t for a in everything for t in a.tags})}


@router.post("/articles", status_code=201, **ONE_ARTICLE)
async def create_article(body: NewArticle, editor: CurrentEditor, services: ServicesDep) -> dict[str, Any]:
    check_category(body, services)
    article = await services.core.knowledge.create(body.to_article(body.id, body.status), editor.username)
    # AUDIT(lead): await services.audit.record(editor, "kb.create", article.id)  -- roles branch's recorder
    return {"article": article.to_json(), "collisions": await collision_warnings(article, services)}


@router.get("/articles/{article_id}", **ONE_ARTICLE)
async def get_article(article_id: str, agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    article = await services.core.knowledge.store.get(article_id)
    group = await services.core.knowledge.store.search(limit=20_000)
    return {"article": {**article.to_json(), **_translations(article, group)}}


@router.put("/articles/{article_id}", **ONE_ARTICLE)
async def update_article(article_id: str, body: ArticleUpdate, editor: CurrentEditor,
                         services: ServicesDep) -> dict[str, Any]:
    check_category(body, services)
    current = await services.core.knowledge.store.get(article_id)
    article = await services.core.knowledge.update(body.to_article(article_id, current.status), body.version,
                                                   editor.username)
    # AUDIT(lead): await services.audit.record(editor, "kb.update", article.id)  -- roles branch's recorder
    return {"article": article.to_json(), "collisions": await collision_warnings(article, services)}


async def _set_status(article_id: str, status: ArticleStatus, body: VersionedAction | None, editor: Agent,
                      services) -> dict[str, Any]:
    article = await services.core.knowledge.set_status(article_id, status, editor.username,
                                                       body.version if body else None)
    # AUDIT(lead): await services.audit.record(editor, f"kb.{status.value}", article.id)  -- roles branch
    return {"article": article.to_json()}


@router.post("/articles/{article_id}/publish", **ONE_ARTICLE)
async def publish(article_id: str, editor: CurrentEditor, services: ServicesDep,
                  body: VersionedAction | None = None) -> dict[str, Any]:
    """Live for the bot when this returns."""
    return await _set_status(article_id, ArticleStatus.PUBLISHED, body, editor, services)


@router.post("/articles/{article_id}/unpublish", **ONE_ARTICLE)
async def unpublish(article_id: str, editor: CurrentEditor, services: ServicesDep,
                    body: VersionedAction | None = None) -> dict[str, Any]:
    return await _set_status(article_id, ArticleStatus.DRAFT, body, editor, services)


@router.post("/articles/{article_id}/archive", **ONE_ARTICLE)
async def archive(article_id: str, editor: CurrentEditor, services: ServicesDep,
                  body: VersionedAction | None = None) -> dict[str, Any]:
    return await _set_status(article_id, ArticleStatus.ARCHIVED, body, editor, services)


@router.get("/articles/{article_id}/versions")
async def versions(article_id: str, agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    history = await services.core.knowledge.store.versions(article_id)
    return {"versions": [{"version": a.version, "author": a.author, "saved_at": a.updated_at.isoformat(),
                          "status": a.status.value, "title": a.title} for a in history]}


@router.get("/articles/{article_id}/versions/{version}", **ONE_ARTICLE)
async def get_version(article_id: str, version: VersionPath, agent: CurrentAgent, services: ServicesDep
                      ) -> dict[str, Any]:
    return {"article": (await services.core.knowledge.store.version(article_id, version)).to_json()}


@router.get("/articles/{article_id}/diff")
async def diff(article_id: str, agent: CurrentAgent, services: ServicesDep,
               from_version: int = Query(alias="from", ge=1, le=MAX_SQL_INT),
               to_version: int = Query(alias="to", ge=1, le=MAX_SQL_INT)
               ) -> dict[str, Any]:
    """A unified diff of two versions, field by field."""
    store = services.core.knowledge.store
    old, new = (await store.version(article_id, from_version)), (await store.version(article_id, to_version))
    changes = {}
    for name in ("title", "questions", "answer", "category", "tags", "status", "language"):
        a, b = _lines(getattr(old, name)), _lines(getattr(new, name))
        if a != b:
            changes[name] = "\n".join(difflib.unified_diff(a, b, f"v{from_version}", f"v{to_version}", lineterm=""))
    return {"from": from_version, "to": to_version, "changes": changes}


@router.post("/articles/{article_id}/versions/{version}/restore", **ONE_ARTICLE)
async def restore(article_id: str, version: VersionPath, editor: CurrentEditor, services: ServicesDep,
                  body: VersionedAction | None = None) -> dict[str, Any]:
    article = await services.core.knowledge.restore(article_id, version, editor.username,
                                                    body.version if body else None)
    # AUDIT(lead): await services.audit.record(editor, "kb.restore", article.id)  -- roles branch's recorder
    return {"article": article.to_json()}


@router.get("/unanswered")
async def unanswered(agent: EditorAgent, services: ServicesDep,
                     limit: int = Query(default=100, ge=1, le=1000)) -> dict[str, Any]:
    """Recent customer questions the bot was not sure how to answer, newest first."""
    pairs = await services.core.conversations.unanswered(limit)
    return {"questions": [{"conversation_id": q.conversation_id, "text": q.text, "asked_at": q.created_at.isoformat(),
                           "language": q.data.get("language"), "best_score": bot.data.get("score"),
                           "best_guess": bot.data.get("best_guess")} for q, bot in pairs]}


@router.get("/feedback")
async def answer_feedback(agent: EditorAgent, services: ServicesDep,
                          scan: int = Query(default=5000, ge=1, le=100_000)) -> dict[str, Any]:
    """Per article, over the last `scan` bot replies: how often it was the answer, and its 👍/👎."""
    return {"articles": [stats.to_json() for stats in await services.core.conversations.answer_feedback(scan)]}


def _lines(value: Any) -> list[str]:
    if isinstance(value, tuple | list):
        return [str(v) for v in value]
    return str(getattr(value, "value", value)).splitlines()


from faqbot.api import kb_workbench  # noqa: E402 - its routes live under this router's prefix

router.include_router(kb_workbench.router)
