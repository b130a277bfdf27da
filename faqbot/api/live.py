"""Relaying hub events to a WebSocket, while answering the client's pings and noticing when it leaves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from faqbot.conversations.hub import Subscription


async def relay(websocket: WebSocket, subscription: Subscription,
                accept: Callable[[dict[str, Any]], bool] = lambda _: True) -> None:
    """Send every event `accept` lets through, until the client disconnects."""
    receiver = asyncio.create_task(_answer_pings(websocket))
    try:
        while True:
            getter = asyncio.create_task(subscription.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                getter.cancel()
                return
            event = getter.result()
            if event is None:  # fell behind; the client reconnects and replays from the database
                await websocket.close(code=4408, reason="too slow; reconnect")
                return
            if accept(event):
                await websocket.send_json(event)
    except WebSocketDisconnect:
        return
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver


async def _answer_pings(websocket: WebSocket) -> None:
    try:
        while True:
            data = await websocket.receive_json()
            if isinstance(data, dict) and data.get("type") == "ping":
                await websocket.send_json({"type": "pong"})
    except (WebSocketDisconnect, ValueError, RuntimeError):
        return
