"""The custom actions run on real rasa_sdk Trackers, against a real (small) knowledge base and database."""

import pytest
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import ActionAnswerFromKB, ActionDeclineHandoff, ActionHandoff, ActionServices
from bot.actions.slots import ValidatePredefinedSlots
from handoff import HandoffReason, HandoffStatus
from knowledge_base import AnswerPolicy
from tests.factories import tracker


@pytest.fixture
def services(small_kb, handoffs):
    small_kb._policy = AnswerPolicy(answer_en=0.5, answer_zh=0.5)
    return ActionServices(knowledge=small_kb, handoffs=handoffs)


async def test_answer_carries_the_article_and_score(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(services).run(dispatcher, tracker("Where is my parcel?", "ask_question"), {})
    [message] = dispatcher.messages
    assert message["text"] == "Answer of track-shipment-en."
    assert message["custom"]["article_id"] == "track-shipment-en"
    assert message["custom"]["outcome"] == "answer" and message["custom"]["score"] >= 0.5
    assert SlotSet("current_article", "track-shipment-en") in events
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


async def test_a_failing_knowledge_base_never_crashes_the_turn(handoffs):
    class Broken:
        async def decide(self, question, language=None, k=3):
            raise RuntimeError("index gone")

    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(ActionServices(Broken(), handoffs)).run(
        dispatcher, tracker("Where is my parcel?", "ask_question"), {})
    assert dispatcher.messages[0]["custom"]["outcome"] == "error"
    assert SlotSet("handoff_offered", True) in events


@pytest.mark.parametrize(
    ("text", "intent", "offered", "reason"),
    [
        ("I want to speak to a person", "request_human", False, HandoffReason.CUSTOMER_REQUEST),
        ("I want to speak to a person", "request_human", True, HandoffReason.CUSTOMER_REQUEST),
        ("/request_human", "request_human", True, HandoffReason.LOW_CONFIDENCE),
        ("yes please", "affirm", True, HandoffReason.LOW_CONFIDENCE),
        ("this is ridiculous", "complain", False, HandoffReason.FRUSTRATED),
    ],
)
async def test_handoff_records_the_reason_and_pauses_the_bot(services, handoffs, text, intent, offered, reason):
    dispatcher = CollectingDispatcher()
    t = tracker(text, intent, slots={"handoff_offered": offered, "order_number": "12345678"})
    events = await ActionHandoff(services).run(dispatcher, t, {})
    assert ConversationPaused() in events
    handoff = await handoffs.open_for("conv-1")
    assert handoff is not None and handoff.status is HandoffStatus.QUEUED and handoff.reason is reason
    assert handoff.details["slots"]["order_number"] == "12345678"
    assert dispatcher.messages[0]["custom"]["handoff"]["reason"] == reason.value


async def test_handoff_twice_keeps_one_open_handoff(services, handoffs):
    for _ in range(2):
        await ActionHandoff(services).run(CollectingDispatcher(), tracker("agent", "request_human"), {})
    assert len(await handoffs.open_handoffs()) == 1


async def test_handoff_that_cannot_be_recorded_does_not_pause(small_kb):
    class Down:
        async def request(self, *args, **kwargs):
            raise ConnectionError("database down")

    dispatcher = CollectingDispatcher()
    events = await ActionHandoff(ActionServices(small_kb, Down())).run(
        dispatcher, tracker("agent please", "request_human"), {})
    assert ConversationPaused() not in events
    assert "400-820-1234" in dispatcher.messages[0]["text"]


async def test_decline_resets_the_offer(services):
    dispatcher = CollectingDispatcher()
    events = await ActionDeclineHandoff(services).run(
        dispatcher, tracker("不用了", "deny", slots={"handoff_offered": True, "language": "zh"}), {})
    assert events == [SlotSet("handoff_offered", False)]
    assert "换个说法" in dispatcher.messages[0]["text"]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [("我的退款什么时候到账？", "ask_question", [SlotSet("language", "zh")]),
     ("where is my parcel", "ask_question", [SlotSet("language", "en")]),
     ("/deny", "deny", []),
     ("EXTERNAL: EXTERNAL_handoff_resolved", "EXTERNAL_handoff_resolved", [])],
)
async def test_language_slot_follows_the_customer(text, intent, expected):
    t = tracker(text, intent)
    events = await ValidatePredefinedSlots().run(CollectingDispatcher(), t, {"slots": {}, "forms": {}})
    assert [e for e in events if e.get("name") == "language"] == expected


async def test_clarify_offers_the_closest_articles_as_buttons(services, small_kb):
    from dataclasses import replace

    from knowledge_base import Decision, Outcome

    class Unsure:
        async def decide(self, question, language=None, k=3):
            decision = await small_kb.decide(question, language, k)
            return Decision(Outcome.CLARIFY, decision.language, decision.hits, confidence=0.3)

        def published_article(self, article_id):
            return small_kb.published_article(article_id)

    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(replace(services, knowledge=Unsure())).run(
        dispatcher, tracker("refund parcel", "ask_question"), {})
    [message] = dispatcher.messages
    assert message["custom"]["outcome"] == "clarify" and len(message["custom"]["choices"]) == 3
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[0] == f'/choose_article{{"article_id": "{message["custom"]["choices"][0]}"}}'
    assert payloads[-1] == "/request_human"
    assert SlotSet("handoff_offered", True) in events


async def test_a_chosen_article_is_answered_directly(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKB(services).run(
        dispatcher, tracker('/choose_article{"article_id": "reset-password-en"}', "choose_article",
                            entities={"article_id": "reset-password-en"}), {})
    assert dispatcher.messages[0]["custom"]["article_id"] == "reset-password-en"
    assert dispatcher.messages[0]["custom"]["chosen_by_customer"] is True
    assert SlotSet("current_article", "reset-password-en") in events


async def test_choosing_an_unpublished_article_falls_back_to_search(services):
    dispatcher = CollectingDispatcher()
    await ActionAnswerFromKB(services).run(
        dispatcher, tracker("Where is my parcel?", "choose_article", entities={"article_id": "gone-en"}), {})
    assert dispatcher.messages[0]["custom"]["article_id"] == "track-shipment-en"
