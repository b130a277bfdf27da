"""Writing to a conversation and telling whoever watches it: the one way messages and live events go out.

Messages are stored first (they get their sequence number there) and then published; events that
are not worth keeping (typing, queue position) are only published. What customers and agents write is
redacted before it is stored (privacy.redaction): card numbers masked, named secrets removed; a
customer's e-mail addresses and phone numbers are masked in the text and kept with the conversation's
contact details instead. Everything downstream (the bot, the consoles, logs) sees the redacted text.
"""

from __future__ import annotations

from typing import Any

from faqbot.conversations import ConversationStore, EventHub, Message, Sender
from faqbot.conversations.hub import AGENTS_TOPIC, conversation_topic
from faqbot.rasa_gateway import BotReply
from handoff import Handoff
from privacy import redact


class Messenger:
    def __init__(self, conversations: ConversationStore, hub: EventHub) -> None:
        self._conversations = conversations
        self._hub = hub

    async def append(self, conversation_id: str, sender: Sender, text: str, data: dict[str, Any],
                     *, to_agents: bool = False, **conversation_values: Any) -> Message:
        if sender in (Sender.CUSTOMER, Sender.AGENT):
            redacted = redact(text, contacts=sender is Sender.CUSTOMER)
            if redacted.changed:
                text, data = redacted.text, {**data, "redacted": list(dict.fromkeys(redacted.kinds))}
                await self._conversations.add_contact(conversation_id, redacted.contact)
        message = await self._conversations.append(conversation_id, sender, text, data, **conversation_values)
        self.published([message], to_agents=to_agents)
        return message

    def published(self, messages: list[Message], *, to_agents: bool = False) -> None:
        """Tell whoever watches the conversation about messages just stored."""
        for message in messages:
            event = {"type": "message", "message": message.to_json()}
            self._hub.publish(conversation_topic(message.conversation_id), event)
            if to_agents:
                self._hub.publish(AGENTS_TOPIC, event)

    async def bot_reply(self, conversation_id: str, reply: BotReply, intent: str | None = None,
                        confidence: float | None = None, **extra: Any) -> Message:
        """Store one of the bot's replies with what the bot read from the customer's turn."""
        data: dict[str, Any] = {"intent": intent, "confidence": confidence}
        if reply.buttons:
            data["buttons"] = reply.buttons
        data.update(reply.custom)
        data.update(extra)
        return await self.append(conversation_id, Sender.BOT, reply.text, data)

    def handoff_changed(self, handoff: Handoff, **extra: Any) -> None:
        """Tell the agents' consoles the queue changed."""
        self._hub.publish(AGENTS_TOPIC, {"type": "handoff", "handoff_id": handoff.id,
                                         "conversation_id": handoff.conversation_id,
                                         "status": handoff.status.value, "agent_id": handoff.agent_id, **extra})

    def to_agents(self, event: dict[str, Any]) -> None:
        self._hub.publish(AGENTS_TOPIC, event)

    def live(self, conversation_id: str, event: dict[str, Any]) -> None:
        """A passing event (typing, queue position) for everyone watching the conversation."""
        self._hub.publish(conversation_topic(conversation_id), event)
