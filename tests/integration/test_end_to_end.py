"""The judged path, over HTTP and a real WebSocket, against the real Rasa server and web service."""

import asyncio
import json

import websockets

from tests.live import AgentClient, Customer


async def next_message(ws, timeout: float = 15, *, from_customer: bool = False) -> dict:
    """The next message event (by default the next one not written by the customer)."""
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if event.get("type") == "message" and (from_customer or event["message"]["sender"] != "customer"):
            return event["message"]


def bot_replies(turn: dict) -> list[dict]:
    return [m for m in turn["messages"] if m["sender"] == "bot"]


async def test_customer_bot_agent_and_back(live):
    customer = Customer(live.web_url)
    agent = AgentClient(live.web_url)

    parcel = customer.say("where is my parcel?")
    [answer] = bot_replies(parcel)
    assert answer["data"]["article_id"] == "track-shipment-en" and answer["data"]["score"] >= 0.4
    assert "tracking number" in answer["text"]
    assert parcel["messages"][0]["data"]["intent"] == "ask_question"

    refund = customer.say("我的退款多久能到账？")
    [answer_zh] = bot_replies(refund)
    assert answer_zh["data"]["article_id"] == "refund-timing-zh" and "退款" in answer_zh["text"]

    handoff_turn = customer.say("I want to speak to a person")
    assert handoff_turn["mode"] == "human" and handoff_turn["handoff"]["reason"] == "customer_request"
    assert "connecting you" in bot_replies(handoff_turn)[0]["text"]

    async with websockets.connect(customer.events_url(after=handoff_turn["messages"][-1]["seq"])) as ws:
        waiting = customer.say("are you still there?")
        assert waiting["mode"] == "human" and len(waiting["messages"]) == 1  # to the agent, not the bot

        handoff = agent.handoff_for(customer.id)
        assert handoff["status"] == "queued" and handoff["summary"] == "are you still there?"
        transcript = agent.detail(handoff["id"])["transcript"]
        assert [m["text"] for m in transcript if m["sender"] == "customer"] == [
            "where is my parcel?", "我的退款多久能到账？", "I want to speak to a person", "are you still there?"]
        bot_turns = [m for m in transcript if m["sender"] == "bot"]
        assert bot_turns[0]["data"]["article_id"] == "track-shipment-en"
        assert all(m["data"].get("intent") and m["data"].get("confidence") for m in transcript[:6])

        agent.post(f"/api/agent/handoffs/{handoff['id']}/claim")
        joined = await next_message(ws)
        assert joined["sender"] == "system" and "Alice" in joined["text"]

        agent.post(f"/api/agent/handoffs/{handoff['id']}/messages", json={"text": "Hi, Alice here. Let me check."})
        live_reply = await next_message(ws)
        assert (live_reply["sender"], live_reply["text"]) == ("agent", "Hi, Alice here. Let me check.")

        agent.post(f"/api/agent/handoffs/{handoff['id']}/resolve")
        resolved = await next_message(ws)
        welcome = await next_message(ws)
        assert resolved["data"]["event"] == "handoff_resolved"
        assert welcome["sender"] == "bot" and "virtual assistant" in welcome["text"]

    after = customer.say("how do I reset my password")
    assert after["mode"] == "bot"
    assert bot_replies(after)[0]["data"]["article_id"] == "reset-password-en"
    seqs = [m["seq"] for m in customer.history()]
    assert seqs == list(range(1, len(seqs) + 1))


async def test_reconnecting_client_misses_nothing(live):
    customer = Customer(live.web_url)
    customer.say("hello")
    first = customer.history()
    async with websockets.connect(customer.events_url(after=first[0]["seq"])) as ws:
        replayed = await next_message(ws, from_customer=True)
    assert replayed["seq"] == first[1]["seq"]
    customer.say("where is my parcel?")  # sent while disconnected
    async with websockets.connect(customer.events_url(after=first[-1]["seq"])) as ws:
        missed = [await next_message(ws, from_customer=True), await next_message(ws, from_customer=True)]
    assert [m["text"] for m in missed][0] == "where is my parcel?" and missed[1]["sender"] == "bot"


async def test_low_confidence_then_accepting_the_offer(live):
    customer = Customer(live.web_url)
    unsure = bot_replies(customer.say("what is the capital of france"))[0]
    assert unsure["data"]["outcome"] == "unsure"
    assert "/request_human" in [b["payload"] for b in unsure["data"]["buttons"]]
    accepted = customer.say("yes")
    assert accepted["mode"] == "human" and accepted["handoff"]["reason"] == "low_confidence"


async def test_pressing_the_offer_button_hands_off_showing_its_title(live):
    customer = Customer(live.web_url)
    unsure = bot_replies(customer.say("how do I train my puppy to sit"))[0]
    person = next(b for b in unsure["data"]["buttons"] if b["payload"] == "/request_human")
    response = customer.http.post(f"/api/conversations/{customer.id}/messages",
                                  json={"text": person["title"], "payload": person["payload"]}).json()
    assert response["messages"][0]["text"] == "Talk to a person"
    assert response["mode"] == "human" and response["handoff"]["reason"] == "low_confidence"


async def test_declining_the_offer_keeps_the_bot(live):
    customer = Customer(live.web_url)
    customer.say("tell me a joke about penguins")
    declined = customer.say("no thanks")
    assert declined["mode"] == "bot" and bot_replies(declined)
    assert bot_replies(customer.say("how much is shipping"))[0]["data"]["article_id"] == "shipping-costs-en"


async def test_small_talk_in_the_customer_language(live):
    customer = Customer(live.web_url)
    assert "智能客服" in bot_replies(customer.say("你好"))[0]["text"]
    assert "assistant" in bot_replies(customer.say("hello"))[0]["text"]
