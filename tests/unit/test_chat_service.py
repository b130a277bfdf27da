"""The conversation loop with a scripted stand-in for Rasa (the real one is in tests/integration)."""

import pytest

from bot.turn import NluResult
from faqbot.conversations import Sender
from faqbot.conversations.hub import AGENTS_TOPIC, conversation_topic
from faqbot.errors import AccessDenied, InvalidMessage
from handoff import HandoffReason, HandoffStatus, InvalidHandoffTransition


async def test_bot_turn_stores_both_sides_with_annotations(chat):
    conversation, token = await chat.start(page_url="https://shop.example/help")
    result = await chat.customer_message(conversation.id, "where is my parcel?")
    customer, bot = result.messages
    assert (customer.seq, customer.sender, bot.seq, bot.sender) == (1, Sender.CUSTOMER, 2, Sender.BOT)
    assert customer.data["intent"] == "ask_question" and customer.data["confidence"] == 0.93
    assert bot.data["article_id"] == "a-en" and bot.data["score"] == 0.9
    history = await chat.history(conversation.id)
    assert [m.seq for m in history] == [1, 2] and history[0].data["intent"] == "ask_question"


async def test_token_is_checked(chat):
    conversation, token = await chat.start()
    assert (await chat.authenticate(conversation.id, token)).id == conversation.id
    for wrong in (None, "", "x" * 43):
        with pytest.raises(AccessDenied):
            await chat.authenticate(conversation.id, wrong)


@pytest.mark.parametrize(("text", "code"), [("", "empty_message"), ("   \n", "empty_message"),
                                            ("x" * 2001, "message_too_long")])
async def test_bad_messages_are_refused_and_not_stored(chat, text, code):
    conversation, _ = await chat.start()
    with pytest.raises(InvalidMessage) as info:
        await chat.customer_message(conversation.id, text)
    assert info.value.code == code
    assert await chat.history(conversation.id) == []


async def test_dead_rasa_hands_off_and_keeps_the_message(chat, rasa, handoffs, hub):
    conversation, _ = await chat.start()
    rasa.down = True
    async with hub.subscribe(AGENTS_TOPIC) as agents_feed:
        result = await chat.customer_message(conversation.id, "my order never came")
        assert result.handoff is not None and result.handoff.reason is HandoffReason.BOT_UNAVAILABLE
        events = [agents_feed.queue.get_nowait() for _ in range(agents_feed.queue.qsize())]
    # the bot is down and no agent is online: the customer is told both, and offered an offline message
    assert [m.sender for m in result.messages] == [Sender.CUSTOMER, Sender.SYSTEM, Sender.SYSTEM]
    assert "unavailable" in result.messages[1].text and result.messages[2].data["offline_form"] is True
    assert [m.text for m in await chat.history(conversation.id)][0] == "my order never came"
    assert any(e["type"] == "handoff" for e in events)
    # the next message goes to the queue, not to the dead bot
    again = await chat.customer_message(conversation.id, "hello?")
    assert [m.sender for m in again.messages] == [Sender.CUSTOMER] and again.handoff.id == result.handoff.id


async def test_full_handoff_round_trip(chat, desk, rasa, agents, hub, handoffs):
    agent = await agents.create("alice", "secret-pw", display_name="Alice")
    conversation, _ = await chat.start()
    await chat.customer_message(conversation.id, "where is my parcel?")
    result = await chat.customer_message(conversation.id, "I want a person")
    handoff = result.handoff
    assert handoff.status is HandoffStatus.QUEUED

    waiting = await chat.customer_message(conversation.id, "still there?")
    assert rasa.sent == ["where is my parcel?", "I want a person"]  # not sent to the bot
    assert waiting.messages[0].sender is Sender.CUSTOMER

    view = (await desk.open_views())[0]
    assert view.summary == "still there?" and view.handoff.id == handoff.id

    async with hub.subscribe(conversation_topic(conversation.id)) as customer_feed:
        await desk.claim(handoff.id, agent)
        reply = await desk.agent_message(handoff.id, agent, "Hi, Alice here.")
        received = [customer_feed.queue.get_nowait()["message"] for _ in range(customer_feed.queue.qsize())]
    assert [m["sender"] for m in received] == ["system", "agent"]
    assert received[1]["text"] == "Hi, Alice here." and received[1]["seq"] == reply.seq

    resolved, messages = await desk.resolve(handoff.id, agent, note="told them the tracking number")
    assert resolved.status is HandoffStatus.RESOLVED and resolved.note == "told them the tracking number"
    assert resolved.first_reply_at is not None
    assert [m.sender for m in messages] == [Sender.SYSTEM, Sender.BOT]
    assert messages[1].data["rating_request"] == handoff.id
    assert rasa.resumed == [conversation.id]
    after = await chat.customer_message(conversation.id, "how do I reset my password")
    assert after.handoff is None and after.messages[1].sender is Sender.BOT

    transcript = await chat.history(conversation.id)
    assert [m.seq for m in transcript] == list(range(1, len(transcript) + 1))
    _, events = await handoffs.history(conversation.id)
    assert [e.kind.value for e in events] == ["queued", "assigned", "first_reply", "resolved"]


