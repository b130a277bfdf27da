"""In-process publish/subscribe for live events (one service process; the database is the source of truth).
Several processes: `faqbot.fleet.hub.RedisEventHub`, the same interface over Redis pub/sub.

Subscribers get a bounded queue; a subscriber that falls too far behind is dropped and must
reconnect, replaying from the database what it missed by sequence number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)

AGENTS_TOPIC = "agents"
KB_TOPIC = "kb"  # the published knowledge base changed: every process reloads its retriever


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Subscription:
    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=maxsize)
        self.overflowed = False

    async def get(self) -> dict[str, Any] | None:
        """The next event, or None when the subscription was dropped for falling behind."""
        return await self.queue.get()


class EventHub:
    def __init__(self, queue_size: int = 1000) -> None:
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)
        self._queue_size = queue_size

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(self._queue_size)
        self._subscribers[topic].add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers[topic].discard(subscription)
            if not self._subscribers[topic]:
                del self._subscribers[topic]

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        for subscription in list(self._subscribers.get(topic, ())):
            if subscription.overflowed:
                continue
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                subscription.overflowed = True
                subscription.queue.get_nowait()  # make room for the end marker
                subscription.queue.put_nowait(None)
                log.warning("dropped a slow subscriber", extra={"topic": topic})
