"""Live events across processes: Redis pub/sub behind the same `EventHub` interface.

An event is delivered at once to this process's subscribers and published on one Redis channel; every
other process's listener hands it to its own subscribers. Redis is only the doorbell: messages are stored
in the database first and carry their sequence number, so a stream that sees a gap, or a `resync` (sent
to every local subscriber after the listener reconnects, and published for topics whose events could not
be sent), reads what it missed from the database. Nothing is lost if Redis restarts; nothing is doubled,
because streams drop what they already sent by sequence number.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from faqbot.conversations.hub import EventHub
from faqbot.fleet.redis import REDIS_DOWN, Fleet

log = logging.getLogger(__name__)

RESYNC = {"type": "resync"}
RECONNECT_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0)


class RedisEventHub(EventHub):
    def __init__(self, fleet: Fleet, queue_size: int = 1000) -> None:
        super().__init__(queue_size)
        self._fleet = fleet
        self._channel = fleet.key("events")
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._unsent_topics: set[str] = set()
        self._tasks: list[asyncio.Task] = []
        self.listening = asyncio.Event()  # set while subscribed to the channel
        self.published_count = 0  # to Redis (for the numbers per turn)

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen(), name="hub-listen"),
                       asyncio.create_task(self._send(), name="hub-send")]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 5)  # usually at once; a Redis outage must not block

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        self._deliver(topic, event)
        self._outbox.put_nowait((topic, json.dumps({"p": self._fleet.process_id, "t": topic, "e": event})))

    def _deliver(self, topic: str, event: dict[str, Any]) -> None:
        super().publish(topic, event)

    async def _send(self) -> None:
        redis = self._fleet.redis
        while True:
            topic, payload = await self._outbox.get()
            try:
                for missed in sorted(self._unsent_topics):  # those topics' watchers elsewhere re-read the database
                    await redis.publish(self._channel, json.dumps({"p": self._fleet.process_id, "t": missed,
                                                                   "e": RESYNC}))
                    self._unsent_topics.discard(missed)
                await redis.publish(self._channel, payload)
                self.published_count += 1
            except REDIS_DOWN as exc:
                if not self._unsent_topics:
                    log.warning("could not publish a live event to Redis (%s); other processes will re-read "
                                "the database", exc)
                self._unsent_topics.add(topic)

    async def _listen(self) -> None:
        attempt = 0
        reconnected = False
        while True:
            pubsub = self._fleet.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self.listening.set()
                if reconnected:
                    log.info("live events: reconnected to Redis; streams re-read what they missed")
                    self._resync_everyone()
                attempt = 0
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is None or message.get("type") != "message":
                        continue
                    data = json.loads(message["data"])
                    if data.get("p") != self._fleet.process_id:
                        self._deliver(data["t"], data["e"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: reconnect
                if self.listening.is_set():
                    log.warning("live events: lost Redis (%s); reconnecting", exc)
                self.listening.clear()
                reconnected = True
                await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])
                attempt += 1
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _resync_everyone(self) -> None:
        for topic in list(self._subscribers):
            self._deliver(topic, RESYNC)
