"""What every part of the desk shares: its collaborators, its policy and a few small helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from faqbot.agents import Agent, AgentStore, Presence
from faqbot.conversations import ConversationStore, Sender
from faqbot.messenger import Messenger
from faqbot.rasa_gateway import RasaGateway, RasaUnavailable
from faqbot.texts import service_text
from handoff.hours import OpeningHours
from handoff.models import Handoff
from handoff.routing import Candidate
from handoff.service import HandoffService


@dataclass(frozen=True)
class DeskPolicy:
    grace_seconds: float = 120.0  # a disconnected agent keeps their conversations this long
    first_reply_target_seconds: float = 120.0  # longer until the first agent reply: flagged as a breach
    queue_update_seconds: float = 30.0  # how often waiting customers hear their place and wait
    hours: OpeningHours = field(default_factory=lambda: OpeningHours.parse(""))


@dataclass(frozen=True)
class QueueStatus:
    position: int
    waiting: int  # everyone queued
    eta_seconds: float | None
    agents_online: int

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "waiting": self.waiting,
                "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds),
                "agents_online": self.agents_online}


@dataclass
class DeskContext:
    """The stores and channels every part of the desk works with."""

    handoffs: HandoffService
    agents: AgentStore
    conversations: ConversationStore
    messenger: Messenger
    rasa: RasaGateway
    policy: DeskPolicy

    async def language(self, conversation_id: str) -> str | None:
        return (await self.conversations.get(conversation_id)).language

    async def candidates(self) -> list[Candidate]:
        loads = await self.handoffs.assigned_counts()
        agents = [a for a in await self.agents.all() if a.has_role("agent")]
        by_idle = sorted(agents, key=lambda a: a.presence_since or dt.datetime.min.replace(tzinfo=dt.UTC))
        return [candidate_of(a, loads.get(a.id, 0), by_idle.index(a)) for a in agents]

    async def candidate(self, agent: Agent) -> Candidate:
        current = await self.agents.by_id(agent.id) or agent
        return candidate_of(current, (await self.handoffs.assigned_counts()).get(agent.id, 0), 0)

    async def announce_agent(self, handoff: Handoff, agent: Agent, key: str, **values: str) -> None:
        language = await self.language(handoff.conversation_id)
        await self.messenger.append(
            handoff.conversation_id, Sender.SYSTEM, service_text(key, language, name=agent.display_name, **values),
            {"event": key, "agent": agent.display_name, "agent_id": agent.id, "handoff_id": handoff.id},
            to_agents=True)
        self.messenger.handoff_changed(handoff)

    async def resume_bot(self, conversation_id: str, *, strict: bool = False) -> None:
        """Un-pause the conversation in Rasa; if Rasa is down, raise (strict) or flag it for the next message."""
        try:
            await self.rasa.resume(conversation_id)
            await self.conversations.update(conversation_id, needs_bot_resume=False)
        except RasaUnavailable:
            if strict:
                raise
            await self.conversations.update(conversation_id, needs_bot_resume=True)


def candidate_of(agent: Agent, load: int, idle_rank: int) -> Candidate:
    return Candidate(agent.id, frozenset(agent.skills), frozenset(agent.languages), agent.max_concurrent, load,
                     online=agent.presence is Presence.ONLINE, auto_assign=agent.auto_assign, idle_rank=idle_rank)


def needs(handoff: Handoff) -> str:
    parts = [f"language '{handoff.language or 'en'}'"]
    if handoff.category:
        parts.append(f"skill '{handoff.category}'")
    return " and ".join(parts)
