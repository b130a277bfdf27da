"""What one bot turn decided, as typed payloads shared by both sides of the turn.

The Rasa side writes them: faqbot's Rasa input channel (`bot/rasa_channel.py`) reports what NLU read
from the customer's message, and the custom actions (`bot/actions`) put what they decided — a handoff
with its reason, priority and the slots worth remembering, feedback on an answer — into their reply
under `TURN_KEY`. The web service (`faqbot/chat.py`) reads them and acts on them once.

Standard library only, and Python 3.10-compatible: the Rasa server's environment imports this module
too, so neither rasa nor rasa_sdk nor anything of the web service is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TURN_KEY = "turn"  # where an action's decision travels in its reply's custom payload

# The message metadata the web service sends with each customer message.
META_LANGUAGE = "language"
META_FRUSTRATION = "frustration"
META_BUTTON = "button"  # the text is the payload of a button the bot sent ("/affirm"), not typed text
LANGUAGES = ("en", "zh")
FRUSTRATION_LEVELS = ("low", "medium", "high")
# Entities the input channel adds from that metadata, so Rasa's own slot extraction fills the `language`
# and `frustration` slots before the policies predict (no custom action needed for that).
METADATA_ENTITIES = ("language", "frustration")

HANDOFF_REASONS = ("customer_request", "low_confidence", "frustrated", "bot_unavailable")
HANDOFF_PRIORITIES = ("normal", "high")


def metadata_entities(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The web service's reading of a message (language, frustration level) as entities, for slot filling."""
    found = []
    language = metadata.get(META_LANGUAGE)
    if language in LANGUAGES:
        found.append({"entity": "language", "value": language, "extractor": "faqbot_channel"})
    frustration = metadata.get(META_FRUSTRATION)
    level = frustration.get("level") if isinstance(frustration, dict) else None
    if level in FRUSTRATION_LEVELS:
        found.append({"entity": "frustration", "value": level, "extractor": "faqbot_channel"})
    return found


@dataclass(frozen=True)
class NluResult:
    """What Rasa's NLU read from the customer's message."""

    intent: str | None = None
    confidence: float | None = None
    entities: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"intent": self.intent, "confidence": self.confidence, "entities": [dict(e) for e in self.entities]}

    @classmethod
    def from_json(cls, raw: Any) -> NluResult:
        if not isinstance(raw, dict):
            return cls()
        confidence = raw.get("confidence")
        entities = raw.get("entities") if isinstance(raw.get("entities"), list) else []
        return cls(
            intent=raw["intent"] if isinstance(raw.get("intent"), str) else None,
            confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
            entities=tuple(dict(e) for e in entities if isinstance(e, dict)),
        )

    @classmethod
    def from_parse_data(cls, parse_data: dict[str, Any]) -> NluResult:
        """From Rasa's parse data, leaving out the entities the channel added from metadata."""
        intent = parse_data.get("intent") or {}
        entities = [
            {k: e.get(k) for k in ("entity", "value", "start", "end") if k in e}
            for e in parse_data.get("entities") or []
            if e.get("entity") not in METADATA_ENTITIES
        ]
        return cls.from_json({"intent": intent.get("name"), "confidence": intent.get("confidence"),
                              "entities": entities})


@dataclass(frozen=True)
class HandoffRequest:
    """The bot decided to hand the conversation to a person (and paused itself)."""

    reason: str  # one of HANDOFF_REASONS
    priority: str = "normal"  # one of HANDOFF_PRIORITIES
    trigger_intent: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)  # what the bot remembered: order number, topic, …
    frustration: dict[str, Any] = field(default_factory=dict)  # the assessment that came with the message

    def __post_init__(self) -> None:
        if self.reason not in HANDOFF_REASONS:
            raise ValueError(f"unknown handoff reason '{self.reason}'")
        if self.priority not in HANDOFF_PRIORITIES:
            raise ValueError(f"unknown handoff priority '{self.priority}'")

    def details(self) -> dict[str, Any]:
        """What the handoff record keeps (and the agent sees)."""
        return {"trigger_intent": self.trigger_intent, "slots": dict(self.slots), "frustration": dict(self.frustration)}

    def to_json(self) -> dict[str, Any]:
        return {"reason": self.reason, "priority": self.priority, **self.details()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> HandoffRequest:
        return cls(reason=raw["reason"], priority=raw.get("priority") or "normal",
                   trigger_intent=raw.get("trigger_intent"), slots=dict(raw.get("slots") or {}),
                   frustration=dict(raw.get("frustration") or {}))


@dataclass(frozen=True)
class Feedback:
    """The customer's verdict on an answer (👍 / "thanks", or 👎 / "that's not what I asked")."""

    article_id: str | None
    helpful: bool

    def to_json(self) -> dict[str, Any]:
        return {"article_id": self.article_id, "helpful": self.helpful}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Feedback:
        return cls(article_id=raw.get("article_id"), helpful=bool(raw.get("helpful")))


@dataclass(frozen=True)
class TurnDecision:
    """What the action that answered the customer decided, beyond what it said."""

    action: str | None = None
    handoff: HandoffRequest | None = None
    feedback: Feedback | None = None

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "handoff": self.handoff.to_json() if self.handoff else None,
                "feedback": self.feedback.to_json() if self.feedback else None}

    @classmethod
    def from_json(cls, raw: Any) -> TurnDecision:
        """Tolerant of what it does not know; a malformed part is dropped (ValueError for a bad handoff)."""
        if not isinstance(raw, dict):
            return cls()
        handoff = raw.get("handoff")
        feedback = raw.get("feedback")
        return cls(
            action=raw.get("action") if isinstance(raw.get("action"), str) else None,
            handoff=HandoffRequest.from_json(handoff) if isinstance(handoff, dict) else None,
            feedback=Feedback.from_json(feedback) if isinstance(feedback, dict) else None,
        )

    def merged(self, other: TurnDecision) -> TurnDecision:
        """Two actions in one turn (rare): the later one's parts win, the earlier ones are kept."""
        return TurnDecision(action=other.action or self.action, handoff=other.handoff or self.handoff,
                            feedback=other.feedback or self.feedback)
