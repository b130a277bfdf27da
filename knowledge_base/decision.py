"""Turn retrieval into what the bot does: answer, ask which of a few articles was meant, or say it is not sure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from knowledge_base.calibration import Calibrator
from knowledge_base.retrieval import ArticleHit


class Outcome(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    UNSURE = "unsure"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    language: str
    hits: tuple[ArticleHit, ...]
    confidence: float | None = None  # calibrated P(the best article is right), when calibrated
    # the answer is an article in another language than the question's (its topic has no translation)
    across_languages: bool = False

    @property
    def best(self) -> ArticleHit | None:
        return self.hits[0] if self.hits else None

    def choices(self, limit: int = 3) -> tuple[ArticleHit, ...]:
        return self.hits[:limit]


@dataclass(frozen=True)
class AnswerPolicy:
    """With a calibrator: answer, offer choices or say "not sure" by calibrated confidence, at the operating
    points the calibrator chose for this knowledge base and language.

    Without one (a language with too little data to calibrate): the fused-score thresholds per language.
    """

    answer_en: float = 0.40
    answer_zh: float = 0.45
    calibrator: Calibrator | None = None

    def threshold(self, language: str) -> float:
        return self.answer_zh if language == "zh" else self.answer_en

    def decide(self, hits: list[ArticleHit], language: str) -> Decision:
        confidence = self.calibrator.probability(hits, language) if self.calibrator and hits else None
        if confidence is None:
            answer = bool(hits) and hits[0].score >= self.threshold(language)
            return Decision(Outcome.ANSWER if answer else Outcome.UNSURE, language, tuple(hits))
        if confidence >= self.calibrator.answer_at[language]:
            outcome = Outcome.ANSWER
        elif confidence >= self.calibrator.clarify_at[language] and len(hits) >= 2:
            outcome = Outcome.CLARIFY
        else:
            outcome = Outcome.UNSURE
        return Decision(outcome, language, tuple(hits), round(confidence, 4))

    def across(self, decision: Decision, untranslated: list[ArticleHit]) -> Decision:
        """When nothing in the question's language answers: the best article that exists only in another
        language, if it is close enough in meaning (the calibrator's `across_at`)."""
        if decision.outcome is not Outcome.UNSURE or not untranslated or self.calibrator is None:
            return decision
        threshold = self.calibrator.across_at.get(decision.language)
        if threshold is None or untranslated[0].score < threshold:
            return decision
        return Decision(Outcome.ANSWER, decision.language, (untranslated[0],), across_languages=True)
