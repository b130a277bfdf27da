"""What the custom actions say, in English and Chinese."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "unsure": {
        "en": "I can't help with that one. I can answer questions about orders, delivery, returns and refunds, "
        "payments, invoices, membership points and your account. Ask me about one of those in other words, "
        "or I can connect you with a person.",
        "zh": "这个问题我帮不上忙。我可以解答订单、物流配送、退换货和退款、支付、发票、会员积分和账户方面的问题。"
        "您可以换个说法问我，或者我为您转接人工客服。",
    },
    "knowledge_error": {
        "en": "Sorry, I can't look that up right now. Would you like me to connect you with a person?",
        "zh": "抱歉，我暂时无法查询这个问题。需要为您转接人工客服吗？",
    },
    "handoff_started": {
        "en": "I'm connecting you with a member of our team. They will see our conversation so far, "
        "so you won't need to repeat yourself. Please stay in this chat.",
        "zh": "正在为您转接人工客服，客服人员可以看到我们之前的对话，您无需重复说明。请不要离开本聊天窗口。",
    },
    "handoff_declined": {
        "en": "No problem. Try asking your question in other words and I'll do my best.",
        "zh": "好的。您可以换个说法再问一次，我会尽力帮您解答。",
    },
    "clarify": {
        "en": "I'm not quite sure what you mean. Is it one of these?",
        "zh": "我不太确定您的意思，是下面这些问题之一吗？",
    },
    "did_this_help": {"en": "Did this help?", "zh": "这个回答对您有帮助吗？"},
    # an answer from an article that has not been translated into the customer's language yet
    "only_in_other_language": {
        "en": "This answer is only available in Chinese so far:",
        "zh": "这个问题目前只有英文版的解答：",
    },
    "button_helped": {"en": "👍 Yes", "zh": "👍 有帮助"},
    "button_not_helped": {"en": "👎 No", "zh": "👎 没帮助"},
    "glad_it_helped": {
        "en": "Great, I'm glad that helped! Is there anything else I can do for you?",
        "zh": "太好了，很高兴能帮到您！还有其他问题吗？",
    },
    "next_best": {
        "en": "Sorry about that. Perhaps this is what you were asking about — **{title}**:\n\n{answer}",
        "zh": "抱歉，刚才理解错了。您问的可能是这个——**{title}**：\n\n{answer}",
    },
    "rephrase": {
        "en": "Sorry, I got that wrong. Could you tell me in other words what you'd like to know?",
        "zh": "抱歉，我理解错了。能换个说法告诉我您想了解什么吗？",
    },
    "nothing_to_reject": {
        "en": "Sorry about that. What would you like to know?",
        "zh": "抱歉。请问您想了解什么？",
    },
    "struggling": {
        "en": "I don't seem to be able to help with this. "
        "Would you like me to connect you with a member of our team?",
        "zh": "这个问题我好像没能帮上忙。需要为您转接人工客服吗？",
    },
    "apology": {
        "en": "I'm sorry this has been frustrating.",
        "zh": "非常抱歉给您带来不好的体验。",
    },
    "offer_person": {
        "en": "If you'd rather talk to a member of our team, I can connect you now.",
        "zh": "如果您希望由人工客服处理，我可以马上为您转接。",
    },
    "complaint": {
        "en": "I'm really sorry about your experience. A member of our team can look into this for you "
        "— shall I connect you now?",
        "zh": "非常抱歉给您带来了不好的体验。人工客服可以为您跟进处理，现在为您转接好吗？",
    },
    "fallback": {
        "en": "Sorry, I didn't get that. Could you say it another way? You can also type \"agent\" to reach a person.",
        "zh": "抱歉，我没有理解。您可以换个说法，或者输入“转人工”联系客服。",
    },
    "welcome_back": {
        "en": "Hi again, this is the virtual assistant. How would you rate the help you got from our team, "
        "from 1 (poor) to 5 (excellent)? And if there is anything else, just ask.",
        "zh": "您好，我是智能客服，又回来为您服务了。请为刚才人工客服的服务打分：1（很差）到 5（很好）。"
        "如有其他问题，请直接提问。",
    },
    "thanks_for_rating": {
        "en": "Thank you for your rating! Is there anything else I can help you with?",
        "zh": "感谢您的评价！还有其他可以帮您的吗？",
    },
    "button_person": {"en": "Talk to a person", "zh": "转人工客服"},
    "button_no_thanks": {"en": "No, thanks", "zh": "不用了"},
}


def text(key: str, language: str | None) -> str:
    options = TEXTS[key]
    return options.get(language or "en", options["en"])


def apologetic(message: str, language: str | None) -> str:
    """The message with the bot's one apology before it (a reply apologises at most once)."""
    return f"{text('apology', language)}{'' if language == 'zh' else ' '}{message}"


def feedback_buttons(language: str | None) -> list[dict[str, str]]:
    return [
        {"title": text("button_helped", language), "payload": "/affirm"},
        {"title": text("button_not_helped", language), "payload": "/deny"},
    ]


def offer_person_buttons(language: str | None) -> list[dict[str, str]]:
    return [
        {"title": text("button_person", language), "payload": "/request_human"},
        {"title": text("button_no_thanks", language), "payload": "/deny"},
    ]
