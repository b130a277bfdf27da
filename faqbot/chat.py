"""The conversation loop: customer messages go to the bot or, while handed off, to the agent.

Every message is stored (with its sequence number) before anything else happens to it, so
nothing a customer writes is lost, whatever fails afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

import anyio

from faqbot.agents.passwords import token_hash
from faqbot.conversations import Conversation, ConversationStore, Message, Sender
from faqbot.conversations.history import conversation_so_far, rated_answer
from faqbot.conversations.rating import parse_rating
from faqbot.desk import HandoffDesk
from faqbot.errors import AccessDenied, InvalidMessage
from faqbot.messenger import Messenger
from faqbot.rasa_gateway import BotReply, RasaGateway, RasaUnavailable
from faqbot.texts import service_text
from frustration import Assessment, FrustrationDetector
from handoff import Handoff, HandoffReason, HandoffService
from knowledge_base.language import detect_language

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnResult:
    messages: list[Message]  # the customer's message first, then whatever answered it
    handoff: Handoff | None


class ChatService:
    def __init__(
        self,
        conversations: ConversationStore,
        handoffs: HandoffService,
        rasa: RasaGateway,
        messenger: Messenger,
        desk: HandoffDesk,
        frustration: FrustrationDetector,
        *,
        max_message_chars: int,
    ) -> None:
        self._frustration = frustration
        self._conversations = conversations
        self._handoffs = handoffs
        self._rasa = rasa
        self._messenger = messenger
        self._desk = desk
        self._max_chars = max_message_chars
        self._turn_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # -- customers ---------------------------------------------------------------------------

    async def start(self, *, page_url: str | None = None, language: str | None = None,
                    visitor: dict[str, Any] | None = None) -> tuple[Conversation, str]:
        """A new conversation and the secret token its customer uses from now on."""
        token = secrets.token_urlsafe(32)
        conversation = await self._conversations.create(
            uuid.uuid4().hex, token_hash(token), page_url=(page_url or None) and page_url[:2000],
            language=language if language in ("en", "zh") else None, visitor=visitor,
        )
        return conversation, token

    async def authenticate(self, conversation_id: str, token: str | None) -> Conversation:
        conversation = await self._conversations.get(conversation_id)
        if not token or not secrets.compare_digest(conversation.token_hash, token_hash(token)):
            raise AccessDenied("this conversation's token is missing or wrong")
        return conversation

    def validate_text(self, text: str) -> str:
        text = (text or "").strip()
        if not text:
            raise InvalidMessage("the message is empty", code="empty_message")
        if len(text) > self._max_chars:
            raise InvalidMessage(
                f"the message is {len(text)} characters long; the limit is {self._max_chars}",
                code="message_too_long", status_code=413,
            )
        return text

    async def customer_message(self, conversation_id: str, text: str, payload: str | None = None, *,
                               client_id: str | None = None, reply_to: int | None = None) -> TurnResult:
        """Store and handle a customer message; `payload` is a pressed button's (the text is its title) and
        `reply_to` the seq of the message that showed the button. A message whose `client_id` is already stored
        (the widget retrying after a lost connection) is not stored again: the first result is returned."""
        text = self.validate_text(text)
        if payload is not None and not payload.startswith("/"):
            raise InvalidMessage("a button payload starts with '/'", code="invalid_payload")
        lock = self._turn_locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            if client_id and (sent := await self._conversations.by_client_id(conversation_id, client_id)):
                after = await self._conversations.messages(conversation_id, after=sent.seq)
                return TurnResult([sent, *after], await self._handoffs.open_for(conversation_id))
            conversation = await self._conversations.get(conversation_id)
            language = detect_language(text) if payload is None else (conversation.language or "en")
            if language != conversation.language:
                await self._conversations.update(conversation_id, language=language)
            handoff = await self._handoffs.open_for(conversation_id)
            score = parse_rating(text) if handoff is None and payload is None else None
            if score is not None:
                recent = await self._conversations.messages(conversation_id, limit=20, before=conversation.last_seq + 1)
                if await self._desk.pending_rating(conversation_id, recent):
                    _, messages = await self._desk.rate(conversation_id, score, None)
                    return TurnResult(messages, None)
            data = {"language": language, **({"payload": payload} if payload else {}),
                    **({"client_id": client_id} if client_id else {}),
                    **({"reply_to": reply_to} if reply_to is not None else {})}
            customer = await self._append(conversation_id, Sender.CUSTOMER, text, data,
                                          to_agents=handoff is not None)
            if handoff is not None:
                return TurnResult([customer], handoff)
            return await self._bot_turn(conversation, customer, language)

    async def history(self, conversation_id: str, after: int = 0) -> list[Message]:
        return await self._conversations.messages(conversation_id, after=after)

    async def status(self, conversation_id: str) -> tuple[Conversation, Handoff | None]:
        return await self._conversations.get(conversation_id), await self._handoffs.open_for(conversation_id)

    async def _assess(self, customer: Message) -> Assessment:
        """Score the customer's frustration and keep the score and its reasons in the transcript."""
        earlier = await self._conversations.messages(customer.conversation_id, limit=200, before=customer.seq)
        so_far = conversation_so_far(earlier, customer)
        text = "" if customer.data.get("payload") else customer.text  # a pressed button's title says nothing
        assessment = await anyio.to_thread.run_sync(self._frustration.assess, text, so_far)
        await self._conversations.annotate(customer.conversation_id, customer.seq,
                                           {"frustration": assessment.to_json()})
        return assessment

    async def _record_feedback(self, customer: Message, replies: list[BotReply]) -> None:
        """Store 👍/👎 (however it was given) on the answer it is about, for the editors' analytics."""
        verdicts = [r.custom["feedback"] for r in replies if isinstance(r.custom.get("feedback"), dict)]
        if not verdicts:
            return
        recent = await self._conversations.messages(customer.conversation_id, limit=50, before=customer.seq)
        for verdict in verdicts:
            rated = rated_answer(recent, verdict.get("article_id"))
            if rated is not None and "helpful" not in rated.data:
                await self._conversations.annotate(customer.conversation_id, rated.seq,
                                                   {"helpful": bool(verdict.get("helpful"))})

    async def _bot_turn(self, conversation: Conversation, customer: Message, language: str) -> TurnResult:
        conversation_id = conversation.id
        assessment = await self._assess(customer)
        customer = Message(customer.conversation_id, customer.seq, customer.sender, customer.text,
                           customer.created_at, {**customer.data, "frustration": assessment.to_json()})
        metadata = {"language": language, "frustration": assessment.to_json()}
        try:
            if conversation.needs_bot_resume:
                await self._desk.resume_bot(conversation_id, strict=True)
            said = customer.data.get("payload") or customer.text
            replies = await self._rasa.send(conversation_id, said, metadata=metadata)
            turn = await self._rasa.latest_turn(conversation_id)
            if not replies and turn.paused and await self._handoffs.open_for(conversation_id) is None:
                # Rasa still thinks an agent has the conversation (e.g. a restart during hand-back)
                log.warning("bot was paused without an open handoff; resuming",
                            extra={"conversation_id": conversation_id})
                await self._desk.resume_bot(conversation_id, strict=True)
                replies = await self._rasa.send(conversation_id, said, metadata=metadata)
                turn = await self._rasa.latest_turn(conversation_id)
            if not replies and not turn.paused:
                raise RasaUnavailable("Rasa answered with nothing (a custom action failed?)")
        except RasaUnavailable as exc:
            log.error("Rasa unavailable: %s", exc, extra={"conversation_id": conversation_id})
            return await self._hand_off_without_bot(conversation_id, customer, language)

        nlu = {"intent": turn.intent, "confidence": turn.confidence, "entities": turn.entities}
        await self._conversations.annotate(conversation_id, customer.seq, nlu)
        customer = Message(customer.conversation_id, customer.seq, customer.sender, customer.text,
                           customer.created_at, {**customer.data, **nlu})
        messages = [customer]
        await self._record_feedback(customer, replies)
        for reply in replies:
            messages.append(await self._messenger.bot_reply(conversation_id, reply, turn.intent, turn.confidence))
        handoff = await self._handoffs.open_for(conversation_id)
        if handoff is not None:  # the bot just handed off (there was no open handoff before this turn)
            await self._desk.handoff_started(handoff)
            messages.extend(await self._conversations.messages(conversation_id, after=messages[-1].seq))
            handoff = await self._handoffs.get(handoff.id)
        return TurnResult(messages, handoff)

    async def _hand_off_without_bot(self, conversation_id: str, customer: Message, language: str) -> TurnResult:
        handoff, _ = await self._handoffs.request(
            conversation_id, HandoffReason.BOT_UNAVAILABLE, language=language, details={}
        )
        notice = await self._append(
            conversation_id, Sender.SYSTEM, service_text("bot_unavailable", language),
            {"event": "handoff", "reason": HandoffReason.BOT_UNAVAILABLE.value}, to_agents=True,
        )
        await self._desk.handoff_started(handoff)
        later = await self._conversations.messages(conversation_id, after=notice.seq)
        return TurnResult([customer, notice, *later], await self._handoffs.get(handoff.id))

    async def _append(self, conversation_id: str, sender: Sender, text: str, data: dict[str, Any],
                      *, to_agents: bool = False) -> Message:
        return await self._messenger.append(conversation_id, sender, text, data, to_agents=to_agents)
