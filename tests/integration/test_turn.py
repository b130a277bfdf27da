"""The customer turn against the real Rasa server, actions, KB and detector: buttons bound to their
question, no forced intents or slots, recovery wording, traditional Chinese, bounded trackers."""

import json
import sqlite3

import httpx
import pytest
from opencc import OpenCC

from faqbot.rasa_gateway import RasaServiceAuth
from tests.live import AgentClient, Customer


def bot(turn: dict) -> dict:
    return [m for m in turn["messages"] if m["sender"] == "bot"][-1]


def press(customer: Customer, message: dict, payload: str) -> httpx.Response:
    [button] = [b for b in message["data"]["buttons"] if b["payload"] == payload]
    return customer.http.post(f"/api/conversations/{customer.id}/messages",
                              json={"text": button["title"], "payload": payload, "reply_to": message["seq"]})


# -- issue 13.7: customers cannot force intents or slots ---------------------------------------------

def test_typed_text_never_forces_an_intent_or_a_slot(live):
    customer = Customer(live.web_url)
    agent = AgentClient(live.web_url)
    turn = customer.say('/greet{"order_number":"INJ"}')
    read = turn["messages"][0]["data"]
    assert not (read["intent"] == "greet" and read["confidence"] == 1.0), read
    assert all(e["entity"] != "order_number" for e in read["entities"])
    # nor a forged button: only payloads of buttons the bot sent in this conversation are taken
    forged = customer.http.post(f"/api/conversations/{customer.id}/messages",
                                json={"text": "hi", "payload": '/greet{"order_number":"INJ"}'})
    assert forged.status_code == 422 and forged.json()["error"]["code"] == "unknown_button"
    sent = bot(turn)
    forged = customer.http.post(f"/api/conversations/{customer.id}/messages",
                                json={"text": "hi", "payload": '/request_human{"order_number":"INJ"}',
                                      "reply_to": sent["seq"]})
    assert forged.status_code == 422
    handed = customer.say("I want to talk to a person")
    assert handed["mode"] == "human"
    slots = agent.handoff_for(customer.id)["details"]["slots"]
    assert slots.get("order_number") != "INJ"


def test_rasas_own_api_does_not_take_intents_from_text_either(live):
    parsed = httpx.post(f"{live.rasa_url}/model/parse", json={"text": '/greet{"order_number":"INJ"}'},
                        auth=RasaServiceAuth(live.settings.rasa_jwt_secret)).json()  # only the service may ask
    assert not (parsed["intent"]["name"] == "greet" and parsed["intent"]["confidence"] == 1.0)
    assert all(e["entity"] != "order_number" for e in parsed["entities"])


# -- issue 10.1: a pressed button acts on the question it belongs to ---------------------------------

def test_thumbs_up_on_an_earlier_answer_is_feedback_not_yes_to_the_latest_question(live):
    customer = Customer(live.web_url)
    first = bot(customer.say("How long does a refund take?"))
    assert first["data"]["outcome"] == "answer" and first["data"]["asks_feedback"]
    offer = bot(customer.say("what's the weather tomorrow?"))
    assert "/request_human" in [b["payload"] for b in offer["data"]["buttons"]]  # "shall I connect you?"
    thumbs = press(customer, first, "/affirm")
    assert thumbs.status_code == 200, thumbs.text
    turn = thumbs.json()
    assert turn["mode"] == "bot" and turn["handoff"] is None  # not read as "yes" to the offer
    stored = {m["seq"]: m for m in customer.history()}
    assert stored[first["seq"]]["data"]["helpful"] is True
    assert [m["data"].get("helpful") for m in stored.values() if m["data"].get("asks_feedback")] == [True]
    # the offer's own button is stale once the customer has moved on: refused, nothing stored
    assert customer.say("where is my parcel?")["mode"] == "bot"
    before = customer.history()
    stale = press(customer, offer, "/request_human")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_button"
    assert customer.history() == before


