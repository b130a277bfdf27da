"""Multi-turn conversations, English and Chinese, against the real Rasa server, actions, KB and detector."""

import pytest

from tests.live import AgentClient, Customer


def bot(turn: dict) -> dict:
    """The bot's (last) reply in a turn."""
    return [m for m in turn["messages"] if m["sender"] == "bot"][-1]


def payloads(message: dict) -> list[str]:
    return [b["payload"] for b in message["data"].get("buttons", [])]


def answer_of(turn: dict) -> str | None:
    reply = bot(turn)
    return reply["data"]["article_id"] if reply["data"].get("outcome") == "answer" else None


# -- context -------------------------------------------------------------------------------------

def test_follow_ups_are_answered_about_the_same_topic_en(live):
    customer = Customer(live.web_url)
    assert answer_of(customer.say("What is your return policy?")) == "return-policy-en"
    sale = customer.say("and for sale items?")
    assert answer_of(sale) == "return-sale-items-en"
    assert bot(sale)["data"]["follow_up_of"] == "return-policy-en"
    assert payloads(bot(sale)) == ["/affirm", "/deny"] and bot(sale)["text"].endswith("Did this help?")
    hong_kong = customer.say("what about in Hong Kong?")
    assert answer_of(hong_kong) not in (None, "return-sale-items-en")
    # read as a follow-up; "Can I return sale items? what about in Hong Kong?" only reaches did-you-mean under the
    # shop's precision floor, so the message alone, answered with confidence, wins (the shipping article either way)
    assert "Hong Kong" in bot(hong_kong)["text"] and bot(hong_kong)["data"]["follow_up_of"] == "return-sale-items-en"
    how_long = customer.say("how long does that take?")  # says nothing on its own: read with the topic
    assert bot(how_long)["data"]["completed_from_context"] is True
    assert answer_of(how_long) not in (None, answer_of(hong_kong))


def test_follow_ups_are_answered_about_the_same_topic_zh(live):
    customer = Customer(live.web_url)
    assert answer_of(customer.say("退货政策是什么？")) == "return-policy-zh"
    sale = customer.say("那打折商品呢？")
    assert answer_of(sale) == "return-sale-items-zh" and bot(sale)["data"]["follow_up_of"] == "return-policy-zh"
    assert bot(sale)["text"].endswith("这个回答对您有帮助吗？")


@pytest.mark.parametrize(("question", "follow_up", "returns_text"), [
    ("退款多久能到账？", "那退货呢", "退货"),
    ("退款多久能到帳？", "那退貨呢？", "退貨"),  # traditional: read the same, answered in traditional
])
def test_a_chinese_follow_up_naming_a_new_topic_is_answered_not_did_you_mean(live, question, follow_up,
                                                                            returns_text):
    customer = Customer(live.web_url)
    assert answer_of(customer.say(question)) == "refund-timing-zh"
    returns = customer.say(follow_up)
    assert bot(returns)["data"]["outcome"] == "answer", bot(returns)["data"]
    assert answer_of(returns) == "return-policy-zh" and bot(returns)["data"]["follow_up_of"] == "refund-timing-zh"
    assert returns_text in bot(returns)["text"]
    exchange = customer.say("那换货呢？")
    assert answer_of(exchange) == "exchange-zh" and bot(exchange)["data"]["follow_up_of"] == "return-policy-zh"


# -- did you mean, feedback ----------------------------------------------------------------------

# a question that names two topics at once: at the operating point chosen on held-out data (98.5%,
# docs/retrieval.md) the did-you-mean band on the shop's knowledge base is narrow; these two sit in it
@pytest.mark.parametrize(("question", "language"), [("password and tracking", "en"), ("会员和支付", "zh")])
def test_did_you_mean_then_a_chosen_article_and_a_thumbs_up(live, question, language):
    customer = Customer(live.web_url)
    choice = bot(customer.say(question))
    assert choice["data"]["outcome"] == "clarify" and 2 <= len(choice["data"]["choices"]) <= 3
    buttons = choice["data"]["buttons"]
    assert buttons[-1]["payload"] == "/request_human" and buttons[0]["payload"].startswith("/ask_question{")
    picked = customer.press(buttons[1])
    assert answer_of(picked) == choice["data"]["choices"][1] and bot(picked)["data"]["chosen_by_customer"]
    thanks = customer.press(bot(picked)["data"]["buttons"][0])  # 👍
    assert bot(thanks)["data"]["feedback"]["helpful"] is True
    rated = [m for m in customer.history() if m["seq"] == bot(picked)["seq"]][0]
    assert rated["data"]["helpful"] is True and rated["data"]["article_id"].endswith(f"-{language}")


# -- rejected answers, failures ------------------------------------------------------------------

def test_a_rejected_answer_gets_the_next_best_then_a_person_en(live):
    customer = Customer(live.web_url)
    agent = AgentClient(live.web_url)
    first = customer.say("How long does a refund take?")
    assert answer_of(first) == "refund-timing-en"
    second = customer.say("that's not what I asked")
    assert bot(second)["data"]["feedback"] == {"article_id": "refund-timing-en", "helpful": False}
    assert answer_of(second) not in (None, "refund-timing-en") and bot(second)["data"]["next_best"]
    assert bot(second)["text"].startswith("Sorry about that. Perhaps this is what you were asking about")
    third = customer.press(bot(second)["data"]["buttons"][1])  # 👎: the second failure in a row
    assert "don't seem to be able to help" in bot(third)["text"]
    assert payloads(bot(third)) == ["/request_human", "/deny"]
    handed = customer.say("yes please")
    assert handed["mode"] == "human" and handed["handoff"]["reason"] == "low_confidence"
    ratings = {m["seq"]: m["data"].get("helpful") for m in customer.history() if m["data"].get("asks_feedback")}
    assert ratings == {bot(first)["seq"]: False, bot(second)["seq"]: False}
    details = agent.detail(agent.handoff_for(customer.id)["id"])
    assert details["handoff"]["details"]["slots"]["current_article"] == answer_of(second)


