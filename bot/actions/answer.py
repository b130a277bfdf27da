"""Answer a question from the knowledge base, or say honestly that the bot is not sure."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import ServiceAction, conversation_language
from bot.actions.texts import offer_person_buttons, text
from knowledge_base.article import Article
from knowledge_base.decision import Outcome

log = logging.getLogger(__name__)


class ActionAnswerFromKB(ServiceAction):
    def name(self) -> str:
        return "action_answer_from_kb"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        services = await self.services()
        language = conversation_language(tracker)
        chosen = next(tracker.get_latest_entity_values("article_id"), None)
        if chosen and (article := services.knowledge.published_article(chosen)) is not None:
            return self._answer(dispatcher, article, score=None, confidence=None, chosen=True)

        question = tracker.latest_message.get("text") or ""
        try:
            decision = await services.knowledge.decide(question, language)
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
            return self._answer(dispatcher, best.article, best.score, decision.confidence)
        if decision.outcome is Outcome.CLARIFY:
            choices = decision.choices(3)
            dispatcher.utter_message(
                text=text("clarify", language),
                buttons=[{"title": h.article.title,
                          "payload": f'/choose_article{{"article_id": "{h.article.id}"}}'} for h in choices]
                + offer_person_buttons(language)[:1],
                json_message={"outcome": "clarify", "article_id": None, "score": round(best.score, 4),
                              "confidence": decision.confidence, "choices": [h.article.id for h in choices]},
            )
            return [SlotSet("handoff_offered", True)]

        dispatcher.utter_message(
            text=text("unsure", language),
            buttons=offer_person_buttons(language),
            json_message={
                "outcome": "unsure",
                "article_id": None,
                "score": round(best.score, 4) if best else None,
                "confidence": decision.confidence,
                "best_guess": best.article.id if best else None,
            },
        )
        return [SlotSet("handoff_offered", True)]

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, article: Article, score: float | None,
                confidence: float | None, chosen: bool = False) -> list[EventType]:
        dispatcher.utter_message(
            text=article.answer,
            json_message={
                "outcome": "answer",
                "article_id": article.id,
                "article_title": article.title,
                "score": round(score, 4) if score is not None else None,
                "confidence": confidence,
                "chosen_by_customer": chosen,
            },
        )
        return [SlotSet("current_article", article.id), SlotSet("handoff_offered", False)]
