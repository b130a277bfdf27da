"""Articles in the database (the seed files are imported at start; the database is what is served)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge_base.article import Article, ArticleStatus

metadata = MetaData()

articles_table = Table(
    "kb_articles",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("group_id", String(128), nullable=False, index=True),
    Column("language", String(8), nullable=False),
    Column("title", Text, nullable=False),
    Column("questions", JSON, nullable=False),
    Column("answer", Text, nullable=False),
    Column("category", String(64), nullable=False),
    Column("tags", JSON, nullable=False, default=list),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class ArticleStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def import_articles(self, articles: Sequence[Article]) -> int:
        """Insert new articles and update changed ones (bumping their version); returns how many changed."""
        changed = 0
        async with self._engine.begin() as conn:
            existing = {
                row.id: row
                for row in (await conn.execute(select(articles_table.c.id, articles_table.c.content_hash,
                                                      articles_table.c.version))).all()
            }
            now = dt.datetime.now(dt.UTC)
            for article in articles:
                digest = article.content_hash()
                old = existing.get(article.id)
                if old is not None and old.content_hash == digest:
                    continue
                values = _row(article, digest, now, version=(old.version + 1) if old else 1)
                if old is None:
                    await conn.execute(articles_table.insert().values(**values))
                else:
                    await conn.execute(
                        articles_table.update().where(articles_table.c.id == article.id).values(**values)
                    )
                changed += 1
        return changed

    async def published(self) -> list[Article]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(articles_table)
                    .where(articles_table.c.status == ArticleStatus.PUBLISHED.value)
                    .order_by(articles_table.c.id)
                )
            ).all()
        return [_article(r) for r in rows]


def _row(article: Article, digest: str, now: dt.datetime, version: int) -> dict:
    return {
        "id": article.id,
        "group_id": article.group,
        "language": article.language,
        "title": article.title,
        "questions": list(article.questions),
        "answer": article.answer,
        "category": article.category,
        "tags": list(article.tags),
        "status": article.status.value,
        "version": version,
        "content_hash": digest,
        "updated_at": now,
    }


def _article(row) -> Article:
    return Article(
        id=row.id,
        group=row.group_id,
        language=row.language,
        title=row.title,
        questions=tuple(row.questions),
        answer=row.answer,
        category=row.category,
        tags=tuple(row.tags or ()),
        status=ArticleStatus(row.status),
        version=row.version,
    )