def test_a_rejected_answer_never_repeats_itself_zh(live):
    customer = Customer(live.web_url)
    assert answer_of(customer.say("运费多少钱？")) == "shipping-costs-zh"
    retry = customer.say("不是这个")
    assert answer_of(retry) != "shipping-costs-zh"
    assert bot(retry)["data"]["feedback"] == {"article_id": "shipping-costs-zh", "helpful": False}


@pytest.mark.parametrize(
    ("first", "second", "decline", "struggling", "declined"),
    [("what's the weather like today?", "tell me a joke", "no thanks", "don't seem to be able to help",
      "No problem"),
     ("今天天气怎么样？", "给我讲个笑话", "不用了", "好像没能帮上忙", "换个说法")],
)
def test_two_unsure_turns_offer_a_person_and_declining_lets_the_customer_retry(
        live, first, second, decline, struggling, declined):
    customer = Customer(live.web_url)
    unsure = bot(customer.say(first))
    assert unsure["data"]["outcome"] == "unsure" and payloads(unsure) == ["/request_human", "/deny"]
    again = bot(customer.say(second))
    assert again["data"]["outcome"] == "unsure" and again["data"]["failed_turns"] == 2
    assert struggling in again["text"]
    turn = customer.say(decline)
    assert turn["mode"] == "bot" and declined in bot(turn)["text"]
    assert turn["messages"][0]["data"]["frustration"]["reasons"] == ["consecutive_bot_failures"]


# -- frustration ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("setup", "outburst"),
    [("Where is my refund?", "THIS IS RIDICULOUS!!! WHERE IS MY REFUND??? Useless bot, I'm furious"),
     ("退款多久到账？", "说了多少遍了！！！垃圾客服，到底什么时候退款？")],
)
def test_high_frustration_hands_off_at_once_with_high_priority_and_reasons(live, setup, outburst):
    customer = Customer(live.web_url)
    agent = AgentClient(live.web_url)
    customer.say(setup)
    turn = customer.say(outburst)
    assessment = turn["messages"][0]["data"]["frustration"]
    assert assessment["level"] == "high" and {"angry_language", "shouting"} <= set(assessment["reasons"])
    assert turn["mode"] == "human" and turn["handoff"]["reason"] == "frustrated"
    handoff = agent.handoff_for(customer.id)
    assert handoff["priority"] == "high"
    assert handoff["details"]["frustration"]["reasons"] == assessment["reasons"]
    queue = agent.http.get("/api/agent/handoffs").json()["handoffs"]
    queued = [h for h in queue if h["status"] == "queued"]
    assert [h["priority"] for h in queued] == sorted((h["priority"] for h in queued), key=lambda p: p != "high")


@pytest.mark.parametrize(
    ("message", "apology"),
    [("my refund still hasn't arrived, I'm a bit upset", "I'm sorry this has been frustrating."),
     ("我还没收到退款，太慢了", "非常抱歉给您带来不好的体验。")],  # above the shop's precision floor
)
def test_medium_frustration_apologises_answers_and_offers_a_person(live, message, apology):
    customer = Customer(live.web_url)
    turn = customer.say(message)
    assert turn["messages"][0]["data"]["frustration"]["level"] == "medium"
    reply = bot(turn)
    assert reply["text"].startswith(apology) and reply["data"]["outcome"] == "answer"
    assert payloads(reply) == ["/request_human", "/deny"]
    handed = customer.press(reply["data"]["buttons"][0])
    assert handed["handoff"]["reason"] == "frustrated" and handed["handoff"]["priority"] == "normal"


# -- asking for a person, small talk -------------------------------------------------------------

@pytest.mark.parametrize(("question", "ask"), [("where is my order 20261122001?", "I want to talk to a human"),
                                               ("我的订单20261122001到哪了？", "转人工")])
def test_an_order_number_said_once_reaches_the_agent(live, question, ask):
    customer = Customer(live.web_url)
    agent = AgentClient(live.web_url)
    customer.say(question)
    turn = customer.say(ask)
    assert turn["handoff"]["reason"] == "customer_request"
    assert agent.handoff_for(customer.id)["details"]["slots"]["order_number"] == "20261122001"


@pytest.mark.parametrize(
    "turns",
    [[("hi there", "Hi!"), ("how are you?", "doing well"), ("are you a bot?", "virtual assistant"),
      ("what can you do?", "I can answer questions"), ("thanks", "You're welcome"), ("bye", "Goodbye")],
     [("你好", "您好"), ("你好吗？", "我很好"), ("你是机器人吗？", "机器人"), ("你能做什么？", "我可以解答"),
      ("谢谢", "不客气"), ("再见", "再见")]],
)
def test_small_talk_gets_short_answers_in_the_customer_language_without_feedback_buttons(live, turns):
    customer = Customer(live.web_url)
    for said, expected in turns:
        reply = bot(customer.say(said))
        assert expected in reply["text"], (said, reply["text"])
        assert "buttons" not in reply["data"]
