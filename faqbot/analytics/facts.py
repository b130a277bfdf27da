"""What one conversation amounts to, from its stored messages, handoffs and handoff events (pure functions).

Definitions (shown on the dashboard too):
- a conversation counts once its customer has written something;
- automated resolution: the bot gave at least one answer, no person was asked for (no handoff), and the
  bot's last answer was not rejected (no 👎, no "that's not what I asked" after it);
- wait: requested -> first taken by an agent; first reply: requested -> an agent's first message;
  resolution: requested -> resolved; all in seconds, for live handoffs (offline tickets are counted apart);
- SLA breach: a live handoff whose first reply came later than the first-reply target, or never came
  although the customer waited longer than that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

OUTCOME_COLUMNS = {"answer": "answers", "clarify": "clarify", "unsure": "unsure", "rephrase": "rephrase",
                   "rejected": "rejected", "error": "errors"}
REJECTING_OUTCOMES = frozenset({"rejected", "rephrase"})


@dataclass(frozen=True)
class StoredMessage:
    seq: int
    sender: str
    data: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True)
class StoredEvent:
    id: int
    kind: str
    at: dt.datetime
    agent_id: str | None


@dataclass(frozen=True)
class StoredHandoff:
    id: str
    reason: str
    status: str
    created_at: dt.datetime
    agent_id: str | None
    first_reply_at: dt.datetime | None
    resolved_at: dt.datetime | None
    category: str | None
    rating: int | None
    events: tuple[StoredEvent, ...] = field(default_factory=tuple)


def day_of(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).date().isoformat()


def conversation_facts(conversation_id: str, started_at: dt.datetime, language: str | None,
                       messages: Sequence[StoredMessage], handoffs: Sequence[StoredHandoff]) -> dict[str, Any] | None:
    """The conversation's row of `analytics_conversations`, or None while its customer has written nothing."""
    customer = [m for m in messages if m.sender == "customer"]
    if not customer:
        return None
    counts = dict.fromkeys(OUTCOME_COLUMNS.values(), 0)
    helpful = not_helpful = 0
    category = None
    last_answer: StoredMessage | None = None
    rejected_after_last = False
    for message in messages:
        if message.sender != "bot":
            continue
        outcome = message.data.get("outcome")
        if outcome in OUTCOME_COLUMNS:
            counts[OUTCOME_COLUMNS[outcome]] += 1
        if outcome == "answer":
            last_answer, rejected_after_last = message, False
            category = category or message.data.get("category") or None
            if message.data.get("helpful") is True:
                helpful += 1
            elif message.data.get("helpful") is False:
                not_helpful += 1
        elif outcome in REJECTING_OUTCOMES and last_answer is not None:
            rejected_after_last = True
    ordered = sorted(handoffs, key=lambda h: (h.created_at, h.id))
    if category is None and ordered:
        category = ordered[0].category
    language = language or next((m.data.get("language") for m in customer if m.data.get("language")), None)
    last_rejected = last_answer is not None and (last_answer.data.get("helpful") is False or rejected_after_last)
    return {
        "conversation_id": conversation_id, "day": day_of(started_at), "started_at": started_at,
        "language": language, "category": category, "customer_messages": len(customer), **counts,
        "helpful": helpful, "not_helpful": not_helpful, "last_answer_rejected": last_rejected,
        "handoff_reason": ordered[0].reason if ordered else None,
        "automated": counts["answers"] > 0 and not ordered and not last_rejected,
    }


def handoff_facts(conversation: dict[str, Any], handoffs: Sequence[StoredHandoff], *,
                  first_reply_target_s: float, now: dt.datetime) -> list[dict[str, Any]]:
    """The rows of `analytics_handoffs` for one conversation's handoffs."""
    rows = []
    for handoff in handoffs:
        kinds = [e.kind for e in handoff.events]
        live = "ticket" not in kinds and handoff.status != "ticket"
        assigned = next((e.at for e in handoff.events if e.kind == "assigned"), None)
        first_reply = next((e for e in handoff.events if e.kind == "first_reply"), None)
        replied_at = handoff.first_reply_at or (first_reply.at if first_reply else None)
        first_reply_s = _seconds(handoff.created_at, replied_at)
        resolution_s = _seconds(handoff.created_at, handoff.resolved_at) if handoff.status == "resolved" else None
        if first_reply_s is not None:
            breached = first_reply_s > first_reply_target_s
        else:
            waited_until = handoff.resolved_at or now
            breached = (waited_until - handoff.created_at).total_seconds() > first_reply_target_s
        rows.append({
            "handoff_id": handoff.id, "conversation_id": conversation["conversation_id"],
            "day": conversation["day"], "language": conversation["language"], "category": conversation["category"],
            "reason": handoff.reason, "status": handoff.status, "agent_id": handoff.agent_id,
            "first_reply_agent_id": first_reply.agent_id if first_reply else None,
            "live": live, "wait_s": _seconds(handoff.created_at, assigned) if live else None,
            "first_reply_s": first_reply_s if live else None, "resolution_s": resolution_s,
            "breached": live and breached, "rating": handoff.rating,
        })
    return rows


def _seconds(start: dt.datetime, end: dt.datetime | None) -> float | None:
    return None if end is None else round(max(0.0, (end - start).total_seconds()), 3)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]
