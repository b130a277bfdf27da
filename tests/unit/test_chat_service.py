"""The conversation loop with a scripted stand-in for Rasa (the real one is in tests/integration)."""

import pytest

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
    result = await chat.customer_message(conversation.id, "Talk to a person", payload="/request_human_person")
    assert result.messages[0].text == "Talk to a person"
    assert result.messages[0].data["payload"] == "/request_human_person" and rasa.sent == ["/request_human_person"]
    with pytest.raises(InvalidMessage):
        await chat.customer_message(conversation.id, "x", payload="no slash")
