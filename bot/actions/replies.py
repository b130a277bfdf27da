"""The bot's reusable replies: an answer with "Did this help?", an offer of a person, "did you mean"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.texts import apologetic, feedback_buttons, offer_person_buttons, text
from bot.turn import TURN_KEY, TurnDecision
from knowledge_base.article import Article
from knowledge_base.retrieval import ArticleHit

# why the bot offered a person; the handoff records it if the customer accepts
OFFER_LOW_CONFIDENCE = "low_confidence"
OFFER_FRUSTRATED = "frustrated"


GIVEN_ARTICLES_KEPT = 10  # "that's not what I asked" never offers one of the conversation's last answers


def failed_turns(tracker: Tracker) -> int:
    return int(tracker.get_slot("failed_turns") or 0)


def shown_articles(tracker: Tracker) -> list[str]:
    return list(tracker.get_slot("shown_articles") or [])


def given_articles(tracker: Tracker) -> list[str]:
    """The articles the bot answered with in this conversation's recent turns, oldest first."""
    return list(tracker.get_slot("given_articles") or [])


def decided(decision: TurnDecision) -> dict[str, Any]:
    """A reply's custom payload part that carries the action's decision to the web service."""
    return {TURN_KEY: decision.to_json()}


def answer(
    dispatcher: CollectingDispatcher,
    article: Article,
    language: str,
    *,
    question: str | None,
    shown: Sequence[str] = (),
    given: Sequence[str] = (),
    body: str | None = None,
    apologise: bool = False,
    extra: dict[str, Any] | None = None,
    **details: Any,
) -> list[EventType]:
    """Give an article's answer. Normally asks "Did this help?"; to a frustrated customer it apologises
    and offers a person instead. `given`: the conversation's earlier answers (the slot is kept short)."""
    said = body or article.answer
    custom = {"outcome": "answer", "article_id": article.id, "article_title": article.title,
              "category": article.category, **details, **(extra or {})}
    if apologise:
        dispatcher.utter_message(
            text=f"{text('apology', language)}\n\n{said}\n\n{text('offer_person', language)}",
            buttons=offer_person_buttons(language),
            json_message={**custom, "offer_reason": OFFER_FRUSTRATED},
        )
        offered = [SlotSet("offer_reason", OFFER_FRUSTRATED)]
    else:
        dispatcher.utter_message(
            text=f"{said}\n\n{text('did_this_help', language)}",
            buttons=feedback_buttons(language),
            json_message={**custom, "asks_feedback": True},
        )
        offered = []
    given_now = [a for a in given if a != article.id][-(GIVEN_ARTICLES_KEPT - 1):] + [article.id]
    return offered + [
        SlotSet("current_article", article.id),
        SlotSet("current_topic", article.category),
        SlotSet("last_question", question),
        SlotSet("shown_articles", [*shown, article.id]),
        SlotSet("given_articles", given_now),
        SlotSet("feedback_pending", not apologise),
        SlotSet("handoff_offered", apologise),
    ]


def offer_person(
    dispatcher: CollectingDispatcher, message: str, language: str, reason: str,
    extra: dict[str, Any] | None = None, **details: Any
) -> list[EventType]:
    dispatcher.utter_message(
        text=message,
        buttons=offer_person_buttons(language),
        json_message={"offer_reason": reason, **details, **(extra or {})},
    )
    return [SlotSet("handoff_offered", True), SlotSet("feedback_pending", False), SlotSet("offer_reason", reason)]


def did_you_mean(
    dispatcher: CollectingDispatcher, choices: Sequence[ArticleHit], language: str, *, apologise: bool,
    **details: Any
) -> list[EventType]:
    intro = text("clarify", language)
    dispatcher.utter_message(
        text=apologetic(intro, language) if apologise else intro,
        buttons=[{"title": h.article.title,
                  "payload": f'/ask_question{{"article_id": "{h.article.id}"}}'} for h in choices]
        + offer_person_buttons(language)[:1],
        json_message={"outcome": "clarify", "choices": [h.article.id for h in choices], **details},
    )
    return [SlotSet("handoff_offered", True), SlotSet("feedback_pending", False),
            SlotSet("offer_reason", OFFER_LOW_CONFIDENCE)]