async def test_only_the_claiming_agent_may_reply_or_resolve(chat, desk, agents):
    alice = await agents.create("alice", "secret-pw")
    bob = await agents.create("bob", "secret-pw")
    conversation, _ = await chat.start()
    handoff = (await chat.customer_message(conversation.id, "a person please")).handoff
    with pytest.raises(InvalidHandoffTransition):
        await desk.agent_message(handoff.id, alice, "not claimed yet")
    await desk.claim(handoff.id, alice)
    with pytest.raises(InvalidHandoffTransition):
        await desk.claim(handoff.id, bob)
    with pytest.raises(InvalidHandoffTransition):
        await desk.resolve(handoff.id, bob)


async def test_resolve_while_rasa_is_down_resumes_the_bot_on_the_next_message(chat, desk, rasa, agents):
    alice = await agents.create("alice", "secret-pw")
    conversation, _ = await chat.start()
    handoff = (await chat.customer_message(conversation.id, "a person please")).handoff
    await desk.claim(handoff.id, alice)
    rasa.down = True
    resolved, messages = await desk.resolve(handoff.id, alice)
    assert resolved.status is HandoffStatus.RESOLVED and [m.sender for m in messages] == [Sender.SYSTEM]
    rasa.down = False
    result = await chat.customer_message(conversation.id, "where is my parcel?")
    assert rasa.resumed == [conversation.id]
    assert result.handoff is None and result.messages[1].text == "An answer."


async def test_a_button_press_stores_its_title_and_sends_its_payload(chat, rasa):
    conversation, _ = await chat.start()
    answer = (await chat.customer_message(conversation.id, "where is my parcel?")).messages[1]
    result = await chat.customer_message(conversation.id, "typed title is ignored", payload="/affirm",
                                         reply_to=answer.seq)
    pressed = result.messages[0]
    assert pressed.text == "👍 Yes" and pressed.data["payload"] == "/affirm" and pressed.data["reply_to"] == answer.seq
    assert rasa.buttons == ["/affirm"] and rasa.sent == ["where is my parcel?", "/affirm"]
    rated = [m for m in await chat.history(conversation.id) if m.seq == answer.seq][0]
    assert rated.data["helpful"] is True
    with pytest.raises(InvalidMessage):
        await chat.customer_message(conversation.id, "x", payload="no slash")


async def test_typed_text_that_looks_like_a_payload_is_sent_as_text(chat, rasa):
    conversation, _ = await chat.start()
    await chat.customer_message(conversation.id, '/greet{"order_number": "INJ"}')
    assert rasa.sent == ['/greet{"order_number": "INJ"}'] and rasa.buttons == []


async def test_only_buttons_the_bot_sent_are_accepted(chat, rasa):
    conversation, _ = await chat.start()
    with pytest.raises(InvalidMessage) as nothing_sent:
        await chat.customer_message(conversation.id, "hi", payload='/greet{"order_number": "INJ"}')
    answer = (await chat.customer_message(conversation.id, "where is my parcel?")).messages[1]
    with pytest.raises(InvalidMessage) as forged:
        await chat.customer_message(conversation.id, "hi", payload='/greet{"order_number": "INJ"}',
                                    reply_to=answer.seq)
    with pytest.raises(InvalidMessage):  # reply_to names the customer's own message
        await chat.customer_message(conversation.id, "👍 Yes", payload="/affirm", reply_to=answer.seq - 1)
    assert nothing_sent.value.code == forged.value.code == "unknown_button" and nothing_sent.value.status_code == 422
    assert rasa.buttons == [] and len(await chat.history(conversation.id)) == 2  # nothing stored for them


