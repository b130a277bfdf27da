"""Turn retrieval scores into what the bot does: answer, or say it is not sure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from knowledge_base.retrieval import ArticleHit


class Outcome(StrEnum):
    ANSWER = "answer"
    UNSURE = "unsure"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    language: str
    hits: tuple[ArticleHit, ...]

    @property
    def best(self) -> ArticleHit | None:
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class AnswerPolicy:
    """Fused-score thresholds per query language (fused scores of the two languages differ in scale).

    Chosen on the shop's own paraphrases and off-topic questions: see docs/retrieval.md.
    """

    answer_en: float = 0.40
    answer_zh: float = 0.45

    def threshold(self, language: str) -> float:
        return self.answer_zh if language == "zh" else self.answer_en

    def decide(self, hits: list[ArticleHit], language: str) -> Decision:
        if hits and hits[0].score >= self.threshold(language):
            return Decision(Outcome.ANSWER, language, tuple(hits))
        return Decision(Outcome.UNSURE, language, tuple(hits))
