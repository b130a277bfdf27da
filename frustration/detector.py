"""How frustrated is the customer, and why: a score per customer turn, with reason codes.

The score combines what the message says (a text model over the message and the explainable
cues in `lexicon`) with what happened in the conversation (the same question again, the bot
failing turn after turn, a 👎 on an answer). Each context signal adds to the score as an
independent piece of evidence (noisy-OR), so every reason can be read off the transcript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from frustration.lexicon import Reason, cue_reasons, is_rejection, is_shouting
from knowledge_base.language import detect_language, normalize


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class TextScorer(Protocol):
    """P(frustrated) per text, from the words alone; 0.5 is its operating point."""

    def score(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Thresholds:
    medium: float = 0.5  # apologise and offer a person; also the detector's yes/no threshold
    high: float = 0.9  # hand off at once, with high priority

    def __post_init__(self) -> None:
        if not 0.0 < self.medium < self.high <= 1.0:
            raise ValueError(f"frustration thresholds must satisfy 0 < medium < high <= 1 "
                             f"(got medium={self.medium}, high={self.high})")

    def level(self, score: float) -> Level:
        if score >= self.high:
            return Level.HIGH
        return Level.MEDIUM if score >= self.medium else Level.LOW


# How much each reason adds, as independent evidence. English messages are read by the fine-tuned MiniLM,
# Chinese ones (simplified or traditional) by the Chinese character model (`zh_model`); the word cues add
# to either. Without a Chinese model (tests, a custom set-up) Chinese starts from CHINESE_TEXT_PRIOR and the
# cues carry the score, hence their higher weights.
CUE_WEIGHTS: dict[str, dict[str, float]] = {
    "en": {Reason.ANGRY_LANGUAGE: 0.2, Reason.ABUSIVE_LANGUAGE: 0.3, Reason.EXPLICIT_COMPLAINT: 0.45,
           Reason.DEMANDS_PERSON: 0.2, Reason.SHOUTING: 0.25},
    "zh": {Reason.ANGRY_LANGUAGE: 0.6, Reason.ABUSIVE_LANGUAGE: 0.7, Reason.EXPLICIT_COMPLAINT: 0.6,
           Reason.DEMANDS_PERSON: 0.2, Reason.SHOUTING: 0.3},
    # Chinese read by the Chinese text model: the cues confirm it rather than carry it
    "zh_model": {Reason.ANGRY_LANGUAGE: 0.4, Reason.ABUSIVE_LANGUAGE: 0.5, Reason.EXPLICIT_COMPLAINT: 0.5,
                 Reason.DEMANDS_PERSON: 0.2, Reason.SHOUTING: 0.3},
}
CHINESE_TEXT_PRIOR = 0.05  # the text score of a Chinese message before any cue
# The Chinese model learned negative from positive (reviews), not how strongly: its P(frustrated) of a mild
# "退款还没到账，太慢了" is as sure as of an outburst. Its tone alone asks for an apology and an offer of a
# person (medium), never for an immediate handoff: that takes the cues or the conversation as well.
CHINESE_TEXT_CAP = 0.8
# A bare "no" or "that's not what I asked" is a verdict on the answer (negative feedback), which the
# text model, trained on Reddit comments, reads as disapproval; its tone counts for at most this much.
VERDICT_TEXT_CAP = 0.15
SHORT_MESSAGE_WORDS = 3
SHORT_MESSAGE_CHINESE_CHARACTERS = 4  # "好的", "不对", "知道了": too short for the tone to mean much
_CHINESE_CHARACTER = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CONTEXT_WEIGHTS: dict[str, float] = {
    Reason.REPEATED_QUESTION: 0.35,
    Reason.NEGATIVE_FEEDBACK: 0.3,
}
FAILURE_WEIGHT = 0.2  # per consecutive failed bot turn
MAX_FAILURE_WEIGHT = 0.5


@dataclass(frozen=True)
class ConversationSoFar:
    """What the detector needs to know about the turns before this message."""

    earlier_questions: tuple[str, ...] = ()  # the customer's earlier typed messages, oldest first
    bot_failures_in_a_row: int = 0  # the bot's latest turns that were "not sure" or rejected
    rejected_an_answer: bool = False  # this message (or the one before) rejected an answer / pressed 👎


@dataclass(frozen=True)
class Assessment:
    score: float
    level: Level
    reasons: tuple[str, ...] = field(default_factory=tuple)
    text_score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"score": round(self.score, 3), "level": self.level.value, "reasons": list(self.reasons),
                "text_score": round(self.text_score, 3)}


_NON_WORD = re.compile(r"[\W_]+")


def _same_question(a: str, b: str) -> bool:
    """The same question asked again: equal after normalising, or nearly the same characters."""
    x, y = _NON_WORD.sub(" ", normalize(a).lower()).strip(), _NON_WORD.sub(" ", normalize(b).lower()).strip()
    if not x or not y:
        return False
    if x == y:
        return True
    grams = lambda s: {s[i:i + 2] for i in range(len(s) - 1)}  # noqa: E731
    gx, gy = grams(x.replace(" ", "")), grams(y.replace(" ", ""))
    return len(gx) >= 4 and len(gx & gy) / len(gx | gy) >= 0.7


def _is_short(text: str, language: str) -> bool:
    if language == "zh":
        return len(_CHINESE_CHARACTER.findall(text)) <= SHORT_MESSAGE_CHINESE_CHARACTERS
    return len(text.split()) <= SHORT_MESSAGE_WORDS


class FrustrationDetector:
    def __init__(self, text_scorer: TextScorer, thresholds: Thresholds | None = None,
                 chinese_scorer: TextScorer | None = None) -> None:
        self._text = text_scorer
        self._chinese = chinese_scorer
        self.thresholds = thresholds or Thresholds()

    @property
    def reads_chinese(self) -> bool:
        """Whether Chinese messages are scored by a text model (or by the word cues alone)."""
        return self._chinese is not None

    def _text_part(self, texts: Sequence[str]) -> list[tuple[float, list[str], str]]:
        """Per text: the text score, the reasons read from the words, the language."""
        languages = [detect_language(t) for t in texts]
        english = [i for i, language in enumerate(languages) if language != "zh" and texts[i].strip()]
        chinese = [i for i, language in enumerate(languages) if language == "zh"]
        scores = np.full(len(texts), CHINESE_TEXT_PRIOR)
        if english:
            scores[english] = self._text.score([texts[i] for i in english])
        if chinese and self._chinese is not None:
            scores[chinese] = np.minimum(self._chinese.score([texts[i] for i in chinese]), CHINESE_TEXT_CAP)
        out = []
        for text, score, language in zip(texts, scores, languages, strict=True):
            reasons = self._text_reasons(text)
            short = _is_short(text, language) and not reasons
            if is_rejection(text, normalize(text)) or short:
                score = min(float(score), VERDICT_TEXT_CAP)
            out.append((float(score), reasons, language))
        return out

    def text_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Scores of single messages without any conversation (what `faqbot eval frustration` measures)."""
        return np.array([self._combine(score, reasons, language)[0]
                         for score, reasons, language in self._text_part(list(texts))])

    def assess(self, text: str, so_far: ConversationSoFar | None = None) -> Assessment:
        so_far = so_far or ConversationSoFar()
        [(text_score, reasons, language)] = self._text_part([text])
        if any(_same_question(text, earlier) for earlier in so_far.earlier_questions):
            reasons.append(Reason.REPEATED_QUESTION)
        if so_far.bot_failures_in_a_row > 0:
            reasons.append(Reason.CONSECUTIVE_BOT_FAILURES)
        if so_far.rejected_an_answer or is_rejection(text, normalize(text)):
            reasons.append(Reason.NEGATIVE_FEEDBACK)
        score, reasons = self._combine(text_score, reasons, language, so_far.bot_failures_in_a_row)
        return Assessment(score, self.thresholds.level(score), tuple(reasons), text_score)

    @staticmethod
    def _text_reasons(text: str) -> list[str]:
        reasons = cue_reasons(text, normalize(text))
        if is_shouting(text):
            reasons.append(Reason.SHOUTING)
        return reasons

    def _combine(self, text_score: float, reasons: list[str], language: str,
                 failures: int = 0) -> tuple[float, list[str]]:
        calm = 1.0 - text_score
        weights = CUE_WEIGHTS["en" if language != "zh" else "zh" if self._chinese is None else "zh_model"]
        for reason in reasons:
            calm *= 1.0 - weights.get(reason, CONTEXT_WEIGHTS.get(reason, 0.0))
        calm *= 1.0 - min(MAX_FAILURE_WEIGHT, FAILURE_WEIGHT * failures)
        if text_score >= self.thresholds.medium:
            reasons = [Reason.NEGATIVE_TONE, *reasons]
        return 1.0 - calm, reasons


