"""What earlier turns of a stored conversation say about the current one."""

from __future__ import annotations

from collections.abc import Sequence

from faqbot.conversations.models import Message, Sender
from frustration import ConversationSoFar

FAILED_OUTCOMES = frozenset({"unsure", "error", "rephrase", "rejected"})
REJECT_PAYLOADS = frozenset({"/deny", "/reject_answer"})
EARLIER_QUESTIONS = 10


def _bot_failed(message: Message) -> bool | None:
    """True if this bot message was a failed turn, False if a good one, None if it was neither (small talk)."""
    outcome = message.data.get("outcome")
    if outcome in FAILED_OUTCOMES or message.data.get("helpful") is False:
        return True
    if outcome in ("answer", "clarify"):
        return False
    return None


def conversation_so_far(earlier: Sequence[Message], current: Message) -> ConversationSoFar:
    """The frustration detector's view of the messages before `current` (oldest first)."""
    questions = [m.text for m in earlier if m.sender is Sender.CUSTOMER and not m.data.get("payload")]
    failures = 0
    for message in reversed(earlier):
        if message.sender is not Sender.BOT:
            continue
        failed = _bot_failed(message)
        if failed is None:
            continue
        if not failed:
            break
        failures += 1
    last_bot = next((m for m in reversed(earlier) if m.sender is Sender.BOT), None)
    pressed_no = (current.data.get("payload") in REJECT_PAYLOADS and last_bot is not None
                  and bool(last_bot.data.get("asks_feedback")))
    rejected_before = last_bot is not None and (last_bot.data.get("feedback") or {}).get("helpful") is False
    return ConversationSoFar(
        earlier_questions=tuple(questions[-EARLIER_QUESTIONS:]),
        bot_failures_in_a_row=failures,
        rejected_an_answer=pressed_no or rejected_before,
    )


def rated_answer(messages: Sequence[Message], article_id: str | None) -> Message | None:
    """The latest bot answer that asked "Did this help?" about `article_id` (the one feedback is about)."""
    for message in reversed(messages):
        if (message.sender is Sender.BOT and message.data.get("asks_feedback")
                and (article_id is None or message.data.get("article_id") == article_id)):
            return message
    return None
