"""The human side of a handoff: routing, presence, claiming, replying, transferring, resolving, tickets, ratings.

The database is the source of truth for every state (queue, assignments, presence, history), so a
restart loses nothing; the only thing held in memory is which agents have a live connection. A
periodic `sweep` does what time alone triggers: giving back the conversations of agents who stayed
away past the grace period, auto-assigning, telling waiting customers where they are in the queue,
and flagging handoffs whose first reply is overdue.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from faqbot.agents import Agent, AgentStore, Presence
from faqbot.conversations import AGENTS_ONLY, ConversationStore, Message, Sender
from faqbot.conversations.contact import contact_from
from faqbot.errors import InvalidMessage
from faqbot.messenger import Messenger
from faqbot.presence import ConnectionTracker
from faqbot.rasa_gateway import RasaGateway, RasaUnavailable
from faqbot.texts import service_text
from handoff import Handoff, HandoffService, HandoffStatus, InvalidHandoffTransition
from handoff.hours import OpeningHours
from handoff.models import HandoffEvent
from handoff.routing import Candidate, Waiting, auto_assignments, estimated_wait_seconds, matches
from privacy import mask_for_logs, redact
from storage import utcnow

log = logging.getLogger(__name__)

WELCOME_BACK = "action_welcome_back"  # the bot greets the customer back and asks for a rating
THANK_FOR_RATING = "action_thank_for_rating"


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


class HandoffDesk:
    def __init__(self, handoffs: HandoffService, agents: AgentStore, conversations: ConversationStore,
                 messenger: Messenger, rasa: RasaGateway, policy: DeskPolicy) -> None:
        self._handoffs = handoffs
        self._agents = agents
        self._conversations = conversations
        self._messenger = messenger
        self._rasa = rasa
        self._policy = policy
        self._connections = ConnectionTracker()
        self._breached: set[str] = set()
        self._away_by_disconnect: set[str] = set()  # back online when they reconnect
        self._last_queue_update: dt.datetime | None = None

    @property
    def policy(self) -> DeskPolicy:
        return self._policy

    @property
    def messenger(self) -> Messenger:
        return self._messenger

    # -- a new handoff ---------------------------------------------------------------------------

    async def handoff_started(self, handoff: Handoff) -> None:
        """Tell the customer what happens next (place in the queue, or no one is there) and route it."""
        language = await self._language(handoff.conversation_id)
        self._messenger.handoff_changed(handoff, new=True)
        if not await self._anyone_available(handoff):
            await self._offer_offline_ticket(handoff, language)
            return
        await self.dispatch()
        current = await self._handoffs.get(handoff.id)
        if current.status is HandoffStatus.QUEUED:
            status = await self.queue_status(current)
            await self._messenger.append(
                handoff.conversation_id, Sender.SYSTEM, _queue_text(status, language),
                {"event": "queued", "queue": status.to_json()})

    async def _anyone_available(self, handoff: Handoff) -> bool:
        if not self._policy.hours.is_open(utcnow()):
            return False
        return any(c.online and matches(c, handoff.category, handoff.language) for c in await self._candidates())

    async def _offer_offline_ticket(self, handoff: Handoff, language: str | None) -> None:
        closed = not self._policy.hours.is_open(utcnow())
        key = "outside_hours" if closed else "no_agents"
        await self._messenger.append(
            handoff.conversation_id, Sender.SYSTEM,
            service_text(key, language, hours=self._policy.hours.describe()),
            {"event": "agents_unavailable", "offline_form": True, "handoff_id": handoff.id,
             "why": key}, to_agents=True)

    # -- the customer's side ---------------------------------------------------------------------

    async def leave_message(self, conversation_id: str, contact: dict[str, str],
                            text: str) -> tuple[Handoff, list[Message]]:
        """An offline ticket: the customer's question and how to reach them, with the whole transcript."""
        handoff = await self._handoffs.open_for(conversation_id)
        if handoff is not None and handoff.status is HandoffStatus.ASSIGNED:
            return handoff, [await self._deliver_late_ticket(conversation_id, contact, text)]
        if handoff is None or handoff.status not in (HandoffStatus.QUEUED, HandoffStatus.TICKET):
            raise InvalidHandoffTransition("there is no waiting request for a person in this conversation")
        language = await self._language(conversation_id)
        await self._conversations.add_contact(conversation_id, contact)  # kept here and on the ticket only
        question = await self._messenger.append(conversation_id, Sender.CUSTOMER, text,
                                                {"event": "ticket_message"}, to_agents=True)
        handoff = await self._handoffs.to_ticket(handoff.id, contact)
        reach = mask_for_logs(contact.get("email") or contact.get("phone") or "")
        confirmation = await self._messenger.append(
            conversation_id, Sender.SYSTEM, service_text("ticket_created", language, contact=reach),
            {"event": "ticket_created", "handoff_id": handoff.id})
        self._messenger.handoff_changed(handoff)
        return handoff, [question, confirmation]

    async def _deliver_late_ticket(self, conversation_id: str, contact: dict[str, str], text: str) -> Message:
        """A ticket sent after an agent joined (the form was still on the customer's screen): the agent has the
        conversation, so it is an ordinary message to them."""
        return await self._messenger.append(conversation_id, Sender.CUSTOMER, text,
                                            {"event": "late_ticket", "contact": contact}, to_agents=True)

    async def customer_left(self, conversation_id: str) -> Handoff | None:
        """The customer closed the chat: a waiting handoff is abandoned; an agent who has it is told."""
        handoff = await self._handoffs.open_for(conversation_id)
        if handoff is None:
            return None
        language = await self._language(conversation_id)
        if handoff.status is HandoffStatus.QUEUED and await self._handoffs.abandon(handoff.id):
            handoff = await self._handoffs.get(handoff.id)
            await self._messenger.append(conversation_id, Sender.SYSTEM, service_text("customer_left", language),
                                         {"event": "customer_left", "handoff_id": handoff.id,
                                          "audience": AGENTS_ONLY}, to_agents=True)
            await self.resume_bot(conversation_id)
            self._messenger.handoff_changed(handoff)
        elif handoff.status is HandoffStatus.ASSIGNED:
            await self._messenger.append(conversation_id, Sender.SYSTEM, service_text("customer_left", language),
                                         {"event": "customer_left", "handoff_id": handoff.id,
                                          "audience": AGENTS_ONLY}, to_agents=True)
        return handoff

    async def rate(self, conversation_id: str, score: int, comment: str | None) -> tuple[Handoff, list[Message]]:
        """The customer's 1–5 rating of the help they got; the bot thanks them."""
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidMessage("a rating is a whole number from 1 to 5", code="invalid_rating")
        comment = redact(comment).text if comment else comment
        handoff = await self._handoffs.rate(conversation_id, score, comment)
        text = "★" * score + "☆" * (5 - score) + (f" {comment.strip()}" if comment and comment.strip() else "")
        messages = [await self._messenger.append(conversation_id, Sender.CUSTOMER, text,
                                                 {"event": "rating", "rating": score, "handoff_id": handoff.id},
                                                 to_agents=True)]
        try:
            for reply in await self._rasa.say(conversation_id, THANK_FOR_RATING):
                messages.append(await self._messenger.bot_reply(conversation_id, reply))
        except RasaUnavailable as exc:
            log.error("could not thank for the rating: %s", exc, extra={"conversation_id": conversation_id})
        self._messenger.handoff_changed(handoff, rated=score)
        return handoff, messages

    async def pending_rating(self, conversation_id: str, recent: list[Message]) -> str | None:
        """The handoff the bot just asked the customer to rate, if they have not rated it yet."""
        for message in reversed(recent):
            if message.sender is Sender.CUSTOMER and message.data.get("event") != "rating":
                continue
            handoff_id = message.data.get("rating_request")
            if message.sender is Sender.BOT and handoff_id:
                handoff = await self._handoffs.get(handoff_id)
                return handoff.id if handoff.rating is None else None
            if message.sender is Sender.CUSTOMER:
                return None
        return None

    async def queue_status(self, handoff: Handoff) -> QueueStatus:
        return (await self._queue_statuses([handoff]))[handoff.id]

    async def _queue_statuses(self, handoffs: list[Handoff]) -> dict[str, QueueStatus]:
        """Place in the queue and expected wait of each handoff, reading the queue and the team once."""
        ids = [h.id for h in await self._handoffs.queued()]
        candidates = [c for c in await self._candidates() if c.online]
        handled = await self._handoffs.recent_handle_seconds()
        statuses = {}
        for handoff in handoffs:
            position = ids.index(handoff.id) + 1 if handoff.id in ids else 0
            servers = sum(1 for c in candidates if matches(c, handoff.category, handoff.language))
            eta = estimated_wait_seconds(max(position, 1), servers, handled)
            statuses[handoff.id] = QueueStatus(position, len(ids), eta, servers)
        return statuses

    # -- agents ----------------------------------------------------------------------------------

    async def claim(self, handoff_id: str, agent: Agent, *, how: str = "claimed") -> Handoff:
        before = await self._handoffs.get(handoff_id)
        if before.status is HandoffStatus.ASSIGNED and before.agent_id == agent.id:
            return before
        candidate = await self._candidate(agent)
        if not matches(candidate, before.category, before.language):
            raise InvalidHandoffTransition(
                f"this conversation needs {_needs(before)}; your profile does not cover it (ask for a transfer)")
        if not candidate.has_room:
            raise InvalidHandoffTransition(
                f"you already have {candidate.load} conversations, your maximum; resolve one first")
        handoff = await self._handoffs.claim(handoff_id, agent.id, how=how)
        if agent.presence is Presence.OFFLINE:
            await self.set_presence(agent, Presence.ONLINE)
        await self._announce_agent(handoff, agent, "agent_joined")
        return handoff

    async def transfer(self, handoff_id: str, agent: Agent, to_agent_id: str) -> Handoff:
        target = await self._agents.by_id(to_agent_id)
        if target is None:
            raise InvalidHandoffTransition(f"no agent with id '{to_agent_id}'")
        if target.presence is Presence.OFFLINE:
            raise InvalidHandoffTransition(f"{target.display_name} is offline")
        candidate = await self._candidate(target)
        if not candidate.has_room:
            raise InvalidHandoffTransition(f"{target.display_name} has no room for another conversation")
        handoff = await self._handoffs.transfer(handoff_id, agent.id, target.id)
        await self._announce_agent(handoff, target, "agent_transferred", from_agent=agent.display_name)
        return handoff

    async def requeue(self, handoff_id: str, agent: Agent, why: str = "put back by the agent") -> Handoff:
        handoff = await self._handoffs.requeue(handoff_id, agent.id, why)
        await self._after_requeue(handoff)
        return handoff

    async def agent_message(self, handoff_id: str, agent: Agent, text: str) -> Message:
        handoff = await self._handoffs.require_assigned_to(handoff_id, agent.id)
        message = await self._messenger.append(handoff.conversation_id, Sender.AGENT, text,
                                               {"agent": agent.display_name, "agent_id": agent.id}, to_agents=True)
        if handoff.first_reply_at is None and await self._handoffs.first_reply(handoff.id, agent.id):
            self._breached.discard(handoff.id)
            self._messenger.handoff_changed(await self._handoffs.get(handoff.id))
        return message

    def typing(self, conversation_id: str, sender: Sender, name: str | None = None) -> None:
        self._messenger.live(conversation_id, {"type": "typing", "sender": sender.value,
                                               **({"name": name} if name else {})})

    async def resolve(self, handoff_id: str, agent: Agent, note: str | None = None,
                      outcome: str = "resolved") -> tuple[Handoff, list[Message]]:
        """Close the handoff and give the conversation back to the bot, which asks for a rating."""
        handoff = await self._handoffs.resolve(handoff_id, agent.id, note, outcome)
        conversation_id = handoff.conversation_id
        language = await self._language(conversation_id)
        messages = [await self._messenger.append(
            conversation_id, Sender.SYSTEM, service_text("agent_resolved", language, name=agent.display_name),
            {"event": "handoff_resolved", "agent": agent.display_name, "handoff_id": handoff.id}, to_agents=True)]
        self._messenger.handoff_changed(handoff)
        try:
            await self.resume_bot(conversation_id, strict=True)
            for reply in await self._rasa.say(conversation_id, WELCOME_BACK):
                extra = {"rating_request": handoff.id} if reply.custom.get("rating_request") else {}
                messages.append(await self._messenger.bot_reply(conversation_id, reply, **extra))
        except RasaUnavailable as exc:
            log.error("could not give the conversation back to Rasa: %s", exc,
                      extra={"conversation_id": conversation_id})
            await self._conversations.update(conversation_id, needs_bot_resume=True)
        await self.dispatch()
        return handoff, messages

    # -- presence --------------------------------------------------------------------------------

    async def console_connected(self, agent: Agent) -> None:
        """An agent opened the console: online again, unless they had chosen to be away."""
        self._connections.connected(agent.id)
        current = await self._agents.by_id(agent.id)
        if current is None:
            return
        if current.presence is Presence.OFFLINE or (current.presence is Presence.AWAY
                                                     and agent.id in self._away_by_disconnect):
            self._away_by_disconnect.discard(agent.id)
            await self.set_presence(current, Presence.ONLINE)

    async def console_disconnected(self, agent: Agent) -> None:
        """The agent's last console closed: away; their conversations wait for them for the grace period."""
        if not self._connections.disconnected(agent.id):
            return
        current = await self._agents.by_id(agent.id)
        if current is None or current.presence is Presence.OFFLINE:
            return
        if current.presence is Presence.ONLINE:
            self._away_by_disconnect.add(agent.id)
        await self._agents.set_presence(agent.id, Presence.AWAY, restart_clock=True)  # the grace period starts
        self._messenger.to_agents({"type": "presence", "agent_id": agent.id, "presence": "away",
                                   "disconnected": True})

    async def set_presence(self, agent: Agent, presence: Presence) -> None:
        """The agent's own choice (or coming back online)."""
        self._away_by_disconnect.discard(agent.id)
        await self._agents.set_presence(agent.id, presence)
        self._messenger.to_agents({"type": "presence", "agent_id": agent.id, "presence": presence.value})
        if presence is Presence.OFFLINE:
            for handoff in await self._handoffs.assigned_to(agent.id):
                await self._after_requeue(await self._handoffs.requeue(handoff.id, agent.id, "agent went offline"))
        await self.dispatch()

    async def recover_after_restart(self) -> None:
        """Nobody is connected to a fresh process: online agents count as away from now (the grace period).
        Agents already away (a console that closed just before the service went down) could not come back
        while it was down either: their grace period starts again now."""
        for agent in await self._agents.all():
            if agent.presence is Presence.ONLINE:
                await self._agents.set_presence(agent.id, Presence.AWAY, only_if=Presence.ONLINE)
                self._away_by_disconnect.add(agent.id)
            elif agent.presence is Presence.AWAY:
                await self._agents.set_presence(agent.id, Presence.AWAY, only_if=Presence.AWAY, restart_clock=True)

    # -- time ------------------------------------------------------------------------------------

    async def sweep(self) -> None:
        """What time triggers; called every second or so."""
        now = utcnow()
        await self._expire_grace(now)
        await self.dispatch()
        await self._flag_breaches(now)
        due = self._last_queue_update is None or \
            (now - self._last_queue_update).total_seconds() >= self._policy.queue_update_seconds
        if due:
            self._last_queue_update = now
            await self._tell_waiting_customers()

    async def _expire_grace(self, now: dt.datetime) -> None:
        for agent in await self._agents.all():
            if agent.presence is not Presence.AWAY or self._connections.is_connected(agent.id):
                continue
            since = agent.presence_since or now
            if (now - since).total_seconds() < self._policy.grace_seconds:
                continue
            log.info("agent %s stayed away past the grace period; their conversations go back to the queue",
                     agent.username)
            await self._agents.set_presence(agent.id, Presence.OFFLINE, only_if=Presence.AWAY)
            self._away_by_disconnect.discard(agent.id)
            self._messenger.to_agents({"type": "presence", "agent_id": agent.id, "presence": "offline"})
            for handoff in await self._handoffs.assigned_to(agent.id):
                try:
                    requeued = await self._handoffs.requeue(handoff.id, agent.id, "agent disconnected")
                except InvalidHandoffTransition:
                    continue  # resolved or transferred meanwhile
                await self._after_requeue(requeued)

    async def dispatch(self) -> list[Handoff]:
        """Give queued handoffs to online agents who take auto-assigned work and have room."""
        queued = await self._handoffs.queued()
        if not queued or not self._policy.hours.is_open(utcnow()):
            return []
        candidates = await self._candidates()
        assigned = []
        for handoff_id, agent_id in auto_assignments(
                [Waiting(h.id, h.category, h.language) for h in queued], candidates):
            agent = await self._agents.by_id(agent_id)
            if agent is None:
                continue
            try:
                handoff = await self._handoffs.claim(handoff_id, agent.id, how="auto-assigned")
            except InvalidHandoffTransition:
                continue  # someone claimed it meanwhile
            await self._announce_agent(handoff, agent, "agent_joined")
            assigned.append(handoff)
        return assigned

    async def _flag_breaches(self, now: dt.datetime) -> None:
        target = self._policy.first_reply_target_seconds
        for handoff in await self._handoffs.open_handoffs():
            if handoff.first_reply_at is None and handoff.waited_seconds(now) > target \
                    and handoff.id not in self._breached:
                self._breached.add(handoff.id)
                self._messenger.handoff_changed(handoff, breached=True)

    async def _tell_waiting_customers(self) -> None:
        queued = await self._handoffs.queued()
        statuses = await self._queue_statuses(queued)
        for handoff in queued:
            if statuses[handoff.id].agents_online:  # nobody there: the customer was offered a ticket, not a place
                self._messenger.live(handoff.conversation_id, {"type": "queue", **statuses[handoff.id].to_json()})

    # -- what the console shows ------------------------------------------------------------------

    async def view(self, handoff: Handoff) -> HandoffView:
        queue_ids = [h.id for h in await self._handoffs.queued()] if handoff.status is HandoffStatus.QUEUED else []
        return (await self._views([handoff], queue_ids))[0]

    async def views(self, handoffs: list[Handoff]) -> list[HandoffView]:
        """Views of many handoffs with a fixed number of queries (the console reloads the queue often)."""
        return await self._views(handoffs, [h.id for h in handoffs if h.status is HandoffStatus.QUEUED])

    async def _views(self, handoffs: list[Handoff], queue_ids: list[str]) -> list[HandoffView]:
        conversation_ids = {h.conversation_id for h in handoffs}
        conversations = await self._conversations.get_many(conversation_ids)
        written = await self._conversations.customer_messages(conversation_ids)
        names = {a.id: a.display_name for a in await self._agents.all()}
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
                waited > self._policy.first_reply_target_seconds, waited, position))
        return views

    async def open_views(self) -> list[HandoffView]:
        return await self.views(await self._handoffs.open_handoffs())

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        """Who handled the conversation and when: every change of every handoff, with agent names."""
        _, events = await self._handoffs.history(conversation_id)
        names = {a.id: a.display_name for a in await self._agents.all()}
        return [_event_json(e, names) for e in events]

    async def offered_to(self, agent: Agent, handoffs: list[Handoff]) -> set[str]:
        """The waiting handoffs (queued or tickets) this agent matches and has room for."""
        candidate = await self._candidate(agent)
        return {h.id for h in handoffs if h.status in (HandoffStatus.QUEUED, HandoffStatus.TICKET)
                and candidate.has_room and matches(candidate, h.category, h.language)}

    async def team(self) -> list[dict[str, Any]]:
        loads = await self._handoffs.assigned_counts()
        return [{**a.to_json(), "load": loads.get(a.id, 0), "connected": self._connections.is_connected(a.id)}
                for a in await self._agents.all() if a.has_role("agent")]

    # -- shared ----------------------------------------------------------------------------------

    async def _candidates(self) -> list[Candidate]:
        loads = await self._handoffs.assigned_counts()
        agents = [a for a in await self._agents.all() if a.has_role("agent")]
        by_idle = sorted(agents, key=lambda a: a.presence_since or dt.datetime.min.replace(tzinfo=dt.UTC))
        return [_candidate(a, loads.get(a.id, 0), by_idle.index(a)) for a in agents]

    async def _candidate(self, agent: Agent) -> Candidate:
        current = await self._agents.by_id(agent.id) or agent
        return _candidate(current, (await self._handoffs.assigned_counts()).get(agent.id, 0), 0)

    async def _announce_agent(self, handoff: Handoff, agent: Agent, key: str, **values: str) -> None:
        language = await self._language(handoff.conversation_id)
        await self._messenger.append(
            handoff.conversation_id, Sender.SYSTEM, service_text(key, language, name=agent.display_name, **values),
            {"event": key, "agent": agent.display_name, "agent_id": agent.id, "handoff_id": handoff.id},
            to_agents=True)
        self._messenger.handoff_changed(handoff)

    async def _after_requeue(self, handoff: Handoff) -> None:
        language = await self._language(handoff.conversation_id)
        await self._messenger.append(handoff.conversation_id, Sender.SYSTEM, service_text("requeued", language),
                                     {"event": "requeued", "handoff_id": handoff.id}, to_agents=True)
        self._messenger.handoff_changed(handoff)
        await self.dispatch()

    async def resume_bot(self, conversation_id: str, *, strict: bool = False) -> None:
        """Un-pause the conversation in Rasa; if Rasa is down, raise (strict) or flag it for the next message."""
        try:
            await self._rasa.resume(conversation_id)
            await self._conversations.update(conversation_id, needs_bot_resume=False)
        except RasaUnavailable:
            if strict:
                raise
            await self._conversations.update(conversation_id, needs_bot_resume=True)

    async def _language(self, conversation_id: str) -> str | None:
        return (await self._conversations.get(conversation_id)).language


def _candidate(agent: Agent, load: int, idle_rank: int) -> Candidate:
    return Candidate(agent.id, frozenset(agent.skills), frozenset(agent.languages), agent.max_concurrent, load,
                     online=agent.presence is Presence.ONLINE, auto_assign=agent.auto_assign, idle_rank=idle_rank)


def _needs(handoff: Handoff) -> str:
    parts = [f"language '{handoff.language or 'en'}'"]
    if handoff.category:
        parts.append(f"skill '{handoff.category}'")
    return " and ".join(parts)


def _queue_text(status: QueueStatus, language: str | None) -> str:
    if status.eta_seconds is None:
        return service_text("queue_position", language, position=str(status.position))
    minutes = max(1, round(status.eta_seconds / 60))
    return service_text("queue_position_eta", language, position=str(status.position), minutes=str(minutes))


def _event_json(event: HandoffEvent, names: dict[str, str]) -> dict[str, Any]:
    data = event.to_json()
    data["handoff_id"] = event.handoff_id
    data["agent_name"] = names.get(event.agent_id or "")
    if "from_agent" in event.detail:
        data["detail"] = {**event.detail, "from_agent_name": names.get(event.detail["from_agent"])}
    return data
