"""What can happen to a handoff, each change checked and logged with who and when.

    queued ──claim / auto-assign──▶ assigned ──resolve──▶ resolved ──rate──▶ (rating stored)
      │  ▲                           │   │
      │  └──put back / grace over────┘   └──transfer──▶ assigned (another agent)
      ├──no one available, customer leaves a message──▶ ticket ──claim──▶ assigned
      └──customer leaves──▶ abandoned
"""

from __future__ import annotations

from typing import Any

from handoff.errors import InvalidHandoffTransition
from handoff.models import (
    CLAIMABLE_STATUSES,
    OPEN_STATUSES,
    Handoff,
    HandoffEvent,
    HandoffEventKind,
    HandoffPriority,
    HandoffReason,
    HandoffStatus,
)
from handoff.store import HandoffStore

MAX_NOTE_CHARS = 2000


class HandoffService:
    def __init__(self, store: HandoffStore) -> None:
        self._store = store

    async def request(
        self,
        conversation_id: str,
        reason: HandoffReason,
        *,
        language: str | None = None,
        details: dict[str, Any] | None = None,
        priority: HandoffPriority = HandoffPriority.NORMAL,
        category: str | None = None,
    ) -> tuple[Handoff, bool]:
        """Queue the conversation for a person; idempotent while a handoff is open. True when newly created."""
        details = details or {}
        category = category or (details.get("slots") or {}).get("current_topic")
        return await self._store.create_unless_open(conversation_id, reason, language, details, priority, category)

    async def open_for(self, conversation_id: str) -> Handoff | None:
        return await self._store.open_for(conversation_id)

    async def get(self, handoff_id: str) -> Handoff:
        return await self._store.get(handoff_id)

    async def open_handoffs(self) -> list[Handoff]:
        """Queued, assigned and ticket handoffs, high priority first, then oldest first."""
        return await self._store.list(OPEN_STATUSES)

    async def queued(self) -> list[Handoff]:
        return await self._store.list([HandoffStatus.QUEUED])

    async def assigned_to(self, agent_id: str) -> list[Handoff]:
        return await self._store.list([HandoffStatus.ASSIGNED], agent_id=agent_id)

    async def assigned_counts(self) -> dict[str, int]:
        return await self._store.assigned_counts()

    async def recent_handle_seconds(self) -> list[float]:
        return await self._store.recent_handle_seconds()

    async def history(self, conversation_id: str) -> tuple[list[Handoff], list[HandoffEvent]]:
        """Every handoff of the conversation and every change to them: who handled it and when."""
        handoffs = await self._store.for_conversation(conversation_id)
        return handoffs, await self._store.events(h.id for h in handoffs)

    async def claim(self, handoff_id: str, agent_id: str, *, how: str = "claimed") -> Handoff:
        handoff = await self._store.get(handoff_id)
        if handoff.status is HandoffStatus.ASSIGNED and handoff.agent_id == agent_id:
            return handoff  # claiming twice is harmless
        if not await self._store.transition(handoff_id, CLAIMABLE_STATUSES, HandoffStatus.ASSIGNED,
                                            HandoffEventKind.ASSIGNED, agent_id=agent_id, detail={"how": how}):
            current = await self._store.get(handoff_id)
            raise InvalidHandoffTransition(
                f"handoff '{handoff_id}' is {current.status.value}"
                + (" (assigned to another agent)" if current.status is HandoffStatus.ASSIGNED else "")
                + "; only a queued handoff or a ticket can be claimed"
            )
        return await self._store.get(handoff_id)

    async def require_assigned_to(self, handoff_id: str, agent_id: str) -> Handoff:
        handoff = await self._store.get(handoff_id)
        if handoff.status is not HandoffStatus.ASSIGNED or handoff.agent_id != agent_id:
            raise InvalidHandoffTransition(
                f"handoff '{handoff_id}' is {handoff.status.value}"
                + (" and assigned to another agent" if handoff.status is HandoffStatus.ASSIGNED else "")
                + "; claim it first"
            )
        return handoff

    async def transfer(self, handoff_id: str, from_agent: str, to_agent: str) -> Handoff:
        await self.require_assigned_to(handoff_id, from_agent)
        if from_agent == to_agent:
            raise InvalidHandoffTransition("a conversation cannot be transferred to the agent who has it")
        if not await self._store.transition(handoff_id, [HandoffStatus.ASSIGNED], HandoffStatus.ASSIGNED,
                                            HandoffEventKind.TRANSFERRED, agent_id=to_agent,
                                            require_agent=from_agent, detail={"from_agent": from_agent}):
            raise InvalidHandoffTransition(f"handoff '{handoff_id}' changed while transferring it")
        return await self._store.get(handoff_id)

    async def requeue(self, handoff_id: str, agent_id: str, why: str) -> Handoff:
        """Put an assigned handoff back at its place in the queue (it keeps its age and priority)."""
        await self.require_assigned_to(handoff_id, agent_id)
        if not await self._store.transition(handoff_id, [HandoffStatus.ASSIGNED], HandoffStatus.QUEUED,
                                            HandoffEventKind.REQUEUED, require_agent=agent_id,
                                            detail={"why": why}):
            raise InvalidHandoffTransition(f"handoff '{handoff_id}' changed while putting it back")
        return await self._store.get(handoff_id)

    async def first_reply(self, handoff_id: str, agent_id: str) -> bool:
        return await self._store.mark_first_reply(handoff_id, agent_id)

    async def to_ticket(self, handoff_id: str, contact: dict[str, str]) -> Handoff:
        """No one could come: keep it as an offline ticket with the customer's contact details."""
        if not await self._store.transition(handoff_id, [HandoffStatus.QUEUED, HandoffStatus.TICKET],
                                            HandoffStatus.TICKET, HandoffEventKind.TICKET,
                                            values={"contact": contact}, detail={"contact": contact}):
            current = await self._store.get(handoff_id)
            raise InvalidHandoffTransition(
                f"handoff '{handoff_id}' is {current.status.value}; only a waiting handoff becomes a ticket")
        return await self._store.get(handoff_id)

    async def resolve(self, handoff_id: str, agent_id: str, note: str | None = None,
                      outcome: str = "resolved") -> Handoff:
        await self.require_assigned_to(handoff_id, agent_id)
        note = (note or "").strip()[:MAX_NOTE_CHARS] or None
        if not await self._store.transition(handoff_id, [HandoffStatus.ASSIGNED], HandoffStatus.RESOLVED,
                                            HandoffEventKind.RESOLVED, require_agent=agent_id,
                                            values={"note": note}, detail={"outcome": outcome}):
            raise InvalidHandoffTransition(f"handoff '{handoff_id}' changed while resolving it")
        return await self._store.get(handoff_id)

    async def abandon(self, handoff_id: str) -> bool:
        """The customer left while waiting; True if the handoff was still waiting."""
        return await self._store.transition(handoff_id, [HandoffStatus.QUEUED], HandoffStatus.ABANDONED,
                                            HandoffEventKind.ABANDONED)

    async def rate(self, conversation_id: str, score: int, comment: str | None) -> Handoff:
        """Store the customer's 1–5 rating on the conversation's most recently resolved handoff."""
        if not 1 <= score <= 5:
            raise ValueError("a rating is a whole number from 1 to 5")
        resolved = [h for h in await self._store.for_conversation(conversation_id)
                    if h.status is HandoffStatus.RESOLVED]
        if not resolved:
            raise InvalidHandoffTransition("there is no finished conversation with a person to rate")
        latest = max(resolved, key=lambda h: h.resolved_at or h.created_at)
        comment = (comment or "").strip()[:MAX_NOTE_CHARS] or None
        await self._store.rate(latest.id, score, comment)
        return await self._store.get(latest.id)

    async def anonymise(self, conversation_id: str) -> int:
        return await self._store.anonymise(conversation_id)

    async def set_category(self, handoff_id: str, category: str | None) -> None:
        await self._store.set_category(handoff_id, category)