class BatchingScorer:
    """A TextScorer whose calls from concurrent requests share forward passes (embeddings.MicroBatcher)."""

    def __init__(self, scorer: TextScorer, executor: Executor | None = None) -> None:
        from embeddings.batching import MicroBatcher

        self._batcher = MicroBatcher(scorer.score, executor=executor)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return self._batcher(texts) if len(texts) else np.zeros(0, dtype=np.float32)


def load_detector(model_dir: Path, base_model: str, thresholds: Thresholds | None = None,
                  executor: Executor | None = None, onnx_cache: Path | None = None, int8: bool = False,
                  threads: int = 1, zh_model_dir: Path | None = None) -> FrustrationDetector:
    """The detector with the shipped (or configured) fine-tuned text model, its forward passes batched
    across concurrent requests (on `executor`, the process's model thread, when given) and run on ONNX
    Runtime when `onnx_cache` names a folder for the exported model; Chinese is read by the character
    model in `zh_model_dir` (no transformer: it runs inline, in well under a millisecond)."""
    from frustration.text_model import FineTunedScorer
    from frustration.zh_model import ChineseTextScorer

    scorer = FineTunedScorer(model_dir, base_model, onnx_cache=onnx_cache, int8=int8, threads=threads)
    chinese = ChineseTextScorer.load(zh_model_dir) if zh_model_dir is not None else None
    return FrustrationDetector(BatchingScorer(scorer, executor), thresholds, chinese)
