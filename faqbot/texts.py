"""What the service itself (not the bot) tells customers, in English and Chinese."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "bot_unavailable": {
        "en": "Sorry, our virtual assistant is unavailable right now. I've passed your message to our team "
        "and a person will reply here as soon as possible.",
        "zh": "抱歉，智能客服暂时无法使用。您的消息已转给我们的客服团队，工作人员会尽快在这里回复您。",
    },
    "agent_joined": {
        "en": "{name} from our customer service team has joined the conversation.",
        "zh": "客服 {name} 已加入对话。",
    },
    "agent_resolved": {
        "en": "{name} has finished helping you and handed the conversation back to the virtual assistant.",
        "zh": "客服 {name} 已处理完毕，对话已转回智能客服。",
    },
}


def service_text(key: str, language: str | None, **values: str) -> str:
    options = TEXTS[key]
    return options.get(language or "en", options["en"]).format(**values)
