"""Articles in the database, with every saved version kept.

Writes use optimistic concurrency: an update names the version it was based on and is refused
(ArticleConflict) if the article has moved on since, so no editor silently overwrites another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from knowledge_base.article import Article, ArticleStatus
from knowledge_base.errors import ArticleConflict, ArticleNotFound
from storage import UTCDateTime, utcnow

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
    Column("status", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("author", String(64)),
    Column("updated_at", UTCDateTime(), nullable=False),
)

versions_table = Table(
    "kb_article_versions",
    metadata,
    Column("article_id", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("author", String(64)),
    Column("saved_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("article_id", "version"),
)

CONTENT_FIELDS = ("group", "language", "title", "questions", "answer", "category", "tags", "status")


class ArticleStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # -- reading -----------------------------------------------------------------------------

    async def get(self, article_id: str) -> Article:
        async with self._engine.connect() as conn:
            return await _get(conn, article_id)

    async def published(self) -> list[Article]:
        return await self.search(status=ArticleStatus.PUBLISHED)

    async def search(self, *, status: ArticleStatus | None = None, language: str | None = None,
                     category: str | None = None, text: str | None = None, limit: int = 500) -> list[Article]:
        query = select(articles_table).order_by(articles_table.c.id).limit(limit)
        if status is not None:
            query = query.where(articles_table.c.status == status.value)
        if language:
            query = query.where(articles_table.c.language == language)
        if category:
            query = query.where(articles_table.c.category == category)
        if text:
            pattern = f"%{text.lower()}%"
            query = query.where(or_(*(articles_table.c[c].cast(Text).ilike(pattern)
                                      for c in ("id", "title", "questions", "answer", "tags"))))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_article(r) for r in rows]

    async def fingerprint(self) -> tuple:
        """Changes whenever any article is created or saved (cheap enough to poll)."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(func.count(), func.max(articles_table.c.updated_at),
                                             func.sum(articles_table.c.version)))).one()
        return tuple(row)

    async def versions(self, article_id: str) -> list[Article]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(versions_table).where(versions_table.c.article_id == article_id)
                .order_by(versions_table.c.version))).all()
        if not rows:
            raise ArticleNotFound(article_id)
        return [_from_snapshot(r) for r in rows]

    async def version(self, article_id: str, version: int) -> Article:
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                select(versions_table).where(versions_table.c.article_id == article_id)
                .where(versions_table.c.version == version))).first()
        if row is None:
            raise ArticleNotFound(article_id, version)
        return _from_snapshot(row)

    # -- writing -----------------------------------------------------------------------------

    async def create(self, article: Article, author: str | None) -> Article:
        async with self._engine.begin() as conn:
            exists = (await conn.execute(select(articles_table.c.id).where(articles_table.c.id == article.id))).first()
            if exists:
                raise ArticleConflict(f"an article with id '{article.id}' already exists")
            return await _write(conn, replace(article, version=1), author, insert=True)

    async def update(self, article: Article, expected_version: int, author: str | None) -> Article:
        """Save new content for an existing article, if it is still at `expected_version`."""
        async with self._engine.begin() as conn:
            current = await _get(conn, article.id)
            _check_version(current, expected_version)
            return await _write(conn, replace(article, version=current.version + 1), author,
                                expected_version=current.version)

    async def set_status(self, article_id: str, status: ArticleStatus, author: str | None,
                         expected_version: int | None = None) -> Article:
        async with self._engine.begin() as conn:
            current = await _get(conn, article_id)
            if expected_version is not None:
                _check_version(current, expected_version)
            if current.status is status:
                return current
            return await _write(conn, replace(current, status=status, version=current.version + 1), author,
                                expected_version=current.version)

    async def restore(self, article_id: str, version: int, author: str | None,
                      expected_version: int | None = None) -> Article:
        """Make an old version's content current again, as a new version (the status stays as it is now)."""
        old = await self.version(article_id, version)
        async with self._engine.begin() as conn:
            current = await _get(conn, article_id)
            if expected_version is not None:
                _check_version(current, expected_version)
            return await _write(conn, replace(old, version=current.version + 1, status=current.status), author,
                                expected_version=current.version)

    async def import_articles(self, articles: Sequence[Article], author: str | None = "import") -> int:
        """Insert new articles and update changed ones (a new version each); returns how many changed.

        Importing the same content again changes nothing.
        """
        changed = 0
        async with self._engine.begin() as conn:
            existing = {row.id: row for row in (await conn.execute(
                select(articles_table.c.id, articles_table.c.content_hash, articles_table.c.version))).all()}
            for article in articles:
                old = existing.get(article.id)
                if old is not None and old.content_hash == article.content_hash():
                    continue
                version = old.version + 1 if old else 1
                await _write(conn, replace(article, version=version), author, insert=old is None,
                             expected_version=old.version if old else None)
                changed += 1
        return changed


def _check_version(current: Article, expected: int) -> None:
    if current.version != expected:
        raise ArticleConflict(
            f"article '{current.id}' is at version {current.version}, not {expected}: "
            "reload it and apply your change again"
        )


async def _get(conn: AsyncConnection, article_id: str) -> Article:
    row = (await conn.execute(select(articles_table).where(articles_table.c.id == article_id))).first()
    if row is None:
        raise ArticleNotFound(article_id)
    return _article(row)


async def _write(conn: AsyncConnection, article: Article, author: str | None, *, insert: bool = False,
                 expected_version: int | None = None) -> Article:
    now = utcnow()
    values = _row(article, author, now)
    if insert:
        await conn.execute(articles_table.insert().values(**values))
    else:
        result = await conn.execute(
            articles_table.update().where(articles_table.c.id == article.id)
            .where(articles_table.c.version == expected_version).values(**values))
        if result.rowcount != 1:
            raise ArticleConflict(f"article '{article.id}' changed while saving: reload it and try again")
    await conn.execute(versions_table.insert().values(
        article_id=article.id, version=article.version, snapshot=_snapshot(article), author=author, saved_at=now))
    return replace(article, author=author, updated_at=now)


def _row(article: Article, author: str | None, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": article.id, "group_id": article.group, "language": article.language, "title": article.title,
        "questions": list(article.questions), "answer": article.answer, "category": article.category,
        "tags": list(article.tags), "status": article.status.value, "version": article.version,
        "content_hash": article.content_hash(), "author": author, "updated_at": now,
    }


def _snapshot(article: Article) -> dict[str, Any]:
    data = article.to_json()
    return {k: data[k] for k in ("id", *CONTENT_FIELDS)}


def _article(row) -> Article:
    return Article(
        id=row.id, group=row.group_id, language=row.language, title=row.title, questions=tuple(row.questions),
        answer=row.answer, category=row.category, tags=tuple(row.tags or ()), status=ArticleStatus(row.status),
        version=row.version, author=row.author, updated_at=row.updated_at,
    )


def _from_snapshot(row) -> Article:
    s = row.snapshot
    return Article(
        id=s["id"], group=s["group"], language=s["language"], title=s["title"], questions=tuple(s["questions"]),
        answer=s["answer"], category=s["category"], tags=tuple(s.get("tags") or ()),
        status=ArticleStatus(s["status"]), version=row.version, author=row.author, updated_at=row.saved_at,
    )
