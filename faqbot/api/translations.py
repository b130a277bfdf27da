"""For editors: the topics with no article in a language, and how often customers asked about them in it.

Such a question is answered with the article in the other language, saying so (docs/retrieval.md,
"Across languages"); every such answer is counted here.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from faqbot.api.deps import EditorAgent, ServicesDep
from faqbot.api.contract import STAFF_ROLE, errors

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])


class MissingTranslation(BaseModel):
    article_id: str
    group: str
    title: str
    language: str = Field(description="the language the article is written in")
    missing: list[str] = Field(description="languages with no published article of this topic")
    asked: dict[str, int] = Field(description="per missing language: questions answered with this article "
                                              "across languages, in the last `scan` bot replies")
    asked_total: int


class MissingTranslations(BaseModel):
    articles: list[MissingTranslation] = Field(description="most asked first")


@router.get("/missing-translations", response_model=MissingTranslations, responses=errors(STAFF_ROLE, 422))
async def missing_translations(editor: EditorAgent, services: ServicesDep,
                               scan: int = Query(default=5000, ge=1, le=100_000)) -> MissingTranslations:
    """Published articles whose topic has no version in a language, with how often customers writing in that
    language were answered with them (most asked first): what to translate next."""
    counts = await services.core.conversations.answered_across_languages(scan)
    rows = []
    for article, missing in services.core.knowledge.untranslated():
        asked = {language: counts.get((article.id, language), 0) for language in missing}
        rows.append(MissingTranslation(article_id=article.id, group=article.group, title=article.title,
                                       language=article.language, missing=list(missing), asked=asked,
                                       asked_total=sum(asked.values())))
    rows.sort(key=lambda r: (-r.asked_total, r.article_id))
    return MissingTranslations(articles=rows)
