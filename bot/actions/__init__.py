"""faqbot's custom actions, written against rasa_sdk."""

from __future__ import annotations

from rasa_sdk import Action

from bot.actions.answer import ActionAnswerFromKB
from bot.actions.handoff import ActionDeclineHandoff, ActionHandoff
from bot.actions.ports import ActionServices
from bot.actions.slots import ValidatePredefinedSlots


def build_actions(services: ActionServices) -> list[Action]:
    """Every action, bound to the given services (used by the web service's action endpoint)."""
    return [
        ActionAnswerFromKB(services),
        ActionHandoff(services),
        ActionDeclineHandoff(services),
        ValidatePredefinedSlots(),
    ]


__all__ = [
    "ActionAnswerFromKB",
    "ActionDeclineHandoff",
    "ActionHandoff",
    "ActionServices",
    "ValidatePredefinedSlots",
    "build_actions",
]
