"""What the web service's frustration detector said about the customer's latest message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker

LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class TurnFrustration:
    level: str = "low"
    score: float | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "score": self.score, "reasons": list(self.reasons)}


def turn_frustration(tracker: Tracker) -> TurnFrustration:
    """The assessment the web service attached to the latest message (low if there is none)."""
    raw = ((tracker.latest_message or {}).get("metadata") or {}).get("frustration")
    if not isinstance(raw, dict) or raw.get("level") not in LEVELS:
        return TurnFrustration(level=tracker.get_slot("frustration") or "low")
    score = raw.get("score")
    reasons = raw.get("reasons") or []
    return TurnFrustration(
        level=raw["level"],
        score=float(score) if isinstance(score, int | float) else None,
        reasons=tuple(str(r) for r in reasons if isinstance(r, str)),
    )
