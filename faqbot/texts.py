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
    "agent_transferred": {
        "en": "{from_agent} has passed your conversation to {name}, who will continue helping you.",
        "zh": "客服 {from_agent} 已将对话转给客服 {name}，由 TA 继续为您服务。",
    },
    "requeued": {
        "en": "We're finding another person to help you; you keep your place in the queue.",
        "zh": "正在为您安排其他客服，您的排队位置保持不变。",
    },
    "queue_position": {
        "en": "A person will be with you shortly. You are number {position} in the queue.",
        "zh": "人工客服即将为您服务，您目前排在第 {position} 位。",
    },
    "queue_position_eta": {
        "en": "A person will be with you shortly. You are number {position} in the queue; "
        "the estimated wait is about {minutes} min.",
        "zh": "人工客服即将为您服务，您目前排在第 {position} 位，预计等待约 {minutes} 分钟。",
    },
    "no_agents": {
        "en": "Sorry, no one from our team is available right now. Leave your contact details and your "
        "question below and we'll get back to you; everything you wrote here is kept.",
        "zh": "抱歉，目前没有客服在线。请在下方留下您的联系方式和问题，我们会尽快回复您；您在这里写的内容都会保留。",
    },
    "outside_hours": {
        "en": "Our team is available {hours}, and it's outside those hours now. Leave your contact details and "
        "your question below and we'll get back to you; everything you wrote here is kept.",
        "zh": "我们的人工客服服务时间为 {hours}，现在不在服务时间内。"
        "请在下方留下您的联系方式和问题，我们会尽快回复您。",
    },
    "ticket_created": {
        "en": "Thank you, we have your message and will reply to {contact} as soon as we can.",
        "zh": "谢谢，我们已收到您的留言，会尽快通过 {contact} 回复您。",
    },
    "customer_left": {
        "en": "The customer left the chat.",
        "zh": "客户已离开对话。",
    },
    "conversation_full": {
        "en": "This conversation has grown very long, so the virtual assistant cannot continue it. Everything "
        "you wrote is kept. Would you like to talk to a person, or start a new conversation?",
        "zh": "这段对话已经很长，智能客服无法继续。您写的内容都已保存。您想转人工客服，还是开始新的对话？",
    },
    "talk_to_a_person": {"en": "Talk to a person", "zh": "转人工客服"},
    "start_new_conversation": {"en": "Start a new conversation", "zh": "开始新的对话"},
    "feedback_noted": {
        "en": "Thanks for the feedback on that answer!",
        "zh": "感谢您对这个回答的反馈！",
    },
    "handoff_failed": {
        "en": "Sorry, I couldn't reach our team just now. Please try again in a moment, "
        "or call us on 400-820-1234 (9:00–21:00).",
        "zh": "抱歉，暂时无法转接人工客服，请稍后再试，或拨打客服电话 400-820-1234（9:00–21:00）。",
    },
    "agent_resolved": {
        "en": "{name} has finished helping you and handed the conversation back to the virtual assistant.",
        "zh": "客服 {name} 已处理完毕，对话已转回智能客服。",
    },
}


def service_text(key: str, language: str | None, **values: str) -> str:
    options = TEXTS[key]
    return options.get(language or "en", options["en"]).format(**values)
