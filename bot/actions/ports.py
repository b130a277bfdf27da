"""What the custom actions need from the rest of the product, as small interfaces.

The actions never build these themselves: the web service passes them in (one knowledge
base in one process); a standalone action server builds them from the environment.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from handoff.models import Handoff, HandoffPriority, HandoffReason
from knowledge_base.article import Article
from knowledge_base.decision import Decision


class KnowledgeAnswers(Protocol):
    async def decide(self, question: str, language: str | None = None, k: int = 3,
                     exclude: Collection[str] = ()) -> Decision: ...

    def published_article(self, article_id: str) -> Article | None: ...


class HandoffRequests(Protocol):
    async def request(
        self,
        conversation_id: str,
        reason: HandoffReason,
        *,
        language: str | None = None,
        details: dict[str, Any] | None = None,
        priority: HandoffPriority = HandoffPriority.NORMAL,
    ) -> tuple[Handoff, bool]: ...


@dataclass(frozen=True)
class ActionServices:
    knowledge: KnowledgeAnswers
    handoffs: HandoffRequests
