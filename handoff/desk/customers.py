"""The customer's side of a handoff: what happens next, the queue, offline tickets, leaving, rating."""

from __future__ import annotations

import logging

from faqbot.conversations import AGENTS_ONLY, Message, Sender
from faqbot.errors import InvalidMessage
from faqbot.rasa_gateway import RasaUnavailable
from faqbot.texts import service_text
from handoff.desk.assignment import Assignment
from handoff.desk.common import DeskContext, QueueStatus
from handoff.errors import InvalidHandoffTransition
from handoff.models import Handoff, HandoffStatus
from handoff.routing import estimated_wait_seconds, matches
from privacy import mask_for_logs, redact
from storage import utcnow

log = logging.getLogger(__name__)

THANK_FOR_RATING = "action_thank_for_rating"


class CustomerSide:
    def __init__(self, ctx: DeskContext, assignment: Assignment) -> None:
        self._ctx = ctx
        self._assignment = assignment

    async def handoff_started(self, handoff: Handoff) -> None:
        """Tell the customer what happens next (place in the queue, or no one is there) and route it."""
        ctx = self._ctx
        language = await ctx.language(handoff.conversation_id)
        ctx.messenger.handoff_changed(handoff, new=True)
        if not await self._anyone_available(handoff):
            await self._offer_offline_ticket(handoff, language)
            return
        await self._assignment.dispatch()
        current = await ctx.handoffs.get(handoff.id)
        if current.status is HandoffStatus.QUEUED:
            status = await self.queue_status(current)
            await ctx.messenger.append(
                handoff.conversation_id, Sender.SYSTEM, queue_text(status, language),
                {"event": "queued", "queue": status.to_json()})

    async def _anyone_available(self, handoff: Handoff) -> bool:
        if not self._ctx.policy.hours.is_open(utcnow()):
            return False
        return any(c.online and matches(c, handoff.category, handoff.language)
                   for c in await self._ctx.candidates())

    async def _offer_offline_ticket(self, handoff: Handoff, language: str | None) -> None:
        closed = not self._ctx.policy.hours.is_open(utcnow())
        key = "outside_hours" if closed else "no_agents"
        await self._ctx.messenger.append(
            handoff.conversation_id, Sender.SYSTEM,
            service_text(key, language, hours=self._ctx.policy.hours.describe()),
            {"event": "agents_unavailable", "offline_form": True, "handoff_id": handoff.id,
             "why": key}, to_agents=True)

    async def leave_message(self, conversation_id: str, contact: dict[str, str],
                            text: str) -> tuple[Handoff, list[Message]]:
        """An offline ticket: the customer's question and how to reach them, with the whole transcript."""
        ctx = self._ctx
        handoff = await ctx.handoffs.open_for(conversation_id)
        if handoff is not None and handoff.status is HandoffStatus.ASSIGNED:
            # the form was still on the customer's screen when an agent joined: an ordinary message to them
            return handoff, [await ctx.messenger.append(conversation_id, Sender.CUSTOMER, text,
                                                        {"event": "late_ticket", "contact": contact},
                                                        to_agents=True)]
        if handoff is None or handoff.status not in (HandoffStatus.QUEUED, HandoffStatus.TICKET):
            raise InvalidHandoffTransition("there is no waiting request for a person in this conversation")
        language = await ctx.language(conversation_id)
        await ctx.conversations.add_contact(conversation_id, contact)  # kept here and on the ticket only
        question = await ctx.messenger.append(conversation_id, Sender.CUSTOMER, text,
                                              {"event": "ticket_message"}, to_agents=True)
        handoff = await ctx.handoffs.to_ticket(handoff.id, contact)
        reach = mask_for_logs(contact.get("email") or contact.get("phone") or "")
        confirmation = await ctx.messenger.append(
            conversation_id, Sender.SYSTEM, service_text("ticket_created", language, contact=reach),
            {"event": "ticket_created", "handoff_id": handoff.id})
        ctx.messenger.handoff_changed(handoff)
        return handoff, [question, confirmation]

    async def customer_left(self, conversation_id: str) -> Handoff | None:
        """The customer closed the chat: a waiting handoff is abandoned; an agent who has it is told."""
        ctx = self._ctx
        handoff = await ctx.handoffs.open_for(conversation_id)
        if handoff is None:
            return None
        language = await ctx.language(conversation_id)
        if handoff.status is HandoffStatus.QUEUED and await ctx.handoffs.abandon(handoff.id):
            handoff = await ctx.handoffs.get(handoff.id)
            await ctx.messenger.append(conversation_id, Sender.SYSTEM, service_text("customer_left", language),
                                       {"event": "customer_left", "handoff_id": handoff.id,
                                        "audience": AGENTS_ONLY}, to_agents=True)
            await ctx.resume_bot(conversation_id)
            ctx.messenger.handoff_changed(handoff)
        elif handoff.status is HandoffStatus.ASSIGNED:
            await ctx.messenger.append(conversation_id, Sender.SYSTEM, service_text("customer_left", language),
                                       {"event": "customer_left", "handoff_id": handoff.id,
                                        "audience": AGENTS_ONLY}, to_agents=True)
        return handoff

    async def rate(self, conversation_id: str, score: int, comment: str | None) -> tuple[Handoff, list[Message]]:
        """The customer's 1–5 rating of the help they got; the bot thanks them."""
        ctx = self._ctx
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidMessage("a rating is a whole number from 1 to 5", code="invalid_rating")
        comment = redact(comment).text if comment else comment
        handoff = await ctx.handoffs.rate(conversation_id, score, comment)
        text = "★" * score + "☆" * (5 - score) + (f" {comment.strip()}" if comment and comment.strip() else "")
        messages = [await ctx.messenger.append(conversation_id, Sender.CUSTOMER, text,
                                               {"event": "rating", "rating": score, "handoff_id": handoff.id},
                                               to_agents=True)]
        try:
            for reply in await ctx.rasa.say(conversation_id, THANK_FOR_RATING):
                messages.append(await ctx.messenger.bot_reply(conversation_id, reply))
        except RasaUnavailable as exc:
            log.error("could not thank for the rating: %s", exc, extra={"conversation_id": conversation_id})
        ctx.messenger.handoff_changed(handoff, rated=score)
        return handoff, messages

    async def pending_rating(self, conversation_id: str, recent: list[Message]) -> str | None:
        """The handoff the bot just asked the customer to rate, if they have not rated it yet."""
        for message in reversed(recent):
            if message.sender is Sender.CUSTOMER and message.data.get("event") != "rating":
                continue
            handoff_id = message.data.get("rating_request")
            if message.sender is Sender.BOT and handoff_id:
                handoff = await self._ctx.handoffs.get(handoff_id)
                return handoff.id if handoff.rating is None else None
            if message.sender is Sender.CUSTOMER:
                return None
        return None

    def typing(self, conversation_id: str, sender: Sender, name: str | None = None) -> None:
        self._ctx.messenger.live(conversation_id, {"type": "typing", "sender": sender.value,
                                                   **({"name": name} if name else {})})

    async def queue_status(self, handoff: Handoff) -> QueueStatus:
        return (await self.queue_statuses([handoff]))[handoff.id]

    async def queue_statuses(self, handoffs: list[Handoff]) -> dict[str, QueueStatus]:
        """Place in the queue and expected wait of each handoff, reading the queue and the team once."""
        ctx = self._ctx
        ids = [h.id for h in await ctx.handoffs.queued()]
        candidates = [c for c in await ctx.candidates() if c.online]
        handled = await ctx.handoffs.recent_handle_seconds()
        statuses = {}
        for handoff in handoffs:
            position = ids.index(handoff.id) + 1 if handoff.id in ids else 0
            servers = sum(1 for c in candidates if matches(c, handoff.category, handoff.language))
            eta = estimated_wait_seconds(max(position, 1), servers, handled)
            statuses[handoff.id] = QueueStatus(position, len(ids), eta, servers)
        return statuses

    async def tell_waiting_customers(self) -> None:
        queued = await self._ctx.handoffs.queued()
        statuses = await self.queue_statuses(queued)
        for handoff in queued:
            if statuses[handoff.id].agents_online:  # nobody there: the customer was offered a ticket, not a place
                self._ctx.messenger.live(handoff.conversation_id,
                                         {"type": "queue", **statuses[handoff.id].to_json()})


def queue_text(status: QueueStatus, language: str | None) -> str:
    if status.eta_seconds is None:
        return service_text("queue_position", language, position=str(status.position))
    minutes = max(1, round(status.eta_seconds / 60))
    return service_text("queue_position_eta", language, position=str(status.position), minutes=str(minutes))
