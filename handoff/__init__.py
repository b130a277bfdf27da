"""Handing a conversation from the bot to a human agent and back."""

from handoff.errors import HandoffError, HandoffNotFound, InvalidHandoffTransition
from handoff.models import Handoff, HandoffPriority, HandoffReason, HandoffStatus
from handoff.service import HandoffService
from handoff.store import HandoffStore

__all__ = [
    "Handoff",
    "HandoffError",
    "HandoffNotFound",
    "HandoffPriority",
    "HandoffReason",
    "HandoffService",
    "HandoffStatus",
    "HandoffStore",
    "InvalidHandoffTransition",
]
