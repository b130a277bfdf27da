"""The desk as the API and the conversation loop see it: one object, made of parts with one job each."""

from __future__ import annotations

from typing import Any

from faqbot.agents import Agent, AgentStore, Presence
from faqbot.conversations import ConversationStore, Message, Sender
from faqbot.messenger import Messenger
from faqbot.rasa_gateway import RasaGateway
from handoff.desk.assignment import Assignment
from handoff.desk.common import DeskContext, DeskPolicy, QueueStatus
from handoff.desk.customers import CustomerSide
from handoff.desk.presence import PresenceDesk
from handoff.desk.state import LocalMarks, LocalPresence, PresenceState, SweepMarks
from handoff.desk.sweep import Sweep
from handoff.desk.views import ConsoleViews, HandoffView
from handoff.models import Handoff
from handoff.service import HandoffService


class HandoffDesk:
    """The human side of a handoff: routing, presence, claiming, replying, transferring, resolving, tickets,
    ratings.

    The database is the source of truth for every state (queue, assignments, presence, history), so a
    restart loses nothing. Live connections, away-because-disconnected marks and the sweep's own marks are
    in `PresenceState` / `SweepMarks`: this process's memory by default, Redis when processes share them.
    """

    def __init__(self, handoffs: HandoffService, agents: AgentStore, conversations: ConversationStore,
                 messenger: Messenger, rasa: RasaGateway, policy: DeskPolicy,
                 presence: PresenceState | None = None, marks: SweepMarks | None = None) -> None:
        ctx = DeskContext(handoffs, agents, conversations, messenger, rasa, policy)
        self._ctx = ctx
        marks = marks or LocalMarks()
        self.assignment = Assignment(ctx, marks)
        self.presence = PresenceDesk(ctx, presence or LocalPresence(), self.assignment)
        self.assignment.went_online = lambda agent: self.presence.set_presence(agent, Presence.ONLINE)
        self.customers = CustomerSide(ctx, self.assignment)
        self.console = ConsoleViews(ctx, self.presence.state)
        self._sweep = Sweep(ctx, marks, self.presence, self.assignment, self.customers)

    @property
    def policy(self) -> DeskPolicy:
        return self._ctx.policy

    @property
    def messenger(self) -> Messenger:
        return self._ctx.messenger

    # the customer's side
    async def handoff_started(self, handoff: Handoff) -> None:
        await self.customers.handoff_started(handoff)

    async def leave_message(self, conversation_id: str, contact: dict[str, str],
                            text: str) -> tuple[Handoff, list[Message]]:
        return await self.customers.leave_message(conversation_id, contact, text)

    async def customer_left(self, conversation_id: str) -> Handoff | None:
        return await self.customers.customer_left(conversation_id)

    async def rate(self, conversation_id: str, score: int, comment: str | None) -> tuple[Handoff, list[Message]]:
        return await self.customers.rate(conversation_id, score, comment)

    async def pending_rating(self, conversation_id: str, recent: list[Message]) -> str | None:
        return await self.customers.pending_rating(conversation_id, recent)

    async def queue_status(self, handoff: Handoff) -> QueueStatus:
        return await self.customers.queue_status(handoff)

    def typing(self, conversation_id: str, sender: Sender, name: str | None = None) -> None:
        self.customers.typing(conversation_id, sender, name)

    # agents' work
    async def claim(self, handoff_id: str, agent: Agent, *, how: str = "claimed") -> Handoff:
        return await self.assignment.claim(handoff_id, agent, how=how)

    async def transfer(self, handoff_id: str, agent: Agent, to_agent_id: str) -> Handoff:
        return await self.assignment.transfer(handoff_id, agent, to_agent_id)

    async def requeue(self, handoff_id: str, agent: Agent, why: str = "put back by the agent") -> Handoff:
        return await self.assignment.requeue(handoff_id, agent, why)

    async def agent_message(self, handoff_id: str, agent: Agent, text: str) -> Message:
        return await self.assignment.agent_message(handoff_id, agent, text)

    async def resolve(self, handoff_id: str, agent: Agent, note: str | None = None,
                      outcome: str = "resolved") -> tuple[Handoff, list[Message]]:
        return await self.assignment.resolve(handoff_id, agent, note, outcome)

    async def dispatch(self) -> list[Handoff]:
        return await self.assignment.dispatch()

    async def resume_bot(self, conversation_id: str, *, strict: bool = False) -> None:
        await self._ctx.resume_bot(conversation_id, strict=strict)

    # presence
    async def console_connected(self, agent: Agent) -> None:
        await self.presence.console_connected(agent)

    async def console_disconnected(self, agent: Agent) -> None:
        await self.presence.console_disconnected(agent)

    async def set_presence(self, agent: Agent, presence: Presence) -> None:
        await self.presence.set_presence(agent, presence)

    async def recover_after_restart(self) -> None:
        await self.presence.recover_after_restart()

    # time
    async def sweep(self) -> None:
        """What time triggers; called every second or so (by one process of several)."""
        await self._sweep.run()

    # what the console shows
    async def view(self, handoff: Handoff) -> HandoffView:
        return await self.console.view(handoff)

    async def views(self, handoffs: list[Handoff]) -> list[HandoffView]:
        return await self.console.views(handoffs)

    async def open_views(self) -> list[HandoffView]:
        return await self.console.open_views()

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        return await self.console.history(conversation_id)

    async def offered_to(self, agent: Agent, handoffs: list[Handoff]) -> set[str]:
        return await self.console.offered_to(agent, handoffs)

    async def team(self) -> list[dict[str, Any]]:
        return await self.console.team()
