"""The custom actions run on real rasa_sdk Trackers, against a real (small) knowledge base and database."""

import pytest
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import (
    ActionAcknowledgeComplaint,
    ActionAnswerFromKB,
    ActionDeclineHandoff,
    ActionHandoff,
    ActionRecordFeedback,
    ActionRejectAnswer,
    ActionServices,
)
from bot.actions.base import conversation_language
from bot.actions.context import follow_up_core, follow_up_kind
from bot.turn import TURN_KEY, TurnDecision, metadata_entities
from knowledge_base import AnswerPolicy
from tests.factories import frustration, tracker


@pytest.fixture
def services(small_kb):
    small_kb._policy = AnswerPolicy(answer_en=0.5, answer_zh=0.5)
    return ActionServices(knowledge=small_kb)


def decision_of(message: dict) -> TurnDecision:
    """What the action decided, as the web service reads it from the reply."""
    return TurnDecision.from_json(message["custom"][TURN_KEY])


async def test_answer_carries_the_article_and_score(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(services).run(dispatcher, tracker("Where is my parcel?", "ask_question"), {})
    [message] = dispatcher.messages
    assert message["text"].startswith("Answer of track-shipment-en.") and "Did this help?" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]
    assert message["custom"]["article_id"] == "track-shipment-en" and message["custom"]["asks_feedback"]
    assert message["custom"]["outcome"] == "answer" and message["custom"]["score"] >= 0.5
    assert SlotSet("current_article", "track-shipment-en") in events
    assert SlotSet("current_topic", "shipping") in events
    assert SlotSet("feedback_pending", True) in events
    assert SlotSet("handoff_offered", False) in events


async def test_chinese_question_gets_the_chinese_article(services):
    dispatcher = CollectingDispatcher()
    await ActionAnswerFromKB(services).run(
        dispatcher, tracker("退款需要几天？", "ask_question", slots={"language": "zh"}), {})
    assert dispatcher.messages[0]["custom"]["article_id"] == "refund-timing-zh"


