"""Import and export articles: a folder of Markdown files with front matter, CSV, or JSON Lines.

Reading never stops at the first bad record: each problem is reported with its file and line, and the
caller decides whether the good records go in (the default) or nothing does (strict).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.article import LANGUAGES, Article, ArticleStatus
from knowledge_base.errors import ArticleFormatError
from knowledge_base.markdown import article_files, parse_article

FORMATS = ("markdown", "csv", "jsonl")
CSV_COLUMNS = ("id", "group", "language", "title", "questions", "answer", "category", "tags", "status")
LIST_SEPARATOR = "|"  # between question phrasings (and tags) in one CSV cell


@dataclass(frozen=True)
class RecordError:
    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass
class ReadResult:
    articles: list[Article] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)


def detect_format(path: Path) -> str:
    if path.is_dir():
        return "markdown"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ArticleFormatError(f"{path}: cannot tell the format; pass --format ({', '.join(FORMATS)})")


def read_articles(path: Path, fmt: str | None = None) -> ReadResult:
    fmt = fmt or detect_format(path)
    if fmt == "markdown":
        return _read_markdown(path)
    if fmt == "csv":
        return _read_csv(path)
    if fmt == "jsonl":
        return _read_jsonl(path)
    raise ArticleFormatError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")


def article_from_record(record: dict[str, Any], source: str) -> Article:
    """Validate one record (a CSV row or a JSON object); errors name the field."""
    def text(name: str, required: bool = True) -> str:
        value = record.get(name)
        value = "" if value is None else str(value).strip()
        if required and not value:
            raise ArticleFormatError(f"{source}: field '{name}' is required")
        return value

    def items(name: str) -> list[str]:
        value = record.get(name) or []
        if isinstance(value, str):
            value = value.split(LIST_SEPARATOR) if LIST_SEPARATOR in value else value.splitlines()
        if not isinstance(value, list):
            raise ArticleFormatError(f"{source}: field '{name}' must be a list")
        return [str(v).strip() for v in value if str(v).strip()]

    article_id, language = text("id"), text("language")
    if language not in LANGUAGES:
        raise ArticleFormatError(f"{source}: field 'language' must be one of {', '.join(LANGUAGES)}")
    questions = items("questions")
    if not questions:
        raise ArticleFormatError(f"{source}: field 'questions' needs at least one phrasing")
    try:
        status = ArticleStatus(text("status", required=False) or ArticleStatus.PUBLISHED.value)
    except ValueError as exc:
        raise ArticleFormatError(f"{source}: field 'status' is not one of draft/published/archived") from exc
    return Article(id=article_id, group=text("group", required=False) or article_id, language=language,
                   title=text("title"), questions=tuple(dict.fromkeys(questions)), answer=text("answer"),
                   category=text("category"), tags=tuple(items("tags")), status=status)


def _read_markdown(root: Path) -> ReadResult:
    result = ReadResult()
    for path in article_files(root):
        try:
            result.articles.append(parse_article(path.read_text(encoding="utf-8"), source=str(path)))
        except (ArticleFormatError, UnicodeDecodeError) as exc:
            result.errors.append(RecordError(str(path), 1, _without_source(str(exc), str(path))))
    return result


def _read_csv(path: Path) -> ReadResult:
    result = ReadResult()
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = {"id", "language", "title", "questions", "answer", "category"} - set(reader.fieldnames or ())
        if missing:
            raise ArticleFormatError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        line = reader.line_num
        for record in reader:
            try:
                result.articles.append(article_from_record(record, f"{path}:{line + 1}"))
            except ArticleFormatError as exc:
                result.errors.append(RecordError(str(path), line + 1, _without_source(str(exc), f"{path}:{line + 1}")))
            line = reader.line_num
    return result


def _read_jsonl(path: Path) -> ReadResult:
    result = ReadResult()
    with path.open(encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            source = f"{path}:{number}"
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ArticleFormatError(f"{source}: each line must be a JSON object")
                result.articles.append(article_from_record(record, source))
            except json.JSONDecodeError as exc:
                result.errors.append(RecordError(str(path), number, f"not valid JSON ({exc.msg})"))
            except ArticleFormatError as exc:
                result.errors.append(RecordError(str(path), number, _without_source(str(exc), source)))
    return result


def _without_source(message: str, source: str) -> str:
    return message.removeprefix(f"{source}: ")


def duplicate_ids(articles: Sequence[Article]) -> list[str]:
    seen: set[str] = set()
    return sorted({a.id for a in articles if a.id in seen or seen.add(a.id)})


# -- export ------------------------------------------------------------------------------------

def write_articles(articles: Iterable[Article], path: Path, fmt: str) -> int:
    articles = list(articles)
    if fmt == "markdown":
        for article in articles:
            target = path / article.language / f"{article.id.removesuffix('-' + article.language)}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(to_markdown(article), encoding="utf-8")
    elif fmt == "csv":
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for article in articles:
                writer.writerow({**_record(article), "questions": LIST_SEPARATOR.join(article.questions),
                                 "tags": LIST_SEPARATOR.join(article.tags)})
    elif fmt == "jsonl":
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fh:
            for article in articles:
                fh.write(json.dumps(_record(article), ensure_ascii=False) + "\n")
    else:
        raise ArticleFormatError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
    return len(articles)


def to_markdown(article: Article) -> str:
    front = {"id": article.id, "group": article.group, "language": article.language, "category": article.category,
             "title": article.title, "questions": list(article.questions)}
    if article.tags:
        front["tags"] = list(article.tags)
    if article.status is not ArticleStatus.PUBLISHED:
        front["status"] = article.status.value
    buffer = io.StringIO()
    yaml.safe_dump(front, buffer, allow_unicode=True, sort_keys=False)
    return f"---\n{buffer.getvalue()}---\n{article.answer}\n"


def _record(article: Article) -> dict[str, Any]:
    return {"id": article.id, "group": article.group, "language": article.language, "title": article.title,
            "questions": list(article.questions), "answer": article.answer, "category": article.category,
            "tags": list(article.tags), "status": article.status.value}
