"""The widget's API: start a conversation, send messages, read history, receive live events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket
from pydantic import BaseModel, Field, StringConstraints

from faqbot.api.deps import CustomerConversation, ServicesDep, websocket_services
from faqbot.api.streams import stream_conversation
from faqbot.conversations import ConversationNotFound, Sender
from faqbot.errors import AccessDenied, InvalidMessage
from faqbot.wiring import Services
from handoff import Handoff, HandoffStatus

EmailLike = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]

router = APIRouter(prefix="/api/conversations", tags=["customer"])


class StartRequest(BaseModel):
    page_url: str | None = Field(default=None, max_length=2000, description="where the widget is embedded")
    language: str | None = Field(default=None, description="'en' or 'zh' if the page knows it")


class MessageRequest(BaseModel):
    text: str = Field(description="what the customer wrote, or the title of the button they pressed")
    payload: str | None = Field(default=None, max_length=500,
                                description="the pressed button's payload (e.g. '/request_human'); only payloads of "
                                "buttons the bot sent in this conversation are accepted")
    reply_to: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                 description="with `payload`: the `seq` of the bot message whose button was pressed "
                                 "(default: the latest message with buttons). A 👍/👎 on an earlier answer records "
                                 "feedback on that answer only; any other button no longer current gets 409 "
                                 "`stale_button`")


class TicketRequest(BaseModel):
    message: str = Field(description="the question")
    name: str | None = Field(default=None, max_length=120)
    email: EmailLike | None = None
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+()\- .]{5,40}$")


class RatingRequest(BaseModel):
    score: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(default=None, max_length=2000)


async def _status(services: Services, handoff: Handoff | None) -> dict[str, Any]:
    """Who the customer is talking to; while waiting, their place in the queue and the expected wait."""
    if handoff is None:
        return {"mode": "bot", "handoff": None}
    state: dict[str, Any] = {"id": handoff.id, "status": handoff.status.value, "reason": handoff.reason.value,
                             "priority": handoff.priority.value}
    if handoff.status is HandoffStatus.QUEUED:
        state["queue"] = (await services.desk.queue_status(handoff)).to_json()
    if handoff.agent_id:
        agent = await services.core.agents.by_id(handoff.agent_id)
        state["agent_name"] = agent.display_name if agent else None
    return {"mode": "human", "handoff": state}


@router.post("", status_code=201)
async def start_conversation(services: ServicesDep, body: StartRequest | None = None) -> dict[str, Any]:
    """Start a conversation. Keep the token: every later call for this conversation needs it."""
    body = body or StartRequest()
    conversation, token = await services.chat.start(page_url=body.page_url, language=body.language)
    return {"conversation_id": conversation.id, "token": token, **(await _status(services, None))}


@router.get("/{conversation_id}")
async def conversation_status(conversation: CustomerConversation, services: ServicesDep) -> dict[str, Any]:
    current, handoff = await services.chat.status(conversation.id)
    return {"conversation_id": current.id, "last_seq": current.last_seq, **(await _status(services, handoff))}


@router.post("/{conversation_id}/messages")
async def send_message(
    conversation: CustomerConversation, body: MessageRequest, services: ServicesDep
) -> dict[str, Any]:
    """Send the customer's message; returns it (with its sequence number) and the bot's replies.

    Typed text is always read as text. A pressed button sends its title as `text`, its `payload` and the
    `reply_to` of the message it belongs to; a payload the bot did not send there gets 422 `unknown_button`.
    While a person has the conversation, the reply comes later, over the events socket.
    """
    result = await services.chat.customer_message(conversation.id, body.text, payload=body.payload,
                                                  reply_to=body.reply_to)
    return {"messages": [m.to_json() for m in result.messages], **(await _status(services, result.handoff))}


@router.get("/{conversation_id}/messages")
async def history(
    conversation: CustomerConversation, services: ServicesDep, after: int = Query(default=0, ge=0)
) -> dict[str, Any]:
    """Every message with a sequence number above `after`, in order."""
    return {"messages": [m.to_json() for m in await services.chat.history(conversation.id, after)]}


@router.websocket("/{conversation_id}/events")
async def events(websocket: WebSocket, conversation_id: str, token: str = "", after: int = 0) -> None:
    """Live messages (bot, agent, system). First replays everything after `after`, then streams.

    Each event carries the message's `seq`; a client that reconnects passes the last seq it saw.
    """
    services = websocket_services(websocket)
    try:
        await services.chat.authenticate(conversation_id, token)
    except (ConversationNotFound, AccessDenied):
        await websocket.close(code=4403, reason="unknown conversation or wrong token")
        return
    await websocket.accept()

    async def on_client_event(event: dict[str, Any]) -> None:
        if event.get("type") == "typing":
            services.desk.typing(conversation_id, Sender.CUSTOMER)

    await stream_conversation(websocket, services, conversation_id, max(after, 0), Sender.CUSTOMER,
                              on_client_event)


@router.post("/{conversation_id}/ticket", status_code=201)
async def leave_message(conversation: CustomerConversation, body: TicketRequest, services: ServicesDep
                        ) -> dict[str, Any]:
    """No one is available: leave a question and a way to reach you; it becomes an offline ticket."""
    text = services.chat.validate_text(body.message)
    contact = {k: v.strip() for k, v in (("name", body.name), ("email", body.email), ("phone", body.phone))
               if v and v.strip()}
    if not contact.get("email") and not contact.get("phone"):
        raise InvalidMessage("leave an e-mail address or a phone number so we can reply", code="contact_required")
    handoff, messages = await services.desk.leave_message(conversation.id, contact, text)
    return {"messages": [m.to_json() for m in messages], **(await _status(services, handoff))}


@router.post("/{conversation_id}/rating")
async def rate(conversation: CustomerConversation, body: RatingRequest, services: ServicesDep) -> dict[str, Any]:
    """Rate the help a person gave, 1 (poor) to 5 (excellent), with an optional comment."""
    _, messages = await services.desk.rate(conversation.id, body.score, body.comment)
    return {"messages": [m.to_json() for m in messages]}


@router.post("/{conversation_id}/leave")
async def leave(conversation: CustomerConversation, services: ServicesDep) -> dict[str, Any]:
    """The customer closed the chat: a request for a person that is still waiting is withdrawn."""
    handoff = await services.desk.customer_left(conversation.id)
    return {"handoff": None if handoff is None else {"id": handoff.id, "status": handoff.status.value}}
