"""What the customer thought of an answer: 👍 (or "yes", "thanks"), or 👎 / "that's not what I asked"."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import ServiceAction, conversation_language
from bot.actions.frustration import turn_frustration
from bot.actions.handoff import hand_off
from bot.actions.replies import (
    OFFER_FRUSTRATED,
    OFFER_LOW_CONFIDENCE,
    answer,
    failed_turns,
    offer_person,
    shown_articles,
)
from bot.actions.texts import text
from handoff.models import HandoffReason
from knowledge_base.decision import Outcome

log = logging.getLogger(__name__)


def feedback(article_id: str | None, helpful: bool) -> dict[str, Any]:
    """The custom payload the web service stores against the answer the feedback is about."""
    return {"feedback": {"article_id": article_id, "helpful": helpful}}


class ActionRecordFeedback(ServiceAction):
    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        dispatcher.utter_message(text=text("glad_it_helped", language),
                                 json_message=feedback(tracker.get_slot("current_article"), True))
        return [SlotSet("feedback_pending", False), SlotSet("failed_turns", 0)]


class ActionRejectAnswer(ServiceAction):
    """The answer was wrong: give the next best article for the same question, never the same one again;
    ask what was meant when there is none; offer a person after two failed turns in a row."""

    def name(self) -> str:
        return "action_reject_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        frustration = turn_frustration(tracker)
        rejected = tracker.get_slot("current_article") if tracker.get_slot("feedback_pending") else None
        verdict = feedback(rejected, False) if rejected else {}
        if frustration.level == "high":
            return await hand_off(self, dispatcher, tracker, HandoffReason.FRUSTRATED, priority="high",
                                  extra=verdict)

        failed = failed_turns(tracker) + 1
        counted = [SlotSet("failed_turns", failed), SlotSet("feedback_pending", False)]
        if failed >= 2 or frustration.level == "medium":
            message = text("struggling", language)
            if frustration.level == "medium":
                message = f"{text('apology', language)} {message}"
            reason = OFFER_FRUSTRATED if frustration.level == "medium" else OFFER_LOW_CONFIDENCE
            return offer_person(dispatcher, message, language, reason, outcome="rejected",
                                failed_turns=failed, **verdict) + counted

        question = tracker.get_slot("last_question")
        if not question:
            dispatcher.utter_message(text=text("nothing_to_reject", language), json_message=verdict)
            return counted
        shown = shown_articles(tracker)
        try:
            decision = await (await self.services()).knowledge.decide(question, language, exclude=shown)
        except Exception:
            log.exception("knowledge base search failed", extra={"conversation_id": tracker.sender_id})
            decision = None
        best = decision.best if decision else None
        if decision is not None and best is not None and decision.outcome is not Outcome.UNSURE:
            body = text("next_best", language).format(title=best.article.title, answer=best.article.answer)
            return answer(dispatcher, best.article, language, question=question, shown=shown, body=body,
                          score=round(best.score, 4), confidence=decision.confidence, next_best=True,
                          failed_turns=failed, **verdict) + [SlotSet("failed_turns", failed)]
        dispatcher.utter_message(text=text("rephrase", language),
                                 json_message={"outcome": "rephrase", "failed_turns": failed, **verdict})
        return counted
