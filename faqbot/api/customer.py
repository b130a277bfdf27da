"""The widget's API: start a conversation, send messages, read history, receive live events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from faqbot.api.deps import CustomerConversation, ServicesDep, websocket_services
from faqbot.api.live import relay
from faqbot.conversations import ConversationNotFound
from faqbot.conversations.hub import conversation_topic
from faqbot.errors import AccessDenied
from faqbot.wiring import Services
from handoff import Handoff

router = APIRouter(prefix="/api/conversations", tags=["customer"])


class StartRequest(BaseModel):
    page_url: str | None = Field(default=None, max_length=2000, description="where the widget is embedded")
    language: str | None = Field(default=None, description="'en' or 'zh' if the page knows it")


class MessageRequest(BaseModel):
    text: str = Field(description="what the customer wrote, or the title of the button they pressed")
    payload: str | None = Field(default=None, max_length=500,
                                description="the pressed button's payload (e.g. '/request_human'), sent to the bot")


def _status(handoff: Handoff | None) -> dict[str, Any]:
    if handoff is None:
        return {"mode": "bot", "handoff": None}
    return {"mode": "human", "handoff": {"id": handoff.id, "status": handoff.status.value,
                                         "reason": handoff.reason.value, "priority": handoff.priority.value}}


@router.post("", status_code=201)
async def start_conversation(services: ServicesDep, body: StartRequest | None = None) -> dict[str, Any]:
    """Start a conversation. Keep the token: every later call for this conversation needs it."""
    body = body or StartRequest()
    conversation, token = await services.chat.start(page_url=body.page_url, language=body.language)
    return {"conversation_id": conversation.id, "token": token, **_status(None)}


@router.get("/{conversation_id}")
async def conversation_status(conversation: CustomerConversation, services: ServicesDep) -> dict[str, Any]:
    current, handoff = await services.chat.status(conversation.id)
    return {"conversation_id": current.id, "last_seq": current.last_seq, **_status(handoff)}


@router.post("/{conversation_id}/messages")
async def send_message(
    conversation: CustomerConversation, body: MessageRequest, services: ServicesDep
) -> dict[str, Any]:
    """Send the customer's message; returns it (with its sequence number) and the bot's replies.

    While a person has the conversation, the reply comes later, over the events socket.
    """
    result = await services.chat.customer_message(conversation.id, body.text, payload=body.payload)
    return {"messages": [m.to_json() for m in result.messages], **_status(result.handoff)}


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
    await stream_conversation(websocket, services, conversation_id, max(after, 0))


async def stream_conversation(websocket: WebSocket, services: Services, conversation_id: str, after: int) -> None:
    # subscribe before replaying, so nothing published in between is missed; seq removes the overlap
    async with services.hub.subscribe(conversation_topic(conversation_id)) as subscription:
        last_sent = after
        try:
            for message in await services.chat.history(conversation_id, after):
                await websocket.send_json({"type": "message", "message": message.to_json()})
                last_sent = message.seq
        except WebSocketDisconnect:
            return

        def unseen(event: dict[str, Any]) -> bool:
            nonlocal last_sent
            seq = event["message"]["seq"]
            if seq <= last_sent:
                return False
            last_sent = seq
            return True

        await relay(websocket, subscription, unseen)
