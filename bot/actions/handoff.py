"""Hand the conversation to a person (and pause the bot); decline that offer; answer a complaint."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import ServiceAction, conversation_language
from bot.actions.frustration import turn_frustration
from bot.actions.replies import OFFER_FRUSTRATED, decided, offer_person
from bot.actions.texts import apologetic, text
from bot.turn import HandoffRequest, TurnDecision
from handoff.models import HandoffReason

log = logging.getLogger(__name__)

# what the agent is given from the conversation's memory
REMEMBERED_SLOTS = ("order_number", "current_article", "current_topic", "last_question", "language")


def handoff_reason(tracker: Tracker) -> HandoffReason:
    """Why the customer is handed off, read from what they just said, how they feel and what was offered."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    said = tracker.latest_message.get("text") or ""
    if intent == "complain" or turn_frustration(tracker).level == "high":
        return HandoffReason.FRUSTRATED
    accepted_offer = intent == "affirm" or said.startswith("/request_human")  # "yes", or the offer's button
    if accepted_offer and tracker.get_slot("handoff_offered"):
        if tracker.get_slot("offer_reason") == OFFER_FRUSTRATED:
            return HandoffReason.FRUSTRATED
        return HandoffReason.LOW_CONFIDENCE
    return HandoffReason.CUSTOMER_REQUEST


def hand_off(
    action: Action, dispatcher: CollectingDispatcher, tracker: Tracker, reason: HandoffReason, *,
    priority: str = "normal", decision: TurnDecision | None = None,
) -> list[EventType]:
    """Ask the web service to queue the conversation for a person (with what the bot knows), tell the
    customer — with an apology first if they are upset — and pause the bot."""
    language = conversation_language(tracker)
    frustration = turn_frustration(tracker)
    slots = {name: tracker.get_slot(name) for name in REMEMBERED_SLOTS if tracker.get_slot(name)}
    slots["language"] = language
    request = HandoffRequest(
        reason=reason.value, priority=priority,
        trigger_intent=(tracker.latest_message.get("intent") or {}).get("name"),
        slots=slots, frustration=frustration.to_json(),
    )
    decision = TurnDecision(action=action.name(), handoff=request,
                            feedback=decision.feedback if decision else None)
    message = text("handoff_started", language)
    upset_now = frustration.level == "high" or request.trigger_intent == "complain"
    if reason is HandoffReason.FRUSTRATED and upset_now:  # an outburst is not handed over without an apology
        message = apologetic(message, language)
    dispatcher.utter_message(
        text=message,
        json_message={"handoff": {"reason": reason.value, "priority": priority}, **decided(decision)},
    )
    return [SlotSet("handoff_offered", False), SlotSet("feedback_pending", False), SlotSet("failed_turns", 0),
            ConversationPaused()]


class ActionHandoff(ServiceAction):
    def name(self) -> str:
        return "action_handoff"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        priority = "high" if turn_frustration(tracker).level == "high" else "normal"
        return hand_off(self, dispatcher, tracker, handoff_reason(tracker), priority=priority)


class ActionDeclineHandoff(ServiceAction):
    def name(self) -> str:
        return "action_decline_handoff"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=text("handoff_declined", conversation_language(tracker)))
        return [SlotSet("handoff_offered", False), SlotSet("failed_turns", 0)]


class ActionAcknowledgeComplaint(ServiceAction):
    """A complaint gets an apology and the offer of a person (a very upset customer is handed off at once,
    by the high-frustration rule)."""

    def name(self) -> str:
        return "action_acknowledge_complaint"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        return offer_person(dispatcher, text("complaint", language), language, OFFER_FRUSTRATED,
                            outcome="complaint")
