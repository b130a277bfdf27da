"""Which button a customer pressed: only buttons the bot sent in this conversation count, each bound to its message.

A press names the bot message it belongs to (`reply_to`, its sequence number). A button is *current*
while the customer has not written anything since its message: then it answers that message's question.
A 👍/👎 on an answer is feedback on that answer whenever it is pressed; any other button of an earlier
question has nothing left to answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faqbot.conversations.models import Message, Sender
from faqbot.errors import InvalidMessage, StaleButton

FEEDBACK_PAYLOADS = {"/affirm": True, "/deny": False}  # 👍 and 👎 under an answer that asked "Did this help?"


@dataclass(frozen=True)
class PressedButton:
    message: Message  # the bot message the button belongs to
    title: str
    payload: str
    current: bool  # nothing was written since that message: the button answers its question

    @property
    def feedback(self) -> bool | None:
        """True for 👍 and False for 👎 on an answer that asked for feedback; None for any other button."""
        if not self.message.data.get("asks_feedback"):
            return None
        return FEEDBACK_PAYLOADS.get(self.payload)


def latest_with_buttons(recent: Sequence[Message]) -> Message | None:
    return next((m for m in reversed(recent) if m.sender is Sender.BOT and m.data.get("buttons")), None)


def bind_button(message: Message | None, payload: str, recent: Sequence[Message]) -> PressedButton:
    """The pressed button of `message` (the bot message named by `reply_to`) with this payload.

    Raises InvalidMessage if the bot sent no such button there, StaleButton if it is no longer current and
    is not feedback on an answer (feedback is taken whenever it comes).
    """
    if message is None or message.sender is not Sender.BOT:
        raise InvalidMessage("reply_to must be the seq of a bot message of this conversation that has buttons",
                             code="unknown_button")
    button = next((b for b in message.data.get("buttons") or [] if b.get("payload") == payload), None)
    if button is None:
        raise InvalidMessage("that message has no button with this payload", code="unknown_button")
    current = not any(m.sender is Sender.CUSTOMER and m.seq > message.seq for m in recent)
    pressed = PressedButton(message, str(button.get("title") or payload), payload, current)
    if not current and pressed.feedback is None:
        raise StaleButton("this button belongs to an earlier question; type your answer or use the latest buttons")
    return pressed
