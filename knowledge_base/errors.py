"""Errors of the knowledge-base package."""


class KnowledgeBaseError(Exception):
    """Base class of knowledge-base errors."""


class ArticleFormatError(KnowledgeBaseError):
    """An article file or record is malformed; the message names the file and the field."""


class ArticleNotFound(KnowledgeBaseError):
    def __init__(self, article_id: str, version: int | None = None) -> None:
        what = f"version {version} of article '{article_id}'" if version else f"article '{article_id}'"
        super().__init__(f"no {what}")


class ArticleConflict(KnowledgeBaseError):
    """A save based on a stale version, or a new article whose id is taken: never a silent overwrite."""