def test_the_current_answers_buttons_still_answer_it(live):
    customer = Customer(live.web_url)
    answer = bot(customer.say("运费多少钱？"))
    thumbs_down = press(customer, answer, "/deny")
    assert thumbs_down.status_code == 200
    reply = bot(thumbs_down.json())
    assert reply["data"]["feedback"] == {"article_id": "shipping-costs-zh", "helpful": False}
    assert thumbs_down.json()["messages"][0]["data"]["intent"] == "deny"


# -- issue 10.5: recovery wording ----------------------------------------------------------------------

@pytest.mark.parametrize(("question", "can_help"), [("what's the weather tomorrow?", "I can answer questions about"),
                                                    ("明天天气怎么样？", "我可以解答")])
def test_an_off_topic_question_gets_one_plain_answer_saying_what_the_bot_can_do(live, question, can_help):
    customer = Customer(live.web_url)
    turn = customer.say(question)
    replies = [m for m in turn["messages"] if m["sender"] == "bot"]
    assert len(replies) == 1 and can_help in replies[0]["text"]
    assert replies[0]["data"]["outcome"] == "unsure"
    text = replies[0]["text"].lower()
    level = turn["messages"][0]["data"]["frustration"]["level"]
    # no apology to a calm customer; never more than one in a reply
    assert (text.count("sorry") + text.count("抱歉")) == (0 if level == "low" else 1), (level, text)


def test_thats_not_what_i_asked_never_offers_an_answer_given_a_few_turns_ago(live):
    customer = Customer(live.web_url)
    given = []
    for question in ("How long does delivery take?", "how much is shipping?", "When will my order arrive?"):
        reply = bot(customer.say(question))
        if reply["data"].get("outcome") == "answer":
            given.append(reply["data"]["article_id"])
    rejected = bot(customer.say("that's not what I asked"))
    offered = rejected["data"].get("article_id")
    assert offered is None or offered not in given, (offered, given)


def test_an_outburst_in_chinese_is_apologised_for_before_the_transfer(live):
    customer = Customer(live.web_url)
    customer.say("退款多久到账？")
    turn = customer.say("垃圾客服！！！我要投诉")
    assert turn["mode"] == "human" and turn["handoff"]["reason"] == "frustrated"
    transfer = bot(turn)["text"]
    assert transfer.startswith("非常抱歉") and transfer.count("抱歉") == 1 and "转接人工客服" in transfer


# -- traditional Chinese --------------------------------------------------------------------------------

def test_traditional_chinese_is_answered_in_traditional_characters(live):
    customer = Customer(live.web_url)
    reply = bot(customer.say("我的退款多久能到帳？"))
    assert reply["data"]["article_id"] == "refund-timing-zh"
    to_simplified = OpenCC("t2s")
    assert to_simplified.convert(reply["text"]) != reply["text"]  # traditional characters in the reply
    assert "這個回答對您有幫助嗎" in reply["text"]
    assert [b["title"] for b in reply["data"]["buttons"]] == ["👍 有幫助", "👎 沒幫助"]
    # and a customer writing simplified Chinese still reads simplified
    simplified = bot(Customer(live.web_url).say("我的退款多久能到账？"))
    assert "这个回答对您有帮助吗" in simplified["text"]


# -- the tracker a turn reads stays bounded --------------------------------------------------------

def test_a_long_conversations_tracker_is_one_short_session(live):
    customer = Customer(live.web_url)
    for i in range(12):
        customer.say("how are you?" if i % 2 else "where is my parcel?")
    # what Rasa's SQL tracker store loads for the next turn: the events since the latest session start
    with sqlite3.connect(live.settings.data_dir / "rasa_tracker.db") as db:
        rows = db.execute("SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id",
                          (customer.id,)).fetchall()
    starts = [i for i, (kind, _) in enumerate(rows) if kind == "session_started"]
    latest = rows[starts[-1]:]
    assert len(starts) >= 2 and sum(1 for kind, _ in latest if kind == "user") <= 8
    assert len(latest) < 80
    carried = {json.loads(data)["name"]: json.loads(data)["value"] for kind, data in latest if kind == "slot"}
    assert carried["current_article"] == "track-shipment-en"  # the conversation's memory survives
    assert customer.say("and how long does that take?")["mode"] == "bot"
