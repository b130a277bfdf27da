"""The widget's API: start a conversation, send messages, read history, receive live events."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, WebSocket
from pydantic import BaseModel, Field, StringConstraints

from faqbot.api.contract import BODY, CUSTOMER, errors
from faqbot.api.deps import (
    ConversationToWrite,
    CustomerConversation,
    ServicesDep,
    open_conversation,
    websocket_services,
)
from faqbot.api.models import MAX_SQL_INT, RequestModel
from faqbot.api.responses import Language, MessageOut, MessagesOut, QueueOut
from faqbot.api.streams import accepted_replay_start, stream_conversation
from faqbot.conversations import ConversationNotFound, Sender, for_customer
from faqbot.conversations.identity import visitor_record
from faqbot.errors import AccessDenied, InvalidMessage, NotAuthenticated
from faqbot.metrics import turn_outcome
from faqbot.wiring import Services
from handoff import Handoff, HandoffPriority, HandoffReason, HandoffStatus

EmailLike = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]

router = APIRouter(prefix="/api/conversations", tags=["customer"])


class UserRequest(RequestModel):
    """Who the customer is, from the shop's page (the widget's setUser)."""

    name: str | None = Field(default=None, max_length=120)
    email: EmailLike | None = None
    external_id: str | None = Field(default=None, max_length=200, description="the shop's id of the customer")
    signature: str | None = Field(default=None, max_length=128,
                                  description="hex HMAC-SHA256 of external_id with FAQBOT_IDENTITY_SECRET")


class StartRequest(RequestModel):
    page_url: str | None = Field(default=None, max_length=2000, description="the full URL of the shop's page")
    language: Language | None = Field(default=None, description="'en' or 'zh' if the page knows it")
    user: UserRequest | None = None


class MessageRequest(RequestModel):
    text: str = Field(min_length=1, pattern=r"\S",
                      description="what the customer wrote, or the title of the button they pressed (over "
                                  "FAQBOT_MAX_MESSAGE_CHARS characters: 413 `message_too_long`)")
    payload: str | None = Field(default=None, max_length=500,
                                description="the pressed button's payload (e.g. '/request_human'); only payloads of "
                                "buttons the bot sent in this conversation are accepted")
    reply_to: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                 description="with `payload`: the `seq` of the bot message whose button was pressed "
                                 "(default: the latest message with buttons). A 👍/👎 on an earlier answer records "
                                 "feedback on that answer only; any other button no longer current gets 409 "
                                 "`stale_button`")
    client_id: str | None = Field(default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                  description="the widget's id of this message; a retry with the same id is "
                                              "not stored twice")


class TicketRequest(RequestModel):
    message: str = Field(min_length=1, pattern=r"\S", description="the question")
    name: str | None = Field(default=None, max_length=120)
    email: EmailLike | None = None
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+()\- .]{5,40}$")


class RatingRequest(RequestModel):
    score: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(default=None, max_length=2000)


class CustomerHandoff(BaseModel):
    """The customer's handoff: who they wait for or talk to."""

    id: str
    status: HandoffStatus
    reason: HandoffReason
    priority: HandoffPriority
    queue: QueueOut | None = Field(default=None, description="while queued and someone is online")
    agents_available: Literal[False] | None = Field(default=None,
                                                    description="false while queued and nobody is online")
    agent_name: str | None = Field(default=None, description="once a person has it")


class ConversationState(BaseModel):
    mode: Literal["bot", "human"]
    handoff: CustomerHandoff | None


class StartResponse(ConversationState):
    conversation_id: str
    token: str = Field(description="the conversation's secret: `Authorization: Bearer <token>` from now on")


class StatusResponse(ConversationState):
    conversation_id: str
    last_seq: int = Field(ge=0)


class TurnResponse(ConversationState):
    messages: list[MessageOut] = Field(description="the customer's message and the replies so far")


class UserResponse(BaseModel):
    verified: bool = Field(description="the shop's signature checks")


class LeftHandoff(BaseModel):
    id: str
    status: HandoffStatus


class LeaveResponse(BaseModel):
    handoff: LeftHandoff | None


# keys a handoff state leaves out stay out (`response_model_exclude_unset`)
STATE = {"response_model_exclude_unset": True}


async def _status(services: Services, handoff: Handoff | None) -> dict[str, Any]:
    """Who the customer is talking to; while waiting, their place in the queue and the expected wait."""
    if handoff is None:
        return {"mode": "bot", "handoff": None}
    state: dict[str, Any] = {"id": handoff.id, "status": handoff.status.value, "reason": handoff.reason.value,
                             "priority": handoff.priority.value}
    if handoff.status is HandoffStatus.QUEUED:
        queue = await services.desk.queue_status(handoff)
        if queue.agents_online:
            state["queue"] = queue.to_json()
        else:  # nobody can take it: the customer is offered a ticket, not a place in a queue
            state["agents_available"] = False
    if handoff.agent_id:
        agent = await services.core.agents.by_id(handoff.agent_id)
        state["agent_name"] = agent.display_name if agent else None
    return {"mode": "human", "handoff": state}


@router.post("", status_code=201, response_model=StartResponse, responses=errors(BODY, 429), **STATE)
async def start_conversation(services: ServicesDep, body: StartRequest | None = None) -> dict[str, Any]:
    """Start a conversation. Keep the token: every later call for this conversation needs it."""
    body = body or StartRequest()
    visitor = _visitor(body.user, services) if body.user else None
    conversation, token = await services.chat.start(page_url=body.page_url, language=body.language, visitor=visitor)
    return {"conversation_id": conversation.id, "token": token, **(await _status(services, None))}


