"""Small builders for test data."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from knowledge_base.article import Article


def article(id: str, questions: list[str], *, language: str = "en", title: str | None = None,
            answer: str | None = None, category: str = "orders") -> Article:
    return Article(
        id=id, group=id.rsplit("-", 1)[0], language=language, title=title or questions[0],
        questions=tuple(questions), answer=answer or f"Answer of {id}.", category=category,
    )


SMALL_KB = [
    article("refund-timing-en", ["When will my refund arrive?", "How long does a refund take?",
                                 "When do I get my money back?"], category="refunds"),
    article("track-shipment-en", ["Where is my parcel?", "How do I track my package?",
                                  "Where can I find my tracking number?"], category="shipping"),
    article("reset-password-en", ["I forgot my password", "How do I reset my password?",
                                  "I can't log in to my account"], category="account"),
    article("refund-timing-zh", ["退款多久能到账？", "退款需要几天？", "退货以后什么时候能收到钱？"],
            language="zh", category="refunds"),
    article("track-shipment-zh", ["我的包裹到哪了？", "怎么查快递？", "运单号在哪里看？"],
            language="zh", category="shipping"),
]


def frustration(level: str, score: float = 0.5, *reasons: str) -> dict[str, Any]:
    """Message metadata as the web service sends it with a customer message."""
    return {"frustration": {"level": level, "score": score, "reasons": list(reasons)}}


def tracker(text: str, intent: str, *, slots: dict[str, Any] | None = None, sender: str = "conv-1",
            confidence: float = 0.9, entities: dict[str, str] | None = None,
            metadata: dict[str, Any] | None = None, earlier: list[dict[str, Any]] | None = None) -> Tracker:
    """A real rasa_sdk Tracker positioned right after the customer's latest message (`earlier`: events before)."""
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence},
              "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
              "metadata": metadata or {}}
    return Tracker(
        sender_id=sender,
        slots={"language": None, "handoff_offered": False, "feedback_pending": False, "frustration": "low",
               "current_article": None, "current_topic": None, "last_question": None, "shown_articles": None,
               "failed_turns": 0, "order_number": None, **(slots or {})},
        latest_message=latest,
        events=[*(earlier or []), {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


class CueOnlyScorer:
    """A stand-in text model for unit tests: calm unless a message is mostly angry words."""

    def score(self, texts):
        import numpy as np

        return np.array([0.9 if "furious" in t.lower() else 0.05 for t in texts])


def fake_detector():
    from frustration import FrustrationDetector

    return FrustrationDetector(CueOnlyScorer())
