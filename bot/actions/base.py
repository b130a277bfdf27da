"""The base of faqbot's actions: services injected, or taken from the environment when run standalone."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.ports import ActionServices
from bot.turn import LANGUAGES, META_LANGUAGE
from knowledge_base.language import detect_language


class ServiceAction(Action, ABC):
    """Abstract, so rasa_sdk's package scan registers only the concrete actions."""

    def __init__(self, services: ActionServices | None = None) -> None:
        self._services = services

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """What the action does, then (unless it paused the bot) listening to the customer, which the rules
        would predict anyway: saying so spares Rasa a policy prediction per turn."""
        events = await self.respond(dispatcher, tracker, domain)
        if any(event == ConversationPaused() for event in events):
            return events  # a paused bot must not resume with a listen queued
        return [*events, FollowupAction("action_listen")]

    @abstractmethod
    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The action itself: what to say, and the events (slots, decisions) it produces."""

    async def services(self) -> ActionServices:
        if self._services is None:
            from bot.actions.runtime import services_from_environment

            self._services = await services_from_environment()
        return self._services


def conversation_language(tracker: Tracker) -> str:
    """The language the web service read from the customer's message (sent as metadata), else the language
    slot, else the message's own (a standalone action server called without metadata)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    if metadata.get(META_LANGUAGE) in LANGUAGES:
        return metadata[META_LANGUAGE]
    return tracker.get_slot("language") or detect_language(tracker.latest_message.get("text") or "")
