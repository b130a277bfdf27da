"""Presence and the grace period: consoles opening and closing (in any process), agents' own choices, what a
restart means, and giving back the conversations of agents who stayed away too long."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from faqbot.agents import Agent, Presence
from faqbot.db_outage import is_database_unavailable
from handoff.desk.assignment import Assignment
from handoff.desk.common import DeskContext
from handoff.desk.state import PresenceState

log = logging.getLogger(__name__)


class PresenceDesk:
    RETRY_SECONDS = 2.0  # a console closed during a database outage: how often to try marking the agent away

    def __init__(self, ctx: DeskContext, state: PresenceState, assignment: Assignment) -> None:
        self._ctx = ctx
        self._state = state
        self._assignment = assignment
        self._retries: set[asyncio.Task] = set()

    @property
    def state(self) -> PresenceState:
        return self._state

    async def console_connected(self, agent: Agent) -> None:
        """An agent opened the console: online again, unless they had chosen to be away."""
        await self._state.connected(agent.id)
        current = await self._ctx.agents.by_id(agent.id)
        if current is None:
            return
        if current.presence is Presence.OFFLINE or (current.presence is Presence.AWAY
                                                     and await self._state.clear_away_by_disconnect(agent.id)):
            await self.set_presence(current, Presence.ONLINE)

    async def console_disconnected(self, agent: Agent) -> None:
        """The agent's last console closed (everywhere): away; their conversations wait for the grace period."""
        if not await self._state.disconnected(agent.id):
            return
        try:
            await self._went_away(agent.id)
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            # closed while the database was out of reach: away once it is back (unless a console opened again
            # meanwhile), so the agent is not left "online" without a console, given new conversations
            log.warning("agent %s's console closed while the database was unavailable; marking them away when "
                        "it is back", agent.id)
            retry = asyncio.create_task(self._away_when_back(agent.id))
            self._retries.add(retry)
            retry.add_done_callback(self._retries.discard)

    async def _away_when_back(self, agent_id: str) -> None:
        while True:
            await asyncio.sleep(self.RETRY_SECONDS)
            try:
                if not await self._state.is_connected(agent_id):
                    await self._went_away(agent_id)
                return
            except Exception as exc:
                if not is_database_unavailable(exc):
                    log.exception("marking agent %s away after their console closed failed", agent_id)
                    return

    async def _went_away(self, agent_id: str) -> None:
        current = await self._ctx.agents.by_id(agent_id)
        if current is None or current.presence is Presence.OFFLINE:
            return
        if current.presence is Presence.ONLINE:
            await self._state.mark_away_by_disconnect(agent_id)
        await self._ctx.agents.set_presence(agent_id, Presence.AWAY, restart_clock=True)  # the grace period starts
        self._ctx.messenger.to_agents({"type": "presence", "agent_id": agent_id, "presence": "away",
                                       "disconnected": True})

    async def set_presence(self, agent: Agent, presence: Presence) -> None:
        """The agent's own choice (or coming back online)."""
        await self._state.clear_away_by_disconnect(agent.id)
        await self._ctx.agents.set_presence(agent.id, presence)
        self._ctx.messenger.to_agents({"type": "presence", "agent_id": agent.id, "presence": presence.value})
        if presence is Presence.OFFLINE:
            await self._assignment.give_back(agent.id, "agent went offline")
        await self._assignment.dispatch()

    async def recover_after_restart(self) -> None:
        """Nobody is connected to a fresh process: online agents count as away from now (the grace period).
        Agents already away (a console that closed just before the service went down) could not come back
        while it was down either: their grace period starts again now.

        When presence is shared with other processes, this process judges nobody: their consoles may be
        open elsewhere. Connections of a process that died expire instead (see `pick_up_lost`)."""
        if self._state.shared:
            return
        for agent in await self._ctx.agents.all():
            if agent.presence is Presence.ONLINE:
                await self._ctx.agents.set_presence(agent.id, Presence.AWAY, only_if=Presence.ONLINE)
                await self._state.mark_away_by_disconnect(agent.id)
            elif agent.presence is Presence.AWAY:
                await self._ctx.agents.set_presence(agent.id, Presence.AWAY, only_if=Presence.AWAY,
                                                    restart_clock=True)

    async def pick_up_lost(self) -> None:
        """Agents whose consoles were held by a process that died: disconnected now, the grace period starts."""
        for agent_id in await self._state.lost():
            log.info("agent %s lost their console with a stopped process", agent_id)
            await self._went_away(agent_id)

    async def expire_grace(self, now: dt.datetime) -> None:
        for agent in await self._ctx.agents.all():
            if agent.presence is not Presence.AWAY or await self._state.is_connected(agent.id):
                continue
            since = agent.presence_since or now
            if (now - since).total_seconds() < self._ctx.policy.grace_seconds:
                continue
            log.info("agent %s stayed away past the grace period; their conversations go back to the queue",
                     agent.username)
            await self._ctx.agents.set_presence(agent.id, Presence.OFFLINE, only_if=Presence.AWAY)
            await self._state.clear_away_by_disconnect(agent.id)
            self._ctx.messenger.to_agents({"type": "presence", "agent_id": agent.id, "presence": "offline"})
            await self._assignment.give_back(agent.id, "agent disconnected")
