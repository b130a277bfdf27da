"""Who has which conversation: claiming, auto-assignment, transfers, putting back, replying, resolving."""

from __future__ import annotations

import logging

from faqbot.agents import Agent, Presence
from faqbot.conversations import Message, Sender
from faqbot.rasa_gateway import RasaUnavailable
from faqbot.texts import service_text
from handoff.desk.common import DeskContext, needs
from handoff.desk.state import SweepMarks
from handoff.errors import InvalidHandoffTransition
from handoff.models import Handoff, HandoffStatus
from handoff.routing import Waiting, auto_assignments, matches
from storage import utcnow

log = logging.getLogger(__name__)

WELCOME_BACK = "action_welcome_back"  # the bot greets the customer back and asks for a rating


class Assignment:
    def __init__(self, ctx: DeskContext, marks: SweepMarks) -> None:
        self._ctx = ctx
        self._marks = marks
        self.went_online = None  # set by the desk: (agent) -> coroutine, when a claim brings an agent online

    async def claim(self, handoff_id: str, agent: Agent, *, how: str = "claimed") -> Handoff:
        ctx = self._ctx
        before = await ctx.handoffs.get(handoff_id)
        if before.status is HandoffStatus.ASSIGNED and before.agent_id == agent.id:
            return before
        candidate = await ctx.candidate(agent)
        if not matches(candidate, before.category, before.language):
            raise InvalidHandoffTransition(
                f"this conversation needs {needs(before)}; your profile does not cover it (ask for a transfer)")
        if not candidate.has_room:
            raise InvalidHandoffTransition(
                f"you already have {candidate.load} conversations, your maximum; resolve one first")
        handoff = await ctx.handoffs.claim(handoff_id, agent.id, how=how)
        if agent.presence is Presence.OFFLINE and self.went_online is not None:
            await self.went_online(agent)
        await ctx.announce_agent(handoff, agent, "agent_joined")
        return handoff

    async def transfer(self, handoff_id: str, agent: Agent, to_agent_id: str) -> Handoff:
        ctx = self._ctx
        target = await ctx.agents.by_id(to_agent_id)
        if target is None:
            raise InvalidHandoffTransition(f"no agent with id '{to_agent_id}'")
        if target.presence is Presence.OFFLINE:
            raise InvalidHandoffTransition(f"{target.display_name} is offline")
        candidate = await ctx.candidate(target)
        if not candidate.has_room:
            raise InvalidHandoffTransition(f"{target.display_name} has no room for another conversation")
        handoff = await ctx.handoffs.transfer(handoff_id, agent.id, target.id)
        await ctx.announce_agent(handoff, target, "agent_transferred", from_agent=agent.display_name)
        return handoff

    async def requeue(self, handoff_id: str, agent: Agent, why: str = "put back by the agent") -> Handoff:
        handoff = await self._ctx.handoffs.requeue(handoff_id, agent.id, why)
        await self.after_requeue(handoff)
        return handoff

    async def give_back(self, agent_id: str, why: str) -> None:
        """Every conversation the agent has goes back to the queue (they went offline or stayed away)."""
        for handoff in await self._ctx.handoffs.assigned_to(agent_id):
            try:
                requeued = await self._ctx.handoffs.requeue(handoff.id, agent_id, why)
            except InvalidHandoffTransition:
                continue  # resolved or transferred meanwhile
            await self.after_requeue(requeued)

    async def after_requeue(self, handoff: Handoff) -> None:
        ctx = self._ctx
        language = await ctx.language(handoff.conversation_id)
        await ctx.messenger.append(handoff.conversation_id, Sender.SYSTEM, service_text("requeued", language),
                                   {"event": "requeued", "handoff_id": handoff.id}, to_agents=True)
        ctx.messenger.handoff_changed(handoff)
        await self.dispatch()

    async def agent_message(self, handoff_id: str, agent: Agent, text: str) -> Message:
        ctx = self._ctx
        handoff = await ctx.handoffs.require_assigned_to(handoff_id, agent.id)
        message = await ctx.messenger.append(handoff.conversation_id, Sender.AGENT, text,
                                             {"agent": agent.display_name, "agent_id": agent.id}, to_agents=True)
        if handoff.first_reply_at is None and await ctx.handoffs.first_reply(handoff.id, agent.id):
            await self._marks.clear_breach(handoff.id)
            ctx.messenger.handoff_changed(await ctx.handoffs.get(handoff.id))
        return message

    async def resolve(self, handoff_id: str, agent: Agent, note: str | None = None,
                      outcome: str = "resolved") -> tuple[Handoff, list[Message]]:
        """Close the handoff and give the conversation back to the bot, which asks for a rating."""
        ctx = self._ctx
        handoff = await ctx.handoffs.resolve(handoff_id, agent.id, note, outcome)
        conversation_id = handoff.conversation_id
        language = await ctx.language(conversation_id)
        messages = [await ctx.messenger.append(
            conversation_id, Sender.SYSTEM, service_text("agent_resolved", language, name=agent.display_name),
            {"event": "handoff_resolved", "agent": agent.display_name, "handoff_id": handoff.id}, to_agents=True)]
        ctx.messenger.handoff_changed(handoff)
        try:
            await ctx.resume_bot(conversation_id, strict=True)
            for reply in await ctx.rasa.say(conversation_id, WELCOME_BACK):
                extra = {"rating_request": handoff.id} if reply.custom.get("rating_request") else {}
                messages.append(await ctx.messenger.bot_reply(conversation_id, reply, **extra))
        except RasaUnavailable as exc:
            log.error("could not give the conversation back to Rasa: %s", exc,
                      extra={"conversation_id": conversation_id})
            await ctx.conversations.update(conversation_id, needs_bot_resume=True)
        await self.dispatch()
        return handoff, messages

    async def dispatch(self) -> list[Handoff]:
        """Give queued handoffs to online agents who take auto-assigned work and have room."""
        ctx = self._ctx
        queued = await ctx.handoffs.queued()
        if not queued or not ctx.policy.hours.is_open(utcnow()):
            return []
        candidates = await ctx.candidates()
        assigned = []
        for handoff_id, agent_id in auto_assignments(
                [Waiting(h.id, h.category, h.language) for h in queued], candidates):
            agent = await ctx.agents.by_id(agent_id)
            if agent is None:
                continue
            try:
                handoff = await ctx.handoffs.claim(handoff_id, agent.id, how="auto-assigned")
            except InvalidHandoffTransition:
                continue  # someone claimed it meanwhile
            await ctx.announce_agent(handoff, agent, "agent_joined")
            assigned.append(handoff)
        return assigned
