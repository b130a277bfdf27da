"""What can happen to a handoff: requested by the bot, claimed and resolved by an agent."""

from __future__ import annotations

from typing import Any

from handoff.errors import InvalidHandoffTransition
from handoff.models import OPEN_STATUSES, Handoff, HandoffPriority, HandoffReason, HandoffStatus
from handoff.store import HandoffStore


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
    ) -> tuple[Handoff, bool]:
        """Queue the conversation for a person; idempotent while a handoff is open. True when newly created."""
        return await self._store.create_unless_open(conversation_id, reason, language, details or {}, priority)

    async def open_for(self, conversation_id: str) -> Handoff | None:
        return await self._store.open_for(conversation_id)

    async def get(self, handoff_id: str) -> Handoff:
        return await self._store.get(handoff_id)

    async def open_handoffs(self) -> list[Handoff]:
        """Queued and assigned handoffs, high priority first, then oldest first."""
        return await self._store.list(OPEN_STATUSES)

    async def claim(self, handoff_id: str, agent_id: str) -> Handoff:
        handoff = await self._store.get(handoff_id)
        if handoff.status is HandoffStatus.ASSIGNED and handoff.agent_id == agent_id:
            return handoff  # claiming twice is harmless
        if not await self._store.transition(handoff_id, HandoffStatus.QUEUED, HandoffStatus.ASSIGNED,
                                            agent_id=agent_id):
            current = await self._store.get(handoff_id)
            raise InvalidHandoffTransition(
                f"handoff '{handoff_id}' is {current.status.value}"
                + (" (assigned to another agent)" if current.status is HandoffStatus.ASSIGNED else "")
                + "; only a queued handoff can be claimed"
            )
        return await self._store.get(handoff_id)

    async def require_assigned_to(self, handoff_id: str, agent_id: str) -> Handoff:
        handoff = await self._store.get(handoff_id)
        if handoff.status is not HandoffStatus.ASSIGNED or handoff.agent_id != agent_id:
            raise InvalidHandoffTransition(
                f"handoff '{handoff_id}' is {handoff.status.value}; claim it before replying or resolving"
            )
        return handoff

    async def resolve(self, handoff_id: str, agent_id: str) -> Handoff:
        await self.require_assigned_to(handoff_id, agent_id)
        if not await self._store.transition(handoff_id, HandoffStatus.ASSIGNED, HandoffStatus.RESOLVED,
                                            require_agent=agent_id):
            raise InvalidHandoffTransition(f"handoff '{handoff_id}' changed while resolving it")
        return await self._store.get(handoff_id)
