"""The conversation loop: customer messages go to the bot or, while handed off, to the agent.

Every message is stored (with its sequence number) before anything else happens to it, so
nothing a customer writes is lost, whatever fails afterwards.

A bot turn is driven from here, once: read the conversation (one round trip), store the customer's
message, score frustration, send the message to Rasa (faqbot's channel answers with the replies, what
NLU read and what the actions decided), then act on the decision — record feedback, open the handoff the
bot asked for — and store the annotations and replies in one transaction.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, replace
from typing import Any

import anyio

from bot.turn import TurnDecision
from faqbot.agents.passwords import token_hash
from faqbot.chinese_script import detect_script, in_script
from faqbot.conversations import Conversation, ConversationStore, Message, Sender
from faqbot.conversations.buttons import PressedButton, bind_button, latest_with_buttons
from faqbot.conversations.history import conversation_so_far, rated_answer
from faqbot.conversations.rating import parse_rating
from faqbot.errors import AccessDenied, DatabaseUnavailable, InvalidMessage
from faqbot.messenger import Messenger
from faqbot.rasa_gateway import TURN_ID_KEY, BotReply, BotTurn, RasaGateway, RasaStoreUnavailable, RasaUnavailable
from faqbot.texts import service_text
from faqbot.turn_locks import LocalTurnLocks, TurnLocks
from frustration import Assessment, FrustrationDetector
from handoff import Handoff, HandoffPriority, HandoffReason, HandoffService
from handoff.desk import HandoffDesk
from knowledge_base.language import detect_language

log = logging.getLogger(__name__)

RECENT_MESSAGES = 60  # what a turn reads of the conversation: enough for context, bounded however long it is


@dataclass(frozen=True)
class TurnResult:
    messages: list[Message]  # the customer's message first, then whatever answered it
    handoff: Handoff | None


@dataclass(frozen=True)
class Said:
    """A customer message as the loop handles it: typed text, or a bound button press."""

    text: str
    language: str
    script: str | None
    button: PressedButton | None = None

    @property
    def for_bot(self) -> str:
        return self.button.payload if self.button else self.text


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
        turn_locks: TurnLocks | None = None,
    ) -> None:
        self._frustration = frustration
        self._conversations = conversations
        self._handoffs = handoffs
        self._rasa = rasa
        self._messenger = messenger
        self._desk = desk
        self._max_chars = max_message_chars
        self._locks = turn_locks or LocalTurnLocks()

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
        """Store and handle a customer message.

        `payload` is a pressed button's, `reply_to` the sequence number of the bot message it belongs to
        (without it, the latest message with buttons). Only buttons the bot sent count; a 👍/👎 on an
        earlier answer is feedback on that answer only; other buttons of earlier questions are refused
        (StaleButton) and nothing changes. A message whose `client_id` is already stored (the widget
        retrying after a lost connection) is not stored again: the first result is returned.
        """
        text = self.validate_text(text)
        if payload is not None and not payload.startswith("/"):
            raise InvalidMessage("a button payload starts with '/'", code="invalid_payload")
        async with self._locks.hold(conversation_id):
            conversation, recent = await self._conversations.turn_context(conversation_id, RECENT_MESSAGES)
            if client_id and (sent := await self._already_sent(conversation_id, client_id, recent)):
                after = await self._conversations.messages(conversation_id, after=sent.seq)
                handoff = await self._handoffs.open_for(conversation_id)
                if after or handoff is not None:
                    return TurnResult([sent, *after], handoff)
                # stored but never answered: its turn failed on the way (the database or Rasa's tracker store
                # went away, faqbot.db_outage): the retry finishes it, the message stays stored once
                return await self._finish_unanswered(conversation, recent, sent, payload, reply_to)
            handoff = await self._handoffs.open_for(conversation_id)
            said = await self._read(conversation, recent, text, payload, reply_to)
            if said.button is not None and (not said.button.current or handoff is not None) \
                    and said.button.feedback is not None:
                return await self._feedback_only(conversation, said, handoff)
            if said.button is None and handoff is None and (score := parse_rating(text)) is not None \
                    and await self._desk.pending_rating(conversation_id, recent):
                _, messages = await self._desk.rate(conversation_id, score, None)
                return TurnResult(messages, None)
            changes = {k: v for k, v in (("language", said.language), ("script", said.script))
                       if v is not None and v != getattr(conversation, k)}
            data: dict[str, Any] = {"language": said.language, **({"client_id": client_id} if client_id else {})}
            if said.button is not None:
                data.update(payload=said.button.payload, reply_to=said.button.message.seq)
            customer = await self._messenger.append(conversation_id, Sender.CUSTOMER, said.text, data,
                                                    to_agents=handoff is not None, **changes)
            if said.button is None:  # the bot is sent what was stored: cards, secrets, e-mails, phones masked
                said = replace(said, text=customer.text)
            if handoff is not None:
                return TurnResult([customer], handoff)
            script = said.script or conversation.script
            return await self._bot_turn(conversation, recent, customer, said, script)

    async def _finish_unanswered(self, conversation: Conversation, recent: list[Message], sent: Message,
                                 payload: str | None, reply_to: int | None) -> TurnResult:
        earlier = [m for m in recent if m.seq < sent.seq]
        said = await self._read(conversation, earlier, sent.text, payload, reply_to)
        log.info("finishing the turn of a stored message that was never answered",
                 extra={"conversation_id": conversation.id})
        return await self._bot_turn(conversation, earlier, sent, said, said.script or conversation.script,
                                    maybe_in_rasa=True)

    async def _already_sent(self, conversation_id: str, client_id: str, recent: list[Message]) -> Message | None:
        """The stored customer message with this client id (a retry comes seconds later: among the recent
        messages, unless the conversation has more than those)."""
        for message in reversed(recent):
            if message.sender is Sender.CUSTOMER and message.data.get("client_id") == client_id:
                return message
        if len(recent) < RECENT_MESSAGES:
            return None
        return await self._conversations.by_client_id(conversation_id, client_id)

    async def _read(self, conversation: Conversation, recent: list[Message], text: str, payload: str | None,
                    reply_to: int | None) -> Said:
        """What the customer said: the language (and Chinese script) of typed text, detected once here;
        a button press bound to the bot message it belongs to."""
        if payload is None:
            return Said(text, detect_language(text), detect_script(text))
        if reply_to is None:
            message = latest_with_buttons(recent)
        else:
            message = next((m for m in recent if m.seq == reply_to), None) or \
                await self._conversations.message(conversation.id, reply_to)
        button = bind_button(message, payload, recent)
        return Said(button.title, conversation.language or "en", None, button)

    async def _feedback_only(self, conversation: Conversation, said: Said, handoff: Handoff | None) -> TurnResult:
        """👍/👎 on an answer the conversation has moved on from: feedback on that answer, nothing else."""
        button = said.button
        assert button is not None and button.feedback is not None
        answer = button.message
        data = {"language": said.language, "payload": button.payload, "reply_to": answer.seq,
                "feedback": {"article_id": answer.data.get("article_id"), "helpful": button.feedback}}
        new: list[tuple[Sender, str, dict[str, Any]]] = [(Sender.CUSTOMER, said.text, data)]
        if handoff is None:
            new.append((Sender.BOT, in_script(service_text("feedback_noted", conversation.language),
                                              conversation.script), {"outcome": "feedback_noted"}))
        messages = await self._conversations.record(conversation.id, new,
                                                    {answer.seq: {"helpful": button.feedback}})
        self._messenger.published(messages, to_agents=handoff is not None)
        return TurnResult(messages, handoff)

    async def history(self, conversation_id: str, after: int = 0) -> list[Message]:
        return await self._conversations.messages(conversation_id, after=after)

    async def status(self, conversation_id: str) -> tuple[Conversation, Handoff | None]:
        return await self._conversations.get(conversation_id), await self._handoffs.open_for(conversation_id)

    # -- the bot's turn ------------------------------------------------------------------------

    async def _assess(self, earlier: list[Message], customer: Message, said: Said) -> Assessment:
        """Score the customer's frustration against the conversation so far."""
        text = "" if said.button else customer.text  # a pressed button's title says nothing
        return await anyio.to_thread.run_sync(self._frustration.assess, text, conversation_so_far(earlier, customer))

    async def _ask_bot(self, conversation: Conversation, said: Said, metadata: dict[str, Any],
                       maybe_in_rasa: bool = False) -> BotTurn:
        if maybe_in_rasa and (saved := await self._rasa.processed_turn(conversation.id, metadata[TURN_ID_KEY])):
            return saved  # Rasa saved the turn before the failure: its replies, without running it twice
        if conversation.needs_bot_resume:
            await self._desk.resume_bot(conversation.id, strict=True)
        turn = await self._rasa.send(conversation.id, said.for_bot, metadata, button=said.button is not None)
        if not turn.replies:
            # Rasa may still think an agent has the conversation (e.g. a restart during hand-back): resume once
            log.warning("the bot said nothing; resuming it and asking again",
                        extra={"conversation_id": conversation.id})
            await self._desk.resume_bot(conversation.id, strict=True)
            turn = await self._rasa.send(conversation.id, said.for_bot, metadata, button=said.button is not None)
        if not turn.replies:
            raise RasaUnavailable("Rasa answered with nothing (a custom action failed?)")
        return turn

    async def _bot_turn(self, conversation: Conversation, recent: list[Message], customer: Message, said: Said,
                        script: str | None, maybe_in_rasa: bool = False) -> TurnResult:
        conversation_id = conversation.id
        assessment = await self._assess(recent, customer, said)
        customer_notes: dict[str, Any] = {"frustration": assessment.to_json()}
        # the turn's id in Rasa's tracker names the stored message: a retry can find a turn Rasa saved
        metadata = {"language": said.language, "frustration": assessment.to_json(),
                    TURN_ID_KEY: f"seq-{customer.seq}"}
        try:
            turn = await self._ask_bot(conversation, said, metadata, maybe_in_rasa)
        except RasaStoreUnavailable as exc:  # its database is down: not the bot failing, nothing to hand off
            raise DatabaseUnavailable() from exc
        except RasaUnavailable as exc:
            log.error("Rasa unavailable: %s", exc, extra={"conversation_id": conversation_id})
            await self._conversations.annotate(conversation_id, customer.seq, customer_notes)
            return await self._hand_off_without_bot(conversation_id, _with(customer, customer_notes), said.language,
                                                    script)

        customer_notes.update(intent=turn.nlu.intent, confidence=turn.nlu.confidence,
                              entities=[dict(e) for e in turn.nlu.entities])
        annotations = {customer.seq: customer_notes}
        decision = turn.decision
        if decision.feedback is not None:
            rated = (said.button.message if said.button and said.button.feedback is not None
                     else rated_answer(recent, decision.feedback.article_id))
            if rated is not None:
                annotations[rated.seq] = {"helpful": decision.feedback.helpful}
        handoff, replies = await self._open_handoff(conversation_id, decision, said.language, turn.replies)
        new = [(Sender.BOT, *self._reply(reply, turn, decision, script)) for reply in replies]
        stored = await self._conversations.record(conversation_id, new, annotations,
                                                  known={customer.seq: customer.data})
        self._messenger.published(stored)
        messages = [_with(customer, customer_notes), *stored]
        if handoff is not None:
            await self._desk.handoff_started(handoff)
            messages.extend(await self._conversations.messages(conversation_id, after=messages[-1].seq))
            handoff = await self._handoffs.get(handoff.id)
        return TurnResult(messages, handoff)

    @staticmethod
    def _reply(reply: BotReply, turn: BotTurn, decision: TurnDecision,
               script: str | None) -> tuple[str, dict[str, Any]]:
        """A bot reply as stored: its text in the customer's script, with what the bot read from the turn."""
        data: dict[str, Any] = {"intent": turn.nlu.intent, "confidence": turn.nlu.confidence}
        if reply.buttons:
            data["buttons"] = [{**b, "title": in_script(str(b.get("title", "")), script)} for b in reply.buttons]
        data.update(reply.custom)
        if decision.feedback is not None and "feedback" not in data:
            data["feedback"] = decision.feedback.to_json()
        return in_script(reply.text, script), data

    async def _open_handoff(self, conversation_id: str, decision: TurnDecision, language: str,
                           replies: list[BotReply]) -> tuple[Handoff | None, list[BotReply]]:
        """The handoff the bot asked for. If it cannot be recorded, the bot is un-paused and the customer is
        told to try again instead of being told someone is coming."""
        request = decision.handoff
        if request is None:
            return None, replies
        try:
            handoff, _ = await self._handoffs.request(
                conversation_id, HandoffReason(request.reason), language=language, details=request.details(),
                priority=HandoffPriority(request.priority))
            return handoff, replies
        except Exception:
            log.exception("could not record the handoff the bot asked for", extra={"conversation_id": conversation_id})
        await self._desk.resume_bot(conversation_id)
        failed = [BotReply(r.text, r.buttons, {k: v for k, v in r.custom.items() if k != "handoff"})
                  for r in replies if not r.custom.get("handoff")]
        return None, [*failed, BotReply(service_text("handoff_failed", language), [], {"outcome": "handoff_failed"})]

    async def _hand_off_without_bot(self, conversation_id: str, customer: Message, language: str,
                                    script: str | None) -> TurnResult:
        handoff, _ = await self._handoffs.request(
            conversation_id, HandoffReason.BOT_UNAVAILABLE, language=language, details={}
        )
        notice = await self._messenger.append(
            conversation_id, Sender.SYSTEM, in_script(service_text("bot_unavailable", language), script),
            {"event": "handoff", "reason": HandoffReason.BOT_UNAVAILABLE.value}, to_agents=True,
        )
        await self._desk.handoff_started(handoff)
        later = await self._conversations.messages(conversation_id, after=notice.seq)
        return TurnResult([customer, notice, *later], await self._handoffs.get(handoff.id))


def _with(message: Message, extra: dict[str, Any]) -> Message:
    return Message(message.conversation_id, message.seq, message.sender, message.text, message.created_at,
                   {**message.data, **extra})
