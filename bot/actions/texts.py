"""What the custom actions say, in English and Chinese."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "unsure": {
        "en": "I'm not sure I understood that, and I don't want to give you a wrong answer. "
        "Could you rephrase it, or would you like me to connect you with a person?",
        "zh": "抱歉，我不太确定您的问题，不想给您错误的答案。您可以换个说法再问一次，或者需要我为您转接人工客服吗？",
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
    "handoff_failed": {
        "en": "Sorry, I couldn't reach our team just now. Please try again in a moment, "
        "or call us on 400-820-1234 (9:00–21:00).",
        "zh": "抱歉，暂时无法转接人工客服，请稍后再试，或拨打客服电话 400-820-1234（9:00–21:00）。",
    },
    "handoff_declined": {
        "en": "No problem. Try asking your question in other words and I'll do my best.",
        "zh": "好的。您可以换个说法再问一次，我会尽力帮您解答。",
    },
    "clarify": {
        "en": "I'm not quite sure what you mean. Is it one of these?",
        "zh": "我不太确定您的意思，是下面这些问题之一吗？",
    },
    "button_person": {"en": "Talk to a person", "zh": "转人工客服"},
    "button_no_thanks": {"en": "No, thanks", "zh": "不用了"},
}


def text(key: str, language: str | None) -> str:
    options = TEXTS[key]
    return options.get(language or "en", options["en"])


def offer_person_buttons(language: str | None) -> list[dict[str, str]]:
    return [
        {"title": text("button_person", language), "payload": "/request_human"},
        {"title": text("button_no_thanks", language), "payload": "/deny"},
    ]
