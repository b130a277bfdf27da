"""A conversation's live stream, shared by the customer's widget and the agent's console.

On connect it replays every message after the client's last sequence number, then streams new
ones, each exactly once and in order (subscribing before the replay, and dropping anything already sent
by its seq). A message whose seq skips ahead (events from several processes can arrive out of order) or a
`resync` from the hub (its link to the other processes was down) makes the stream read what it missed
from the database instead. Passing events (typing, queue position) are streamed as they come, except the
client's own.
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

        async def missed() -> list[dict[str, Any]]:
            nonlocal last_sent
            out = []
            for message in await services.chat.history(conversation_id, last_sent):
                if message.seq <= last_sent:
                    continue
                last_sent = message.seq
                if not (hidden and message.agents_only):
                    out.append({"type": "message", "message": message.to_json()})
            return out

        try:
            for event in await missed():
                await websocket.send_json(event)
        except WebSocketDisconnect:
            return

        async def select(event: dict[str, Any]) -> list[dict[str, Any]]:
            nonlocal last_sent
            kind = event.get("type")
            if kind == "resync":
                return await missed()
            if kind != "message":
                return [event] if event.get("sender") != me.value else []  # don't echo a client's own typing
            seq = event["message"]["seq"]
            if seq <= last_sent:
                return []
            if seq > last_sent + 1:
                return await missed()  # an earlier one is still on its way (or was lost): the database has it
            last_sent = seq
            if hidden and event["message"]["data"].get("audience") == AGENTS_ONLY:
                return []
            return [event]

        await relay(websocket, subscription, select, on_client_event, services.limiter.socket_quota())
