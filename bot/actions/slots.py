"""Slots filled on every turn (run by Rasa's action_extract_slots)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker, ValidationAction
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.frustration import LEVELS, turn_frustration
from knowledge_base.language import detect_language


class ValidatePredefinedSlots(ValidationAction):
    """Keeps `language` on the language of the customer's latest message and `frustration` on the level the
    web service's detector gave it."""

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        return ["language", "frustration"]

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        # button payloads ("/deny") and injected intents say nothing about the customer's language
        if not text.strip() or text.startswith("/") or intent.startswith("EXTERNAL_"):
            return {}
        return {"language": detect_language(text)}

    async def validate_language(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {"language": value if value in ("en", "zh") else None}

    async def extract_frustration(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        if "frustration" not in metadata:
            return {}  # no assessment (e.g. an injected event): keep the level as it was
        return {"frustration": turn_frustration(tracker).level}

    async def validate_frustration(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {"frustration": value if value in LEVELS else "low"}
