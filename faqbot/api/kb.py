"""The editors' API: articles with drafts, publishing, history and restore; questions the bot could not answer.

Agents may read; editors and admins may write. Saves name the version they were based on and get 409
if the article has moved on since.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field, field_validator

from faqbot.agents import Agent
from faqbot.api.deps import CurrentAgent, EditorAgent, ServicesDep
from faqbot.api.models import MAX_SQL_INT, RequestModel
from faqbot.errors import AccessDenied
from knowledge_base.article import LANGUAGES, Article, ArticleStatus

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

SLUG = r"^[a-z0-9][a-z0-9._-]{0,127}$"
VersionPath = Annotated[int, Path(ge=1, le=MAX_SQL_INT, description="an article version")]


CurrentEditor = EditorAgent


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


class NewArticle(ArticleContent):
    id: str = Field(pattern=SLUG, description="stable slug, e.g. 'refund-timing-en'")
    status: ArticleStatus = ArticleStatus.DRAFT


class ArticleUpdate(ArticleContent):
    version: int = Field(ge=1, le=MAX_SQL_INT, description="the version this edit is based on")


class VersionedAction(RequestModel):
    version: int | None = Field(default=None, ge=1, le=MAX_SQL_INT,
                                description="the version this is based on (optional)")


@router.get("/articles")
async def list_articles(
    agent: CurrentAgent, services: ServicesDep,
    status: ArticleStatus | None = None, language: str | None = None, category: str | None = None,
    q: str | None = Query(default=None, max_length=200, description="text to look for"),
) -> dict[str, Any]:
    articles = await services.core.knowledge.store.search(status=status, language=language, category=category,
                                                          text=q)
    return {"articles": [a.to_json() for a in articles]}


@router.post("/articles", status_code=201)
async def create_article(body: NewArticle, editor: CurrentEditor, services: ServicesDep) -> dict[str, Any]:
    article = await services.core.knowledge.create(body.to_article(body.id, body.status), editor.username)
    return {"article": article.to_json()}


@router.get("/articles/{article_id}")
async def get_article(article_id: str, agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    return {"article": (await services.core.knowledge.store.get(article_id)).to_json()}


@router.put("/articles/{article_id}")
async def update_article(article_id: str, body: ArticleUpdate, editor: CurrentEditor,
                         services: ServicesDep) -> dict[str, Any]:
    current = await services.core.knowledge.store.get(article_id)
    article = await services.core.knowledge.update(body.to_article(article_id, current.status), body.version,
                                                   editor.username)
    return {"article": article.to_json()}


async def _set_status(article_id: str, status: ArticleStatus, body: VersionedAction | None, editor: Agent,
                      services) -> dict[str, Any]:
    article = await services.core.knowledge.set_status(article_id, status, editor.username,
                                                       body.version if body else None)
    return {"article": article.to_json()}


@router.post("/articles/{article_id}/publish")
async def publish(article_id: str, editor: CurrentEditor, services: ServicesDep,
                  body: VersionedAction | None = None) -> dict[str, Any]:
    """Live for the bot when this returns."""
    return await _set_status(article_id, ArticleStatus.PUBLISHED, body, editor, services)


@router.post("/articles/{article_id}/unpublish")
async def unpublish(article_id: str, editor: CurrentEditor, services: ServicesDep,
                    body: VersionedAction | None = None) -> dict[str, Any]:
    return await _set_status(article_id, ArticleStatus.DRAFT, body, editor, services)


@router.post("/articles/{article_id}/archive")
async def archive(article_id: str, editor: CurrentEditor, services: ServicesDep,
                  body: VersionedAction | None = None) -> dict[str, Any]:
    return await _set_status(article_id, ArticleStatus.ARCHIVED, body, editor, services)


@router.get("/articles/{article_id}/versions")
async def versions(article_id: str, agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    history = await services.core.knowledge.store.versions(article_id)
    return {"versions": [{"version": a.version, "author": a.author, "saved_at": a.updated_at.isoformat(),
                          "status": a.status.value, "title": a.title} for a in history]}


@router.get("/articles/{article_id}/versions/{version}")
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


@router.post("/articles/{article_id}/versions/{version}/restore")
async def restore(article_id: str, version: VersionPath, editor: CurrentEditor, services: ServicesDep,
                  body: VersionedAction | None = None) -> dict[str, Any]:
    article = await services.core.knowledge.restore(article_id, version, editor.username,
                                                    body.version if body else None)
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