def _visitor(user: UserRequest, services: Services) -> dict[str, Any]:
    return visitor_record(name=user.name, email=user.email, external_id=user.external_id, signature=user.signature,
                          secret=services.core.settings.identity_secret)


@router.put("/{conversation_id}/user", response_model=UserResponse, responses=errors(CUSTOMER, BODY))
async def set_user(conversation: CustomerConversation, body: UserRequest, services: ServicesDep) -> dict[str, Any]:
    """The shop tells who the customer is (setUser); `verified` is true only when the signature checks."""
    visitor = _visitor(body, services)
    await services.core.conversations.update(conversation.id, visitor=visitor)
    return {"verified": visitor["verified"]}


@router.get("/{conversation_id}", response_model=StatusResponse, responses=errors(CUSTOMER, 422), **STATE)
async def conversation_status(conversation: CustomerConversation, services: ServicesDep) -> dict[str, Any]:
    current, handoff = await services.chat.status(conversation.id)
    return {"conversation_id": current.id, "last_seq": current.last_seq, **(await _status(services, handoff))}


@router.post("/{conversation_id}/messages", response_model=TurnResponse,
             responses=errors(CUSTOMER, BODY, 409, 429), **STATE)
async def send_message(
    conversation: ConversationToWrite, body: MessageRequest, services: ServicesDep
) -> dict[str, Any]:
    """Send the customer's message; returns it (with its sequence number) and the bot's replies.

    Typed text is always read as text. A pressed button sends its title as `text`, its `payload` and the
    `reply_to` of the message it belongs to; a payload the bot did not send there gets 422 `unknown_button`.
    While a person has the conversation, the reply comes later, over the events socket.
    """
    started = time.perf_counter()
    capped = await services.cap.intercept(conversation, services.chat.validate_text(body.text), body.payload)
    result = capped or await services.chat.customer_message(conversation.id, body.text, payload=body.payload,
                                                            client_id=body.client_id, reply_to=body.reply_to)
    services.metrics.turn(time.perf_counter() - started, [turn_outcome(result.messages, result.handoff)])
    return {"messages": [m.to_json() for m in for_customer(result.messages)],
            **(await _status(services, result.handoff))}


@router.get("/{conversation_id}/messages", response_model=MessagesOut, responses=errors(CUSTOMER, 422))
async def history(
    conversation: CustomerConversation, services: ServicesDep, after: int = Query(default=0, ge=0, le=MAX_SQL_INT)
) -> dict[str, Any]:
    """Every message with a sequence number above `after`, in order."""
    return {"messages": [m.to_json() for m in for_customer(await services.chat.history(conversation.id, after))]}


@router.websocket("/{conversation_id}/events")
async def events(websocket: WebSocket, conversation_id: str, token: str = "", after: int = 0) -> None:
    """Live messages (bot, agent, system). First replays everything after `after`, then streams.

    Each event carries the message's `seq`; a client that reconnects passes the last seq it saw.
    """
    services = websocket_services(websocket)
    if not await accepted_replay_start(websocket, after):
        return
    try:
        await open_conversation(services, conversation_id, token)
    except (ConversationNotFound, AccessDenied):
        await websocket.close(code=4403, reason="unknown conversation or wrong token")
        return
    except NotAuthenticated:
        await websocket.close(code=4401, reason="this conversation has ended; start a new one")
        return
    await websocket.accept()

    async def on_client_event(event: dict[str, Any]) -> None:
        if event.get("type") == "typing":
            services.desk.typing(conversation_id, Sender.CUSTOMER)

    await stream_conversation(websocket, services, conversation_id, max(after, 0), Sender.CUSTOMER,
                              on_client_event)


@router.post("/{conversation_id}/ticket", status_code=201, response_model=TurnResponse,
             responses=errors(CUSTOMER, BODY, 409, 429), **STATE)
async def leave_message(conversation: ConversationToWrite, body: TicketRequest, services: ServicesDep
                        ) -> dict[str, Any]:
    """No one is available: leave a question and a way to reach you; it becomes an offline ticket."""
    text = services.chat.validate_text(body.message)
    contact = {k: v.strip() for k, v in (("name", body.name), ("email", body.email), ("phone", body.phone))
               if v and v.strip()}
    if not contact.get("email") and not contact.get("phone"):
        raise InvalidMessage("leave an e-mail address or a phone number so we can reply", code="contact_required")
    handoff, messages = await services.desk.leave_message(conversation.id, contact, text)
    return {"messages": [m.to_json() for m in for_customer(messages)], **(await _status(services, handoff))}


@router.post("/{conversation_id}/rating", response_model=MessagesOut, responses=errors(CUSTOMER, BODY, 409, 429))
async def rate(conversation: ConversationToWrite, body: RatingRequest, services: ServicesDep) -> dict[str, Any]:
    """Rate the help a person gave, 1 (poor) to 5 (excellent), with an optional comment."""
    _, messages = await services.desk.rate(conversation.id, body.score, body.comment)
    return {"messages": [m.to_json() for m in messages]}


@router.post("/{conversation_id}/leave", response_model=LeaveResponse, responses=errors(CUSTOMER, 422))
async def leave(conversation: CustomerConversation, services: ServicesDep) -> dict[str, Any]:
    """The customer closed the chat: a request for a person that is still waiting is withdrawn."""
    handoff = await services.desk.customer_left(conversation.id)
    return {"handoff": None if handoff is None else {"id": handoff.id, "status": handoff.status.value}}
