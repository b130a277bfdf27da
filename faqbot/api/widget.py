"""What the widget shows before the customer writes: topics drawn from the knowledge base's categories."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from faqbot.api.contract import errors
from faqbot.api.deps import ServicesDep

router = APIRouter(prefix="/api/widget", tags=["customer"])

TOPIC_ARTICLES = 4  # questions offered under each topic


@lru_cache(maxsize=1)
def _to_traditional():  # a pure function of nothing: safe to share
    from opencc import OpenCC

    return OpenCC("s2t")


Locale = Literal["en", "zh-Hans", "zh-Hant"]


class TopicArticle(BaseModel):
    id: str
    title: str


class Topic(BaseModel):
    category: str
    articles: list[TopicArticle] = Field(max_length=TOPIC_ARTICLES)


class TopicsResponse(BaseModel):
    locale: Locale
    topics: list[Topic]


@router.get("/topics", response_model=TopicsResponse, responses=errors(422))
async def topics(services: ServicesDep,
                 locale: Locale = Query(default="en")) -> dict[str, Any]:
    """The published articles' categories in the customer's language (most articles first), each with a few
    article titles the customer can ask with one click. Titles are in traditional characters for zh-Hant."""
    language = "en" if locale == "en" else "zh"
    by_category: dict[str, list[dict[str, str]]] = {}
    for article in await services.core.knowledge.store.published():
        if article.language != language:
            continue
        title = _to_traditional().convert(article.title) if locale == "zh-Hant" else article.title
        by_category.setdefault(article.category, []).append({"id": article.id, "title": title})
    ordered = sorted(by_category.items(), key=lambda item: (-len(item[1]), item[0]))
    return {"locale": locale, "topics": [{"category": category, "articles": articles[:TOPIC_ARTICLES]}
                                         for category, articles in ordered]}
