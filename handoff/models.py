"""Handoff states, reasons, the record itself and its history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class HandoffReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    LOW_CONFIDENCE = "low_confidence"
    FRUSTRATED = "frustrated"
    BOT_UNAVAILABLE = "bot_unavailable"


class HandoffPriority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"  # e.g. a customer the frustration detector found very upset

    @property
    def rank(self) -> int:
        return PRIORITY_RANKS[self]

    @classmethod
    def from_rank(cls, rank: int | None) -> HandoffPriority:
        return next((p for p, r in PRIORITY_RANKS.items() if r == rank), cls.NORMAL)


PRIORITY_RANKS = {HandoffPriority.NORMAL: 0, HandoffPriority.HIGH: 10}


class HandoffStatus(StrEnum):
    QUEUED = "queued"        # waiting for an agent
    ASSIGNED = "assigned"    # an agent has it
    TICKET = "ticket"        # no one was available; the customer left a message (an offline ticket)
    RESOLVED = "resolved"    # an agent finished and gave it back to the bot
    ABANDONED = "abandoned"  # the customer left before an agent came

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


# a conversation has at most one open handoff; while it has one, its messages go to people, not the bot
OPEN_STATUSES = (HandoffStatus.QUEUED, HandoffStatus.ASSIGNED, HandoffStatus.TICKET)
# what agents pick from: the live queue and the offline tickets
CLAIMABLE_STATUSES = (HandoffStatus.QUEUED, HandoffStatus.TICKET)


class HandoffEventKind(StrEnum):
    """One line of a handoff's history."""

    QUEUED = "queued"
    ASSIGNED = "assigned"          # claimed or auto-assigned (detail.how)
    TRANSFERRED = "transferred"    # to another agent (detail.from_agent)
    REQUEUED = "requeued"          # put back by the agent, or their grace period ran out (detail.why)
    FIRST_REPLY = "first_reply"
    TICKET = "ticket"              # converted to an offline ticket
    RESOLVED = "resolved"
    ABANDONED = "abandoned"
    RATED = "rated"


@dataclass(frozen=True)
class HandoffEvent:
    handoff_id: str
    kind: HandoffEventKind
    at: dt.datetime
    agent_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "at": self.at.isoformat(), "agent_id": self.agent_id,
                "detail": self.detail}


@dataclass(frozen=True)
class Rating:
    score: int  # 1 (poor) .. 5 (excellent)
    comment: str | None
    at: dt.datetime


@dataclass(frozen=True)
class Handoff:
    id: str
    conversation_id: str
    reason: HandoffReason
    status: HandoffStatus
    created_at: dt.datetime
    language: str | None = None
    priority: HandoffPriority = HandoffPriority.NORMAL
    category: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    agent_id: str | None = None
    assigned_at: dt.datetime | None = None
    first_reply_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None  # also when abandoned
    note: str | None = None  # the agent's resolution note
    contact: dict[str, str] = field(default_factory=dict)  # what an offline ticket's customer left
    rating: Rating | None = None

    def waited_seconds(self, now: dt.datetime) -> float:
        """Time to first agent reply so far (or in total, once someone replied)."""
        return ((self.first_reply_at or now) - self.created_at).total_seconds()
