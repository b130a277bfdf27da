"""Past FAQBOT_MAX_CONVERSATION_MESSAGES the bot stops, nothing is lost, and the customer is offered a person
or a fresh start (issue 13, finding 2)."""

from faqbot.conversation_cap import NEW_CONVERSATION, REQUEST_HUMAN, ConversationCap
from faqbot.conversations import ConversationStore, Sender
from faqbot.messenger import Messenger


def make_cap(engine, handoffs, hub, desk, max_messages=6):
    return ConversationCap(ConversationStore(engine), handoffs, Messenger(ConversationStore(engine), hub), desk,
                           max_messages)


async def as_read(engine, conversation):
    """The conversation as the request's authentication reads it (what the API gives the cap)."""
    return await ConversationStore(engine).get(conversation.id)


async def test_a_long_conversation_stops_reaching_the_bot_and_offers_a_person_or_a_restart(
        engine, chat, handoffs, hub, desk, rasa):
    cap = make_cap(engine, handoffs, hub, desk)
    conversation, _ = await chat.start()
    for question in ("where is my parcel?", "and the refund?", "how long?"):
        assert await cap.intercept(await as_read(engine, conversation), question, None) is None
        await chat.customer_message(conversation.id, question)
    asked = len(rasa.sent)
    turn = await cap.intercept(await as_read(engine, conversation), "one more question", None)
    assert turn is not None and turn.handoff is None
    customer, notice = turn.messages
    assert customer.sender is Sender.CUSTOMER and customer.text == "one more question"  # kept
    assert notice.data["event"] == "conversation_full"
    assert [b["payload"] for b in notice.data["buttons"]] == [REQUEST_HUMAN, NEW_CONVERSATION]
    assert len(rasa.sent) == asked  # the bot was not asked

    person = await cap.intercept(await as_read(engine, conversation), "Talk to a person", REQUEST_HUMAN)
    assert person.handoff is not None and person.handoff.reason.value == "customer_request"
    assert len(rasa.sent) == asked
    # a person has it now
    assert await cap.intercept(await as_read(engine, conversation), "are you there?", None) is None
    texts = [m.text for m in await chat.history(conversation.id)]
    assert "one more question" in texts and "Talk to a person" in texts


async def test_chinese_customers_are_offered_it_in_chinese(engine, chat, handoffs, hub, desk):
    cap = make_cap(engine, handoffs, hub, desk, max_messages=2)
    conversation, _ = await chat.start(language="zh")
    await chat.customer_message(conversation.id, "我的快递到哪了？")
    turn = await cap.intercept(await as_read(engine, conversation), "还有一个问题", None)
    assert "转人工" in turn.messages[1].data["buttons"][0]["title"]
