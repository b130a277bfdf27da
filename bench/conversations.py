"""Simulated customers for the load test: realistic English and Chinese conversations.

A customer asks the shop's questions (paraphrased, not the knowledge base's own phrasings), follows up
on answers, makes small talk, presses 👍/👎 on answers (with the `reply_to` of the answer), rejects an
answer now and then, declines the offer of a person, and asks the odd off-topic question. Everything is
drawn from a seeded random generator, so a run is repeatable. The customer reads the bot's replies: an
offer of a person is declined, a "did you mean" is answered with one of its buttons.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

QUESTIONS = {
    "en": [
        "where is my parcel?", "how long does a refund take?", "do you accept alipay?",
        "my coupon code doesn't work", "can I return something I bought on sale?", "how much is shipping?",
        "I forgot my password", "how do I cancel my order?", "can I change my delivery address?",
        "I was charged two times for the same order", "the item I got is broken", "my order still hasn't come",
        "how long does delivery usually take?", "how do I collect points?", "can I swap it for a bigger size?",
        "can I pay in monthly instalments?", "do you deliver to Hong Kong?", "I need an invoice for my company",
        "what do gold members get?", "the courier came when I was out", "one item is missing from my box",
        "I never got a confirmation email", "how can I see the status of my order?", "my card was declined",
        "the price dropped right after I bought it", "how do I spend my points?", "where will my refund go?",
        "my refund never arrived", "what is your return policy?", "who pays for return shipping?",
        "is my phone still under warranty?", "you sent me the wrong item", "what is your phone number?",
        "how do I delete my account?", "my account is locked", "can I add something to my order?",
        "how do I change my email address?", "do I need an account to order?", "how do I get it repaired?",
        "can I get my refund as store credit?",
    ],
    "zh": [
        "我的包裹到哪了？", "退款多久能到账？", "可以用支付宝付款吗？", "优惠券用不了怎么办", "打折的商品能退吗？",
        "运费怎么算？", "忘记密码了", "怎么取消订单？", "收货地址写错了能改吗？", "同一个订单扣了我两次钱",
        "收到的东西是坏的", "订单一直没到", "一般几天能送到？", "积分怎么赚？", "可以换大一号吗？",
        "可以分期付款吗？", "能寄到香港吗？", "我要开公司发票", "金卡会员有什么好处？", "快递来的时候我不在家",
        "包裹里少了一件", "没收到订单确认邮件", "怎么查订单状态？", "付款失败了", "刚买就降价了怎么办",
        "积分怎么用？", "退款退到哪里？", "退款一直没收到", "退货政策是什么？", "退货运费谁出？",
        "手机还在保修期吗？", "发错货了", "账号被锁了", "能往订单里加东西吗？", "怎么注销账号？",
        "我的退款什麼時候到賬？", "怎麼退貨？", "運費多少錢？", "發票怎麼開？", "帳號被鎖了怎麼辦？",
    ],
}
FOLLOW_UPS = {
    "en": ["and for sale items?", "how long does that take?", "what about international orders?", "is that free?",
           "and if I paid with WeChat?", "what about Hong Kong?"],
    "zh": ["那打折商品呢？", "要多久？", "国际订单呢？", "免费吗？", "那香港呢？", "用微信付的呢？"],
}
SMALL_TALK = {
    "en": ["hi", "hello there", "thanks", "how are you?", "what can you do?", "are you a bot?"],
    "zh": ["你好", "谢谢", "你好吗？", "你能做什么？", "你是机器人吗？", "在吗"],
}
OFF_TOPIC = {"en": ["what's the weather tomorrow?", "tell me a joke"], "zh": ["明天天气怎么样？", "给我讲个笑话"]}
REJECT = {"en": ["that's not what I asked", "no, I meant something else"], "zh": ["不是这个", "我问的不是这个"]}
DECLINE = {"en": ["no thanks", "no, that's fine"], "zh": ["不用了", "不用，谢谢"]}
GOODBYE = {"en": ["bye", "that's all, bye"], "zh": ["再见", "好的，再见"]}


@dataclass(frozen=True)
class Say:
    """One customer message: typed text, or a pressed button (its title, payload and message)."""

    text: str
    kind: str
    payload: str | None = None
    reply_to: int | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text}
        if self.payload is not None:
            body["payload"] = self.payload
            body["reply_to"] = self.reply_to
        return body


@dataclass
class ScriptedCustomer:
    """Decides the next message from what the bot last said. One conversation at a time."""

    rng: random.Random
    language: str
    asked: set[str] = field(default_factory=set)
    last_bot: dict[str, Any] | None = None

    def new_conversation(self) -> None:
        self.asked.clear()
        self.last_bot = None

    def heard(self, messages: list[dict[str, Any]]) -> None:
        """The messages of the last turn (the bot's last one with buttons wins, else its last one)."""
        bot = [m for m in messages if m.get("sender") == "bot"]
        with_buttons = [m for m in bot if m.get("data", {}).get("buttons")]
        self.last_bot = (with_buttons or bot or [None])[-1]

    def _pick(self, options: dict[str, list[str]]) -> str:
        return self.rng.choice(options[self.language])

    def question(self) -> Say:
        fresh = [q for q in QUESTIONS[self.language] if q not in self.asked] or QUESTIONS[self.language]
        text = self.rng.choice(fresh)
        self.asked.add(text)
        return Say(text, "question")

    def small_talk(self) -> Say:
        return Say(self._pick(SMALL_TALK), "small_talk")

    def _button(self, payload_start: str, kind: str) -> Say | None:
        bot = self.last_bot or {}
        for button in bot.get("data", {}).get("buttons") or []:
            if button["payload"].startswith(payload_start):
                return Say(button["title"], kind, button["payload"], bot["seq"])
        return None

    def next(self, turn: int, last_turn: bool = False) -> Say:
        """The message for 0-based `turn` of the conversation."""
        if last_turn and self.rng.random() < 0.5:
            return Say(self._pick(GOODBYE), "small_talk")
        if turn == 0:
            return self.small_talk() if self.rng.random() < 0.3 else self.question()
        data = (self.last_bot or {}).get("data", {})
        payloads = [b["payload"] for b in data.get("buttons") or []]
        roll = self.rng.random()
        if "/request_human" in payloads and data.get("outcome") != "clarify" and not data.get("asks_feedback"):
            if roll < 0.5:  # an offer of a person: decline it, by button or in words, or just ask something else
                return self._button("/deny", "button") or Say(self._pick(DECLINE), "decline")
            return Say(self._pick(DECLINE), "decline") if roll < 0.75 else self.question()
        if data.get("outcome") == "clarify" and roll < 0.6:
            return self._button("/ask_question", "button") or self.question()
        if data.get("asks_feedback"):
            if roll < 0.3:
                return self._button("/affirm", "button") or self.question()
            if roll < 0.4:
                return self._button("/deny", "button") or self.question()
            if roll < 0.6:
                return Say(self._pick(FOLLOW_UPS), "follow_up")
            if roll < 0.65:
                return Say(self._pick(REJECT), "reject")
        roll = self.rng.random()
        if roll < 0.7:
            return self.question()
        if roll < 0.93:
            return self.small_talk()
        return Say(self._pick(OFF_TOPIC), "off_topic")

    # -- the long conversation: a fixed pattern, so turn 2 and turn 50 are the same kind of turn ----------

    PATTERN = ("small_talk", "question", "follow_up", "thumbs_up", "question", "small_talk", "question", "reject")

    def patterned(self, turn: int) -> Say:
        kind = self.PATTERN[turn % len(self.PATTERN)]
        data = (self.last_bot or {}).get("data", {})
        if kind == "question":
            return self.question()
        if kind == "follow_up":
            return Say(self._pick(FOLLOW_UPS), "follow_up")
        if kind == "thumbs_up":
            pressed = self._button("/affirm", "button") if data.get("asks_feedback") else None
            return pressed or Say(self._pick(SMALL_TALK), "small_talk")
        if kind == "reject":
            return Say(self._pick(REJECT), "reject")
        return Say(self.rng.choice(["how are you?", "what can you do?"] if self.language == "en"
                                   else ["你好吗？", "你能做什么？"]), "small_talk")


def parse_texts(rng: random.Random, n: int) -> list[str]:
    """Customer messages for Rasa's bare `/model/parse` yardstick (the same mix of texts)."""
    pool = [t for language in ("en", "zh") for options in (QUESTIONS, FOLLOW_UPS, SMALL_TALK, OFF_TOPIC, REJECT)
            for t in options[language]]
    return [rng.choice(pool) for _ in range(n)]