async def test_unsure_offers_a_person_in_the_customer_language(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(services).run(
        dispatcher, tracker("给我讲个笑话", "nlu_fallback", slots={"language": "zh"}), {})
    [message] = dispatcher.messages
    assert message["custom"]["outcome"] == "unsure" and message["custom"]["article_id"] is None
    assert "人工" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/request_human", "/deny"]
    assert SlotSet("handoff_offered", True) in events


async def test_a_failing_knowledge_base_never_crashes_the_turn():
    class Broken:
        async def decide(self, question, language=None, k=3, exclude=()):
            raise RuntimeError("index gone")

    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(ActionServices(Broken())).run(
        dispatcher, tracker("Where is my parcel?", "ask_question"), {})
    assert dispatcher.messages[0]["custom"]["outcome"] == "error"
    assert SlotSet("handoff_offered", True) in events


@pytest.mark.parametrize(
    ("text", "intent", "offered", "reason"),
    [
        ("I want to speak to a person", "request_human", False, "customer_request"),
        ("I want to speak to a person", "request_human", True, "customer_request"),
        ("/request_human", "request_human", True, "low_confidence"),
        ("yes please", "affirm", True, "low_confidence"),
        ("this is ridiculous", "complain", False, "frustrated"),
    ],
)
async def test_handoff_asks_for_a_person_with_the_reason_and_pauses_the_bot(services, text, intent, offered, reason):
    dispatcher = CollectingDispatcher()
    t = tracker(text, intent, slots={"handoff_offered": offered, "order_number": "12345678"},
                metadata={"language": "en"})
    events = await ActionHandoff(services).run(dispatcher, t, {})
    assert ConversationPaused() in events
    [message] = dispatcher.messages
    request = decision_of(message).handoff
    assert request is not None and request.reason == reason and request.priority == "normal"
    assert request.slots["order_number"] == "12345678" and request.slots["language"] == "en"
    assert request.trigger_intent == intent
    assert message["custom"]["handoff"]["reason"] == reason
    # a complaint is handed over with an apology first; a plain request is not apologised for
    assert message["text"].startswith("I'm sorry") is (intent == "complain")


def test_the_decision_survives_the_wire_format():
    from bot.turn import Feedback, HandoffRequest

    decision = TurnDecision("action_handoff", HandoffRequest("frustrated", "high", "complain", {"order_number": "1"},
                                                             {"level": "high"}), Feedback("a-en", False))
    assert TurnDecision.from_json(decision.to_json()) == decision
    with pytest.raises(ValueError):
        HandoffRequest("because", "normal")


def test_the_language_comes_from_the_web_service_then_the_slot_then_the_message():
    assert conversation_language(tracker("hello", "greet", metadata={"language": "zh"})) == "zh"
    assert conversation_language(tracker("/affirm", "affirm", slots={"language": "zh"})) == "zh"
    assert conversation_language(tracker("我的退款什么时候到账？", "ask_question")) == "zh"


@pytest.mark.parametrize(("metadata", "expected"), [
    ({"language": "zh", "frustration": {"level": "high", "score": 0.95}},
     [("language", "zh"), ("frustration", "high")]),
    ({"language": "fr", "frustration": {"level": "bogus"}}, []),
    ({}, []),
])
def test_the_channel_turns_the_web_services_reading_into_slot_entities(metadata, expected):
    assert [(e["entity"], e["value"]) for e in metadata_entities(metadata)] == expected


async def test_decline_resets_the_offer(services):
    dispatcher = CollectingDispatcher()
    events = await ActionDeclineHandoff(services).run(
        dispatcher, tracker("不用了", "deny", slots={"handoff_offered": True, "language": "zh"}), {})
    assert SlotSet("handoff_offered", False) in events
    assert "换个说法" in dispatcher.messages[0]["text"]


async def test_clarify_offers_the_closest_articles_as_buttons(services, small_kb):
    from dataclasses import replace

    from knowledge_base import Decision, Outcome

    class Unsure:
        async def decide(self, question, language=None, k=3, exclude=()):
            decision = await small_kb.decide(question, language, k, exclude)
            return Decision(Outcome.CLARIFY, decision.language, decision.hits, confidence=0.3)

        def published_article(self, article_id):
            return small_kb.published_article(article_id)

    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(replace(services, knowledge=Unsure())).run(
        dispatcher, tracker("refund parcel", "ask_question"), {})
    [message] = dispatcher.messages
    assert message["custom"]["outcome"] == "clarify" and len(message["custom"]["choices"]) == 3
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[0] == f'/ask_question{{"article_id": "{message["custom"]["choices"][0]}"}}'
    assert payloads[-1] == "/request_human"
    assert SlotSet("handoff_offered", True) in events


async def test_a_chosen_article_is_answered_directly(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(services).run(
        dispatcher, tracker('/ask_question{"article_id": "reset-password-en"}', "ask_question",
                            entities={"article_id": "reset-password-en"}), {})
    assert dispatcher.messages[0]["custom"]["article_id"] == "reset-password-en"
    assert dispatcher.messages[0]["custom"]["chosen_by_customer"] is True
    assert SlotSet("current_article", "reset-password-en") in events


async def test_choosing_an_unpublished_article_falls_back_to_search(services):
    dispatcher = CollectingDispatcher()
    await ActionAnswerFromKB(services).run(
        dispatcher, tracker("Where is my parcel?", "ask_question", entities={"article_id": "gone-en"}), {})
    assert dispatcher.messages[0]["custom"]["article_id"] == "track-shipment-en"


# -- context: follow-ups -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [("and for sale items?", "en", True), ("how long does that take?", "en", True),
     ("what about in Hong Kong?", "en", True), ("Where is my parcel?", "en", False),
     ("How do I reset my password for the online shop?", "en", False),
     ("那打折商品呢？", "zh", True), ("要多久？", "zh", True), ("我的包裹到哪了？", "zh", False),
     ("那退货呢", "zh", True), ("那退貨呢？", "zh", True), ("還有這個怎麼辦", "zh", True)],
)
def test_follow_ups_are_recognised(text, language, expected):
    assert (follow_up_kind(text, language) is not None) is expected