async def test_thumbs_up_on_an_earlier_answer_is_feedback_on_that_answer_only(chat, rasa):
    conversation, _ = await chat.start()
    first = (await chat.customer_message(conversation.id, "where is my parcel?")).messages[1]
    second = (await chat.customer_message(conversation.id, "and my refund?")).messages[1]
    result = await chat.customer_message(conversation.id, "👍", payload="/affirm", reply_to=first.seq)
    pressed, ack = result.messages
    assert pressed.data["feedback"] == {"article_id": "a-en", "helpful": True} and ack.sender is Sender.BOT
    assert rasa.buttons == []  # never read as "yes" to the latest question
    stored = {m.seq: m for m in await chat.history(conversation.id)}
    assert stored[first.seq].data["helpful"] is True and "helpful" not in stored[second.seq].data
    # pressed again, 👎 this time: the answer keeps one verdict, the latest
    await chat.customer_message(conversation.id, "👎", payload="/deny", reply_to=first.seq)
    assert (await chat.history(conversation.id))[first.seq - 1].data["helpful"] is False


async def test_a_stale_button_is_refused_and_nothing_changes(chat, rasa):
    from faqbot.errors import StaleButton

    conversation, _ = await chat.start()
    answer = (await chat.customer_message(conversation.id, "where is my parcel?")).messages[1]
    rasa_said = answer.data["buttons"]
    assert rasa_said[1]["payload"] == "/deny"
    # an offer of a person, then the customer moves on: its button is no longer current
    offer = (await chat.customer_message(conversation.id, "hello")).messages[1]
    await chat._conversations.annotate(conversation.id, offer.seq, {
        "buttons": [{"title": "Talk to a person", "payload": "/request_human"}]})
    await chat.customer_message(conversation.id, "never mind")
    before = await chat.history(conversation.id)
    with pytest.raises(StaleButton) as stale:
        await chat.customer_message(conversation.id, "Talk to a person", payload="/request_human",
                                    reply_to=offer.seq)
    assert stale.value.status_code == 409 and stale.value.code == "stale_button"
    assert await chat.history(conversation.id) == before and "/request_human" not in rasa.sent


async def test_a_turn_annotates_the_customer_message_and_stores_replies_together(chat, rasa):
    conversation, _ = await chat.start()
    result = await chat.customer_message(conversation.id, "我的退款什么时候到账？")
    customer = (await chat.history(conversation.id))[0]
    assert customer.data["intent"] == "ask_question" and customer.data["frustration"]["level"] == "low"
    assert customer.data["language"] == "zh" and rasa.metadata[-1]["language"] == "zh"
    assert [m.seq for m in result.messages] == [1, 2]


async def test_traditional_chinese_is_answered_in_traditional_characters(chat, rasa):
    from faqbot.rasa_gateway import BotReply, BotTurn

    async def answer_in_simplified(conversation_id, text, metadata=None, *, button=False):
        return BotTurn([BotReply("退款会在3个工作日内到账。", buttons=[{"title": "👍 有帮助", "payload": "/affirm"}])],
                       NluResult("ask_question", 0.9, ()))

    rasa.send = answer_in_simplified
    conversation, _ = await chat.start()
    reply = (await chat.customer_message(conversation.id, "我的退款什麼時候到賬？")).messages[1]
    assert reply.text == "退款會在3個工作日內到賬。" and reply.data["buttons"][0]["title"] == "👍 有幫助"
    assert (await chat.status(conversation.id))[0].script == "hant"
    # a message with no traditional-only characters keeps the conversation's script
    reply = (await chat.customer_message(conversation.id, "好的")).messages[1]
    assert reply.text == "退款會在3個工作日內到賬。"


async def test_the_handoff_the_bot_asks_for_is_opened_once_by_the_service(chat, handoffs):
    conversation, _ = await chat.start()
    result = await chat.customer_message(conversation.id, "I want a person")
    assert result.handoff is not None and result.handoff.reason is HandoffReason.CUSTOMER_REQUEST
    assert result.handoff.category == "shipping" and len(await handoffs.open_handoffs()) == 1


async def test_a_handoff_that_cannot_be_recorded_unpauses_the_bot_and_says_so(chat, rasa, handoffs):
    async def broken(*args, **kwargs):
        raise ConnectionError("database down")

    handoffs.request = broken
    conversation, _ = await chat.start()
    result = await chat.customer_message(conversation.id, "I want a person")
    assert result.handoff is None and rasa.resumed == [conversation.id]
    assert "400-820-1234" in result.messages[-1].text and result.messages[-1].data["outcome"] == "handoff_failed"
    assert all("handoff" not in m.data for m in result.messages)
