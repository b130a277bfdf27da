"""Handoff states, reasons and the record itself."""

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
    QUEUED = "queued"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        return self is not HandoffStatus.RESOLVED


OPEN_STATUSES = (HandoffStatus.QUEUED, HandoffStatus.ASSIGNED)


@dataclass(frozen=True)
class Handoff:
    id: str
    conversation_id: str
    reason: HandoffReason
    status: HandoffStatus
    created_at: dt.datetime
    language: str | None = None
    priority: HandoffPriority = HandoffPriority.NORMAL
    details: dict[str, Any] = field(default_factory=dict)
    agent_id: str | None = None
    assigned_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