@pytest.mark.parametrize(("text", "language", "core"), [
    ("那退货呢", "zh", "退货"), ("那退貨呢？", "zh", "退貨"), ("那么，打折商品呢？", "zh", "打折商品"),
    ("还有运费呢?", "zh", "运费"), ("香港呢？", "zh", "香港"), ("呢？", "zh", "呢？"),
    ("要多久？", "zh", "要多久"), ("what about in Hong Kong?", "en", "what about in Hong Kong?"),
])
def test_a_chinese_follow_up_is_searched_without_the_words_that_point_back(text, language, core):
    assert follow_up_core(text, language) == core


async def test_a_follow_up_never_repeats_the_article_it_follows(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(services).run(
        dispatcher, tracker("and how long does that take?", "ask_question",
                            slots={"current_article": "track-shipment-en"}), {})
    [message] = dispatcher.messages
    assert message["custom"].get("article_id") != "track-shipment-en"
    assert SlotSet("current_article", "track-shipment-en") not in events


class ScriptedKnowledge:
    """Decides from a script keyed on whether the query was completed with the current article's title."""

    def __init__(self, kb, contextual, standalone):
        self.kb, self.script, self.calls = kb, {True: contextual, False: standalone}, []

    async def decide(self, question, language=None, k=3, exclude=()):
        from knowledge_base import Decision

        self.calls.append((question, tuple(exclude)))
        outcome, article_id, confidence = self.script["Where is my parcel?" in question]
        hit = (await self.kb.decide("x", "en", k=10)).hits
        hits = tuple(sorted(hit, key=lambda h: h.article.id != article_id))
        return Decision(outcome, "en", hits, confidence)

    def published_article(self, article_id):
        return self.kb.published_article(article_id)


@pytest.mark.parametrize(("contextual", "standalone", "answered", "completed"), [
    (("answer", "refund-timing-en", 0.8), ("clarify", "reset-password-en", 0.3), "refund-timing-en", True),
    (("unsure", "refund-timing-en", 0.1), ("answer", "reset-password-en", 0.9), "reset-password-en", False),
    # the message points back, but read on its own it is answered where the topic only finds "did you mean"
    (("clarify", "refund-timing-en", 0.3), ("answer", "reset-password-en", 0.9), "reset-password-en", False),
    (("answer", "refund-timing-en", 0.5), ("answer", "reset-password-en", 0.9), "refund-timing-en", True),
])
async def test_the_stronger_reading_of_a_follow_up_wins(services, small_kb, contextual, standalone, answered,
                                                      completed):
    from dataclasses import replace

    from knowledge_base import Outcome

    script = ScriptedKnowledge(small_kb, (Outcome(contextual[0]), *contextual[1:]),
                               (Outcome(standalone[0]), *standalone[1:]))
    dispatcher = CollectingDispatcher()
    await ActionAnswerFromKB(replace(services, knowledge=script)).run(
        dispatcher, tracker("and how long does that take?", "ask_question",
                            slots={"current_article": "track-shipment-en"}), {})
    [message] = dispatcher.messages
    assert message["custom"]["article_id"] == answered and message["custom"]["follow_up_of"] == "track-shipment-en"
    assert message["custom"]["completed_from_context"] is completed
    assert all(exclude == ("track-shipment-en",) for _, exclude in script.calls) and len(script.calls) == 2


@pytest.mark.parametrize(("current", "searched"), [
    (None, [("退货", ())]),  # a new conversation: what the message names
    ("refund-timing-zh", None),  # after an answer: the message and the message completed with the topic
])
async def test_a_chinese_follow_up_is_searched_for_what_it_names(services, small_kb, current, searched):
    from dataclasses import replace

    from knowledge_base import Outcome

    script = ScriptedKnowledge(small_kb, (Outcome.CLARIFY, "refund-timing-en", 0.3),
                               (Outcome.ANSWER, "reset-password-en", 0.9))
    dispatcher = CollectingDispatcher()
    await ActionAnswerFromKB(replace(services, knowledge=script)).run(
        dispatcher, tracker("那退货呢？", "ask_question", slots={"language": "zh", "current_article": current}), {})
    if searched is not None:
        assert script.calls == searched
    else:
        title = small_kb.published_article(current).title
        assert sorted(q for q, _ in script.calls) == sorted(["退货", f"{title} 退货"])


# -- rejected answers and feedback ----------------------------------------------------------------

def _after_answer(article_id: str, question: str, **slots):
    return {"current_article": article_id, "last_question": question, "shown_articles": [article_id],
            "feedback_pending": True, **slots}


async def test_rejecting_an_answer_gives_the_next_best_never_the_same(services):
    dispatcher = CollectingDispatcher()
    events = await ActionRejectAnswer(services).run(
        dispatcher, tracker("that's not what I asked", "reject_answer",
                            slots=_after_answer("refund-timing-en", "When will my money arrive?")), {})
    [message] = dispatcher.messages
    assert decision_of(message).feedback.to_json() == {"article_id": "refund-timing-en", "helpful": False}
    if message["custom"]["outcome"] == "answer":
        assert message["custom"]["article_id"] != "refund-timing-en" and message["custom"]["next_best"]
        shown = next(e["value"] for e in events if e.get("name") == "shown_articles")
        assert shown[0] == "refund-timing-en" and len(shown) == 2
    else:
        assert message["custom"]["outcome"] == "rephrase"
    assert SlotSet("failed_turns", 1) in events


async def test_a_second_failure_in_a_row_offers_a_person(services):
    dispatcher = CollectingDispatcher()
    events = await ActionRejectAnswer(services).run(
        dispatcher, tracker("不是这个", "reject_answer", slots=_after_answer(
            "refund-timing-zh", "退款多久到账？", failed_turns=1, language="zh")), {})
    [message] = dispatcher.messages
    assert message["custom"]["offer_reason"] == "low_confidence" and "人工" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/request_human", "/deny"]
    assert SlotSet("handoff_offered", True) in events and SlotSet("failed_turns", 2) in events


async def test_an_unsure_turn_counts_as_a_failure_and_the_second_says_so(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(services).run(
        dispatcher, tracker("what's the weather on Mars", "nlu_fallback", slots={"failed_turns": 1}), {})
    [message] = dispatcher.messages
    assert message["custom"]["outcome"] == "unsure" and message["custom"]["failed_turns"] == 2
    assert "don't seem to be able to help" in message["text"]
    assert SlotSet("failed_turns", 2) in events and SlotSet("handoff_offered", True) in events


async def test_positive_feedback_is_recorded_and_resets_failures(services):
    dispatcher = CollectingDispatcher()
    events = await ActionRecordFeedback(services).run(
        dispatcher, tracker("/affirm", "affirm",
                            slots=_after_answer("refund-timing-en", "refund?", failed_turns=1)), {})
    assert decision_of(dispatcher.messages[0]).feedback.to_json() == {"article_id": "refund-timing-en",
                                                                       "helpful": True}
    assert SlotSet("feedback_pending", False) in events and SlotSet("failed_turns", 0) in events


async def test_rejecting_with_nothing_answered_asks_what_was_meant(services):
    dispatcher = CollectingDispatcher()
    await ActionRejectAnswer(services).run(dispatcher, tracker("that's not it", "reject_answer"), {})
    assert dispatcher.messages[0]["text"] == "Sorry about that. What would you like to know?"


# -- frustration ---------------------------------------------------------------------------------

async def test_medium_frustration_apologises_and_offers_a_person_with_the_answer(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(services).run(
        dispatcher, tracker("Where is my parcel? still waiting", "ask_question",
                            metadata=frustration("medium", 0.6, "angry_language")), {})
    [message] = dispatcher.messages
    assert message["text"].startswith("I'm sorry this has been frustrating.")
    assert "Answer of track-shipment-en." in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/request_human", "/deny"]
    assert message["custom"]["offer_reason"] == "frustrated"
    assert SlotSet("handoff_offered", True) in events and SlotSet("feedback_pending", False) in events


async def test_high_frustration_hands_off_with_high_priority_an_apology_and_the_reasons(services):
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff(services).run(
        dispatcher, tracker("WHERE IS MY REFUND??? useless", "ask_question", slots={"order_number": "12345678"},
                            metadata=frustration("high", 0.93, "shouting", "angry_language")), {})
    assert ConversationPaused() in events
    [message] = dispatcher.messages
    request = decision_of(message).handoff
    assert request.reason == "frustrated" and request.priority == "high"
    assert request.frustration["reasons"] == ["shouting", "angry_language"]
    assert request.slots["order_number"] == "12345678"
    assert message["text"].startswith("I'm sorry this has been frustrating. I'm connecting you")


async def test_an_outburst_in_chinese_gets_one_apology_before_the_transfer(services):
    dispatcher = CollectingDispatcher()
    metadata = {"language": "zh", **frustration("high", 0.95, "abusive_language")}
    await ActionHandoff(services).run(dispatcher, tracker("垃圾客服！！！我要投诉", "complain", metadata=metadata), {})
    [message] = dispatcher.messages
    assert message["text"].startswith("非常抱歉给您带来不好的体验。正在为您转接人工客服")
    assert message["text"].count("抱歉") == 1


async def test_high_frustration_on_a_rejection_hands_off_instead_of_guessing_again(services):
    dispatcher = CollectingDispatcher()
    events = await ActionRejectAnswer(services).run(
        dispatcher, tracker("no!!! wrong again", "deny", slots=_after_answer("refund-timing-en", "refund?"),
                            metadata=frustration("high", 0.9, "shouting")), {})
    assert ConversationPaused() in events
    decision = decision_of(dispatcher.messages[0])
    assert decision.feedback.helpful is False and decision.handoff.priority == "high"


async def test_accepting_an_offer_made_to_a_frustrated_customer_records_frustration(services):
    dispatcher = CollectingDispatcher()
    await ActionHandoff(services).run(dispatcher, tracker(
        "yes", "affirm", slots={"handoff_offered": True, "offer_reason": "frustrated"}), {})
    request = decision_of(dispatcher.messages[0]).handoff
    assert request.reason == "frustrated" and request.priority == "normal"
    assert not dispatcher.messages[0]["text"].startswith("I'm sorry")  # they accepted an offer: no new apology


async def test_a_complaint_gets_an_apology_and_an_offer(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeComplaint(services).run(
        dispatcher, tracker("你们的服务太差了", "complain", slots={"language": "zh"}), {})
    assert "抱歉" in dispatcher.messages[0]["text"] and dispatcher.messages[0]["custom"]["offer_reason"] == "frustrated"
    assert SlotSet("handoff_offered", True) in events


async def test_an_answer_queues_listening_but_a_handoff_does_not(services):
    from rasa_sdk.events import FollowupAction

    answered = await ActionAnswerFromKB(services).run(CollectingDispatcher(),
                                                      tracker("Where is my parcel?", "ask_question"), {})
    assert answered[-1] == FollowupAction("action_listen")  # Rasa need not predict what comes next
    handed = await ActionHandoff(services).run(CollectingDispatcher(), tracker("agent", "request_human"), {})
    assert ConversationPaused() in handed and FollowupAction("action_listen") not in handed
