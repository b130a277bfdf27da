"""The article: one answer, the question phrasings that lead to it, and its metadata."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum

LANGUAGES = ("en", "zh")


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class Article:
    id: str
    group: str
    language: str
    title: str
    questions: tuple[str, ...]
    answer: str
    category: str
    tags: tuple[str, ...] = field(default=())
    status: ArticleStatus = ArticleStatus.PUBLISHED
    version: int = 1
    author: str | None = field(default=None, compare=False)
    updated_at: dt.datetime | None = field(default=None, compare=False)

    def to_json(self) -> dict:
        return {
            "id": self.id, "group": self.group, "language": self.language, "title": self.title,
            "questions": list(self.questions), "answer": self.answer, "category": self.category,
            "tags": list(self.tags), "status": self.status.value, "version": self.version, "author": self.author,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }

    def content_hash(self) -> str:
        """Hash of everything retrieval and answering depend on (not of the version counter)."""
        payload = json.dumps(
            [self.id, self.group, self.language, self.title, list(self.questions), self.answer,
             self.category, list(self.tags), self.status.value],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def phrasings(self) -> tuple[str, ...]:
        """What retrieval matches against: the title and every question phrasing, without duplicates."""
        return tuple(dict.fromkeys((self.title, *self.questions)))
