"""What the agents' console shows: handoffs with their summary and wait, history, offers, the team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faqbot.agents import Agent
from faqbot.conversations.contact import contact_from
from handoff.desk.common import DeskContext
from handoff.desk.state import PresenceState
from handoff.models import Handoff, HandoffEvent, HandoffStatus
from handoff.routing import matches
from storage import utcnow


@dataclass(frozen=True)
class HandoffView:
    """A handoff as the console shows it."""

    handoff: Handoff
    summary: str
    agent_name: str | None
    page_url: str | None
    customer: dict[str, str]
    breached: bool
    waited_seconds: float
    queue_position: int | None = None

    def to_json(self) -> dict[str, Any]:
        h = self.handoff
        iso = lambda t: t.isoformat() if t else None  # noqa: E731
        return {
            "id": h.id, "conversation_id": h.conversation_id, "status": h.status.value, "reason": h.reason.value,
            "priority": h.priority.value, "category": h.category, "language": h.language,
            "created_at": iso(h.created_at), "assigned_at": iso(h.assigned_at),
            "first_reply_at": iso(h.first_reply_at), "resolved_at": iso(h.resolved_at),
            "agent_id": h.agent_id, "agent_name": self.agent_name, "summary": self.summary,
            "details": h.details, "page_url": self.page_url, "customer": self.customer, "contact": h.contact,
            "note": h.note, "waited_seconds": round(self.waited_seconds, 1), "breached": self.breached,
            "queue_position": self.queue_position,
            "rating": {"score": h.rating.score, "comment": h.rating.comment, "at": iso(h.rating.at)}
            if h.rating else None,
        }


class ConsoleViews:
    def __init__(self, ctx: DeskContext, presence: PresenceState) -> None:
        self._ctx = ctx
        self._presence = presence

    async def view(self, handoff: Handoff) -> HandoffView:
        queue_ids = ([h.id for h in await self._ctx.handoffs.queued()]
                     if handoff.status is HandoffStatus.QUEUED else [])
        return (await self._views([handoff], queue_ids))[0]

    async def views(self, handoffs: list[Handoff]) -> list[HandoffView]:
        """Views of many handoffs with a fixed number of queries (the console reloads the queue often)."""
        return await self._views(handoffs, [h.id for h in handoffs if h.status is HandoffStatus.QUEUED])

    async def _views(self, handoffs: list[Handoff], queue_ids: list[str]) -> list[HandoffView]:
        ctx = self._ctx
        conversation_ids = {h.conversation_id for h in handoffs}
        conversations = await ctx.conversations.get_many(conversation_ids)
        written = await ctx.conversations.customer_messages(conversation_ids)
        names = {a.id: a.display_name for a in await ctx.agents.all()}
        now = utcnow()
        views = []
        for handoff in handoffs:
            said = [m.text for m in written[handoff.conversation_id] if not m.data.get("payload")]
            summary = said[-1] if said else ""
            if len(summary) > 140:
                summary = summary[:139] + "…"
            waited = handoff.waited_seconds(handoff.resolved_at or now)
            position = queue_ids.index(handoff.id) + 1 if handoff.id in queue_ids else None
            views.append(HandoffView(
                handoff, summary, names.get(handoff.agent_id or ""),
                conversations[handoff.conversation_id].page_url,
                {**contact_from(written[handoff.conversation_id]), **conversations[handoff.conversation_id].contact},
                waited > ctx.policy.first_reply_target_seconds, waited, position))
        return views

    async def open_views(self) -> list[HandoffView]:
        return await self.views(await self._ctx.handoffs.open_handoffs())

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        """Who handled the conversation and when: every change of every handoff, with agent names."""
        _, events = await self._ctx.handoffs.history(conversation_id)
        names = {a.id: a.display_name for a in await self._ctx.agents.all()}
        return [_event_json(e, names) for e in events]

    async def offered_to(self, agent: Agent, handoffs: list[Handoff]) -> set[str]:
        """The waiting handoffs (queued or tickets) this agent matches and has room for."""
        candidate = await self._ctx.candidate(agent)
        return {h.id for h in handoffs if h.status in (HandoffStatus.QUEUED, HandoffStatus.TICKET)
                and candidate.has_room and matches(candidate, h.category, h.language)}

    async def team(self) -> list[dict[str, Any]]:
        loads = await self._ctx.handoffs.assigned_counts()
        return [{**a.to_json(), "load": loads.get(a.id, 0), "connected": await self._presence.is_connected(a.id)}
                for a in await self._ctx.agents.all() if a.has_role("agent")]


def _event_json(event: HandoffEvent, names: dict[str, str]) -> dict[str, Any]:
    data = event.to_json()
    data["handoff_id"] = event.handoff_id
    data["agent_name"] = names.get(event.agent_id or "")
    if "from_agent" in event.detail:
        data["detail"] = {**event.detail, "from_agent_name": names.get(event.detail["from_agent"])}
    return data
