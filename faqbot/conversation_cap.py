"""A cap on how long a conversation with the bot may grow (FAQBOT_MAX_CONVERSATION_MESSAGES).

Each bot turn reads the whole conversation (here and in Rasa's tracker), so an endless conversation gets
slower for everyone. Past the cap the customer's message is still stored, but instead of the bot the
customer is offered a person (a handoff, made here without Rasa) or a fresh start (the widget starts a new
conversation when that button is pressed). A conversation a person already has is not affected.
"""

from __future__ import annotations

from faqbot.chat import TurnResult
from faqbot.conversations import Conversation, ConversationStore, Sender
from faqbot.messenger import Messenger
from faqbot.texts import service_text
from handoff import HandoffReason, HandoffService
from handoff.desk import HandoffDesk

REQUEST_HUMAN = "/request_human"
NEW_CONVERSATION = "/new_conversation"  # handled by the widget: it starts a new conversation


class ConversationCap:
    def __init__(self, conversations: ConversationStore, handoffs: HandoffService, messenger: Messenger,
                 desk: HandoffDesk, max_messages: int) -> None:
        self._conversations = conversations
        self._handoffs = handoffs
        self._messenger = messenger
        self._desk = desk
        self._max = max_messages

    async def intercept(self, conversation: Conversation, text: str, payload: str | None) -> TurnResult | None:
        """The turn for a message past the cap, or None when the conversation goes on as usual. `conversation`
        as this request read it (its authentication: not read again here)."""
        current = conversation  # read by this request's authentication, moments ago
        if self._max <= 0 or current.last_seq < self._max or await self._handoffs.open_for(current.id):
            return None
        language = current.language
        data = {"language": language or "en", "over_cap": True, **({"payload": payload} if payload else {})}
        customer = await self._messenger.append(current.id, Sender.CUSTOMER, text, data)
        if payload == REQUEST_HUMAN:
            handoff, _ = await self._handoffs.request(current.id, HandoffReason.CUSTOMER_REQUEST, language=language,
                                                      details={"why": "conversation_full"})
            await self._desk.handoff_started(handoff)
            later = await self._conversations.messages(current.id, after=customer.seq)
            return TurnResult([customer, *later], await self._handoffs.get(handoff.id))
        buttons = [{"title": service_text("talk_to_a_person", language), "payload": REQUEST_HUMAN},
                   {"title": service_text("start_new_conversation", language), "payload": NEW_CONVERSATION}]
        notice = await self._messenger.append(current.id, Sender.SYSTEM, service_text("conversation_full", language),
                                              {"event": "conversation_full", "buttons": buttons})
        return TurnResult([customer, notice], None)
