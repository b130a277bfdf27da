"""A conversation's live stream, shared by the customer's widget and the agent's console.

On connect it replays every message after the client's last sequence number, then streams new
ones, each exactly once (subscribing before the replay, and dropping anything already sent by its
seq). Passing events (typing, queue position) are streamed as they come, except the client's own.
"""

from __future__ import annotations

from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from faqbot.api.live import ClientEvent, relay
from faqbot.api.models import MAX_SQL_INT
from faqbot.conversations import AGENTS_ONLY, Sender
from faqbot.conversations.hub import conversation_topic
from faqbot.wiring import Services


async def accepted_replay_start(websocket: WebSocket, after: int) -> bool:
    """False (and the socket closed with 4400) when `after` cannot be a sequence number."""
    if after > MAX_SQL_INT:
        await websocket.close(code=4400, reason=f"after must be at most {MAX_SQL_INT}")
        return False
    return True


async def stream_conversation(websocket: WebSocket, services: Services, conversation_id: str, after: int,
                              me: Sender, on_client_event: ClientEvent) -> None:
    async with services.hub.subscribe(conversation_topic(conversation_id)) as subscription:
        last_sent = after
        hidden = me is Sender.CUSTOMER  # internal notes and agents' events stay with the agents
        try:
            for message in await services.chat.history(conversation_id, after):
                if hidden and message.agents_only:
                    continue
                await websocket.send_json({"type": "message", "message": message.to_json()})
                last_sent = message.seq
        except WebSocketDisconnect:
            return

        def accept(event: dict[str, Any]) -> bool:
            nonlocal last_sent
            if event.get("type") != "message":
                return event.get("sender") != me.value  # don't echo a client's own typing
            seq = event["message"]["seq"]
            if seq <= last_sent or (hidden and event["message"]["data"].get("audience") == AGENTS_ONLY):
                return False
            last_sent = seq
            return True

        await relay(websocket, subscription, accept, on_client_event, services.limiter.socket_quota())
