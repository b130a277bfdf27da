"""Errors of the knowledge-base package."""


class KnowledgeBaseError(Exception):
    """Base class of knowledge-base errors."""


class ArticleFormatError(KnowledgeBaseError):
    """An article file or record is malformed; the message names the file and the field."""
