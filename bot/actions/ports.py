"""What the custom actions need from the rest of the product, as small interfaces.

The actions never build these themselves: the web service passes them in (one knowledge
base in one process); a standalone action server builds them from the environment. The actions change
nothing elsewhere: what they decide (a handoff, feedback on an answer) goes back in their reply as a typed
payload (`bot/turn.py`) that the web service acts on.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from knowledge_base.article import Article
from knowledge_base.decision import Decision


class KnowledgeAnswers(Protocol):
    async def decide(self, question: str, language: str | None = None, k: int = 3,
                     exclude: Collection[str] = ()) -> Decision: ...

    def published_article(self, article_id: str) -> Article | None: ...


@dataclass(frozen=True)
class ActionServices:
    knowledge: KnowledgeAnswers
