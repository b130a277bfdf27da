"""Answer a question from the knowledge base, or say honestly that the bot is not sure."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import ServiceAction, conversation_language
from bot.actions.texts import offer_person_buttons, text
from knowledge_base.decision import Outcome

log = logging.getLogger(__name__)


class ActionAnswerFromKB(ServiceAction):
    def name(self) -> str:
        return "action_answer_from_kb"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = tracker.latest_message.get("text") or ""
        language = conversation_language(tracker)
        try:
            decision = await (await self.services()).knowledge.decide(question, language)
        except Exception:
            log.exception("knowledge base search failed", extra={"conversation_id": tracker.sender_id})
            dispatcher.utter_message(
                text=text("knowledge_error", language),
                buttons=offer_person_buttons(language),
                json_message={"outcome": "error"},
            )
            return [SlotSet("handoff_offered", True)]

        best = decision.best
        if decision.outcome is Outcome.ANSWER and best is not None:
            dispatcher.utter_message(
                text=best.article.answer,
                json_message={
                    "outcome": "answer",
                    "article_id": best.article.id,
                    "article_title": best.article.title,
                    "score": round(best.score, 4),
                },
            )
            return [SlotSet("current_article", best.article.id), SlotSet("handoff_offered", False)]

        dispatcher.utter_message(
            text=text("unsure", language),
            buttons=offer_person_buttons(language),
            json_message={
                "outcome": "unsure",
                "article_id": None,
                "score": round(best.score, 4) if best else None,
                "best_guess": best.article.id if best else None,
            },
        )
        return [SlotSet("handoff_offered", True)]
