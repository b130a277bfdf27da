"""Hand the conversation to a person (and pause the bot), or accept that the customer declined."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import ServiceAction, conversation_language
from bot.actions.texts import text
from handoff.models import HandoffReason

log = logging.getLogger(__name__)

REMEMBERED_SLOTS = ("order_number", "current_article", "language")


def handoff_reason(tracker: Tracker) -> HandoffReason:
    """Why the customer is handed off, read from what they just said and what the bot offered."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    text = tracker.latest_message.get("text") or ""
    if intent == "complain":
        return HandoffReason.FRUSTRATED
    accepted_offer = intent == "affirm" or text.startswith("/request_human")  # "yes", or the offer's button
    if accepted_offer and tracker.get_slot("handoff_offered"):
        return HandoffReason.LOW_CONFIDENCE
    return HandoffReason.CUSTOMER_REQUEST


class ActionHandoff(ServiceAction):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        reason = handoff_reason(tracker)
        details = {
            "trigger_intent": (tracker.latest_message.get("intent") or {}).get("name"),
            "slots": {name: tracker.get_slot(name) for name in REMEMBERED_SLOTS if tracker.get_slot(name)},
        }
        try:
            await (await self.services()).handoffs.request(
                tracker.sender_id, reason, language=language, details=details
            )
        except Exception:
            log.exception("could not record handoff", extra={"conversation_id": tracker.sender_id})
            dispatcher.utter_message(text=text("handoff_failed", language))
            return [SlotSet("handoff_offered", False)]
        dispatcher.utter_message(
            text=text("handoff_started", language),
            json_message={"handoff": {"reason": reason.value}},
        )
        return [SlotSet("handoff_offered", False), ConversationPaused()]


class ActionDeclineHandoff(ServiceAction):
    def name(self) -> str:
        return "action_decline_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=text("handoff_declined", conversation_language(tracker)))
        return [SlotSet("handoff_offered", False)]
