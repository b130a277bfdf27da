"""The article: one answer, the question phrasings that lead to it, and its metadata."""

from __future__ import annotations

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
