"""Answer a question from the knowledge base, follow-ups included, or say honestly that the bot is not sure."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import ServiceAction, conversation_language
from bot.actions.context import FollowUp, contextual_query, follow_up_core, follow_up_kind
from bot.actions.frustration import turn_frustration
from bot.actions.ports import ActionServices
from bot.actions.replies import OFFER_LOW_CONFIDENCE, answer, did_you_mean, failed_turns, given_articles, offer_person
from bot.actions.texts import apologetic, text
from knowledge_base.decision import Decision, Outcome

log = logging.getLogger(__name__)

_RANK = {Outcome.ANSWER: 2, Outcome.CLARIFY: 1, Outcome.UNSURE: 0}


async def decide_in_context(
    services: ActionServices, question: str, language: str, current_article_id: str | None
) -> tuple[Decision, str, str | None, bool]:
    """The decision for `question`, read as a follow-up on the current article when it looks like one.

    Returns the decision, the query that produced it (kept for "that's not what I asked": the completed
    one when that reading won), the article it was read as a follow-up of, if it was, and whether the
    completed reading won. A follow-up never gets the article it follows up on again.
    """
    current = services.knowledge.published_article(current_article_id) if current_article_id else None
    kind = follow_up_kind(question, language)
    # a Chinese follow-up is searched without the words that only point back ("那退货呢？" → "退货")
    core = follow_up_core(question, language) if kind is not None else question
    if current is None or current.language != language or kind is None:
        return await services.knowledge.decide(core, language), core, None, False
    completed = contextual_query(core, current)
    standalone, contextual = await asyncio.gather(  # at once: their encodings share one forward pass
        services.knowledge.decide(core, language, exclude=[current.id]),
        services.knowledge.decide(completed, language, exclude=[current.id]))
    if language == "zh" and kind is FollowUp.MARKED and core != question and standalone.outcome is Outcome.ANSWER:
        # "那退货呢" ("and returns?") names its new topic once the pointing-back words are gone: answer that
        return standalone, core, current.id, False
    # a message that points back ("and …", "that", "…呢") means the topic, unless the topic finds nothing
    # or the message, read on its own, is answered where the topic only finds "did you mean"
    if (kind is FollowUp.MARKED and contextual.outcome is not Outcome.UNSURE
            and _RANK[contextual.outcome] >= _RANK[standalone.outcome]) or (
            _strength(contextual) >= _strength(standalone)):
        return contextual, completed, current.id, True
    return standalone, core, current.id, False  # the message said enough on its own


def _strength(decision: Decision) -> tuple[int, float]:
    """Which reading of a follow-up to trust: the better outcome, then the more confident one."""
    best = decision.best
    confidence = decision.confidence if decision.confidence is not None else (best.score if best else 0.0)
    return _RANK[decision.outcome], confidence


class ActionAnswerFromKB(ServiceAction):
    def name(self) -> str:
        return "action_answer_from_kb"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        services = await self.services()
        language = conversation_language(tracker)
        apologise = turn_frustration(tracker).level == "medium"

        chosen = next(tracker.get_latest_entity_values("article_id"), None)
        if chosen and (article := services.knowledge.published_article(chosen)) is not None:
            return answer(dispatcher, article, language, question=tracker.get_slot("last_question"),
                          given=given_articles(tracker), apologise=apologise,
                          chosen_by_customer=True) + [SlotSet("failed_turns", 0)]

        question = tracker.latest_message.get("text") or ""
        try:
            decision, query, follows_up, completed = await decide_in_context(
                services, question, language, tracker.get_slot("current_article"))
        except Exception:
            log.exception("knowledge base search failed", extra={"conversation_id": tracker.sender_id})
            return offer_person(dispatcher, text("knowledge_error", language), language, OFFER_LOW_CONFIDENCE,
                                outcome="error")

        best = decision.best
        details = {"score": round(best.score, 4) if best else None, "confidence": decision.confidence,
                   "follow_up_of": follows_up, "completed_from_context": completed}
        if decision.outcome is Outcome.ANSWER and best is not None:
            across = {}
            if decision.across_languages:  # said so, and counted for the editors (missing translations)
                across = {"body": f"{text('only_in_other_language', language)}\n\n{best.article.answer}",
                          "extra": {"translation_missing": language, "answer_language": best.article.language}}
            return answer(dispatcher, best.article, language, question=query, apologise=apologise,
                          given=given_articles(tracker), **across, **details) + [SlotSet("failed_turns", 0)]
        details["article_id"] = None
        remember = [SlotSet("last_question", query), SlotSet("shown_articles", [])]
        if decision.outcome is Outcome.CLARIFY:
            return did_you_mean(dispatcher, decision.choices(3), language, apologise=apologise, **details) + remember

        failed = failed_turns(tracker) + 1
        # not an answer: say so plainly and say what the bot can help with; apologise only to an upset
        # customer, and then only once
        message = text("struggling" if failed >= 2 else "unsure", language)
        if apologise:
            message = apologetic(message, language)
        return offer_person(
            dispatcher, message, language, OFFER_LOW_CONFIDENCE, outcome="unsure", failed_turns=failed,
            best_guess=best.article.id if best else None, **details,
        ) + remember + [SlotSet("failed_turns", failed)]
