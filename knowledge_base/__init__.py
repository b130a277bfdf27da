"""The shop's knowledge base: articles, their storage, and hybrid retrieval with an answer decision."""

from knowledge_base.article import Article, ArticleStatus
from knowledge_base.decision import AnswerPolicy, Decision, Outcome
from knowledge_base.errors import ArticleFormatError, KnowledgeBaseError
from knowledge_base.retrieval import ArticleHit, HybridRetriever

__all__ = [
    "AnswerPolicy",
    "Article",
    "ArticleFormatError",
    "ArticleHit",
    "ArticleStatus",
    "Decision",
    "HybridRetriever",
    "KnowledgeBaseError",
    "Outcome",
]
