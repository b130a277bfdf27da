"""The bot's own lines outside questions: not understanding, and taking a conversation back from an agent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import conversation_language
from bot.actions.texts import text


class ActionFallback(Action):
    """Rasa's core fallback: no rule or story knew what to do next."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=text("fallback", conversation_language(tracker)))
        return [SlotSet("feedback_pending", False), SlotSet("handoff_offered", False)]


class ActionWelcomeBack(Action):
    """Run by the web service when an agent gives the conversation back to the bot."""

    def name(self) -> str:
        return "action_welcome_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        # the widget shows 1–5 stars and a comment box for a message that carries a rating request
        dispatcher.utter_message(text=text("welcome_back", language), json_message={"rating_request": True})
        return [SlotSet("feedback_pending", False), SlotSet("handoff_offered", False), SlotSet("failed_turns", 0),
                SlotSet("frustration", "low")]


class ActionThankForRating(Action):
    """Run by the web service after the customer rated the help a person gave them."""

    def name(self) -> str:
        return "action_thank_for_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=text("thanks_for_rating", conversation_language(tracker)))
        return []
