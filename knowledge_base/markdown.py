"""Articles as Markdown files with YAML front matter (the format editors read and write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from knowledge_base.article import LANGUAGES, Article, ArticleStatus
from knowledge_base.errors import ArticleFormatError

REQUIRED = ("id", "language", "title", "questions", "category")
MIN_QUESTIONS = 1


def parse_article(text: str, source: str = "<string>") -> Article:
    """Parse one Markdown article; errors name the source and the field."""
    if not text.startswith("---"):
        raise ArticleFormatError(f"{source}: must start with a '---' front-matter block")
    try:
        _, front_text, body = text.split("---", 2)
        front: Any = yaml.safe_load(front_text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ArticleFormatError(f"{source}: unreadable front matter ({exc})") from exc
    if not isinstance(front, dict):
        raise ArticleFormatError(f"{source}: front matter must be a mapping")
    for key in REQUIRED:
        if not front.get(key):
            raise ArticleFormatError(f"{source}: field '{key}' is required")
    questions = front["questions"]
    if not isinstance(questions, list) or len(questions) < MIN_QUESTIONS or not all(
        isinstance(q, str) and q.strip() for q in questions
    ):
        raise ArticleFormatError(f"{source}: field 'questions' needs at least {MIN_QUESTIONS} non-empty strings")
    if front["language"] not in LANGUAGES:
        raise ArticleFormatError(f"{source}: field 'language' must be one of {', '.join(LANGUAGES)}")
    answer = body.strip()
    if not answer:
        raise ArticleFormatError(f"{source}: the answer (the text after the front matter) is empty")
    try:
        status = ArticleStatus(front.get("status", ArticleStatus.PUBLISHED.value))
    except ValueError as exc:
        raise ArticleFormatError(f"{source}: field 'status' is not one of draft/published/archived") from exc
    return Article(
        id=str(front["id"]),
        group=str(front.get("group") or front["id"]),
        language=front["language"],
        title=str(front["title"]).strip(),
        questions=tuple(q.strip() for q in questions),
        answer=answer,
        category=str(front["category"]),
        tags=tuple(str(t) for t in front.get("tags") or ()),
        status=status,
    )


def article_files(root: Path) -> list[Path]:
    """The article files below `root`: every `*.md` but READMEs, in a stable order."""
    return [path for path in sorted(root.rglob("*.md")) if path.name.lower() != "readme.md"]


def load_folder(root: Path) -> list[Article]:
    """Every article below `root`, sorted by id; the first malformed file or duplicate id is an error."""
    articles: dict[str, Article] = {}
    for path in article_files(root):
        article = parse_article(path.read_text(encoding="utf-8"), source=str(path))
        if article.id in articles:
            raise ArticleFormatError(f"{path}: duplicate article id '{article.id}'")
        articles[article.id] = article
    return sorted(articles.values(), key=lambda a: a.id)
