"""Relaying hub events to a WebSocket, while reading what the client sends and noticing when it leaves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from faqbot.conversations.hub import Subscription
from faqbot.security.ratelimit import RateLimited, SocketQuota

log = logging.getLogger(__name__)

ClientEvent = Callable[[dict[str, Any]], Awaitable[None]]
# what to send for one hub event: nothing, the event, or more (a stream filling a gap from the database)
Select = Callable[[dict[str, Any]], Awaitable[list[dict[str, Any]]]]


async def _ignore(_: dict[str, Any]) -> None:
    return None


async def _as_is(event: dict[str, Any]) -> list[dict[str, Any]]:
    return [event]


async def relay(websocket: WebSocket, subscription: Subscription,
                select: Select = _as_is,
                on_client_event: ClientEvent = _ignore, quota: SocketQuota | None = None) -> None:
    """Send what `select` makes of each event, until the client disconnects.

    The client may send `{"type": "ping"}` (answered with a pong) and other small JSON events
    (e.g. typing), which go to `on_client_event`. Over its `quota`, an event is answered with a
    `rate_limited` error and dropped; a client that keeps flooding is disconnected (1008).
    """
    receiver = asyncio.create_task(_receive(websocket, on_client_event, quota))
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
            for out in await select(event):
                await websocket.send_json(out)
    except WebSocketDisconnect:
        return
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver


async def _receive(websocket: WebSocket, on_client_event: ClientEvent, quota: SocketQuota | None) -> None:
    try:
        while True:
            data = await websocket.receive_json()
            if quota is not None:
                try:
                    await quota.spend()
                except RateLimited as exc:
                    if quota.exhausted:
                        await websocket.close(code=1008, reason="too many events")
                        return
                    await websocket.send_json({"type": "error", "error": {"code": exc.code, "message": exc.message,
                                                                          "retry_after": exc.retry_after}})
                    continue
            if not isinstance(data, dict):
                continue
            if data.get("type") == "ping":
                await websocket.send_json({"type": "pong"})
                continue
            try:
                await on_client_event(data)
            except Exception:  # a bad client event must not close the connection
                log.exception("could not handle a client event")
    except (WebSocketDisconnect, ValueError, RuntimeError):
        return
