"""faqbot's custom actions, written against rasa_sdk."""

from __future__ import annotations

from rasa_sdk import Action

from bot.actions.answer import ActionAnswerFromKB
from bot.actions.feedback import ActionRecordFeedback, ActionRejectAnswer
from bot.actions.handoff import ActionAcknowledgeComplaint, ActionDeclineHandoff, ActionHandoff
from bot.actions.ports import ActionServices
from bot.actions.smalltalk import ActionFallback, ActionThankForRating, ActionWelcomeBack


def build_actions(services: ActionServices) -> list[Action]:
    """Every action, bound to the given services (used by the web service's action endpoint)."""
    return [
        ActionAnswerFromKB(services),
        ActionHandoff(services),
        ActionDeclineHandoff(services),
        ActionAcknowledgeComplaint(services),
        ActionRecordFeedback(services),
        ActionRejectAnswer(services),
        ActionFallback(),
        ActionWelcomeBack(),
        ActionThankForRating(),
    ]


__all__ = [
    "ActionAcknowledgeComplaint",
    "ActionRecordFeedback",
    "ActionRejectAnswer",
    "ActionAnswerFromKB",
    "ActionDeclineHandoff",
    "ActionFallback",
    "ActionWelcomeBack",
    "ActionThankForRating",
    "ActionHandoff",
    "ActionServices",
    "build_actions",
]
