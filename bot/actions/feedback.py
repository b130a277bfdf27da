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
    decided,
    failed_turns,
    given_articles,
    offer_person,
    shown_articles,
)
from bot.actions.texts import apologetic, text
from bot.turn import Feedback, TurnDecision
from handoff.models import HandoffReason
from knowledge_base.decision import Outcome

log = logging.getLogger(__name__)


def verdict(action_name: str, article_id: str | None, helpful: bool) -> TurnDecision:
    """The customer's verdict on the answer about `article_id`, for the web service to store on it."""
    return TurnDecision(action=action_name, feedback=Feedback(article_id, helpful))


class ActionRecordFeedback(ServiceAction):
    def name(self) -> str:
        return "action_record_feedback"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        dispatcher.utter_message(
            text=text("glad_it_helped", language),
            json_message=decided(verdict(self.name(), tracker.get_slot("current_article"), True)))
        return [SlotSet("feedback_pending", False), SlotSet("failed_turns", 0)]


class ActionRejectAnswer(ServiceAction):
    """The answer was wrong: give the next best article for the same question, never one already shown for it
    nor one of the conversation's recent answers; ask what was meant when there is none; offer a person
    after two failed turns in a row."""

    def name(self) -> str:
        return "action_reject_answer"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        frustration = turn_frustration(tracker)
        rejected = tracker.get_slot("current_article") if tracker.get_slot("feedback_pending") else None
        decision = verdict(self.name(), rejected, False) if rejected else TurnDecision(action=self.name())
        carried = decided(decision)
        if frustration.level == "high":
            return hand_off(self, dispatcher, tracker, HandoffReason.FRUSTRATED, priority="high",
                            decision=decision)

        failed = failed_turns(tracker) + 1
        counted = [SlotSet("failed_turns", failed), SlotSet("feedback_pending", False)]
        if failed >= 2 or frustration.level == "medium":
            message = text("struggling", language)
            if frustration.level == "medium":
                message = apologetic(message, language)
            reason = OFFER_FRUSTRATED if frustration.level == "medium" else OFFER_LOW_CONFIDENCE
            return offer_person(dispatcher, message, language, reason, outcome="rejected",
                                failed_turns=failed, extra=carried) + counted

        question = tracker.get_slot("last_question")
        if not question:
            dispatcher.utter_message(text=text("nothing_to_reject", language), json_message=carried)
            return counted
        shown = shown_articles(tracker)
        given = given_articles(tracker)
        try:
            decision_kb = await (await self.services()).knowledge.decide(
                question, language, exclude=list(dict.fromkeys([*shown, *given])))
        except Exception:
            log.exception("knowledge base search failed", extra={"conversation_id": tracker.sender_id})
            decision_kb = None
        best = decision_kb.best if decision_kb else None
        if decision_kb is not None and best is not None and decision_kb.outcome is not Outcome.UNSURE:
            body = text("next_best", language).format(title=best.article.title, answer=best.article.answer)
            return answer(dispatcher, best.article, language, question=question, shown=shown, given=given,
                          body=body, score=round(best.score, 4), confidence=decision_kb.confidence,
                          next_best=True, failed_turns=failed, extra=carried) + [SlotSet("failed_turns", failed)]
        dispatcher.utter_message(text=text("rephrase", language),
                                 json_message={"outcome": "rephrase", "failed_turns": failed, **carried})
        return counted
