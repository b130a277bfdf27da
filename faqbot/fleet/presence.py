"""Presence and the sweep's marks in Redis, for several service processes.

Each agent has a sorted set `<prefix>:conn:<agent>` of the processes holding one of their consoles, scored
by when that entry expires. A process refreshes its entries with a heartbeat (every third of the TTL) and
removes one when its last console for the agent closes. A process killed without closing them leaves
entries that stop being refreshed: once expired, `lost()` (called by the sweep, on the leader) reports the
agent, who then gets the grace period as if the console had closed — or nothing at all, if their console
already reconnected to another process. Clocks of the processes are assumed in sync (NTP) to well within
the TTL.

While Redis cannot be reached, every call answers from this process's own knowledge (its connection
counts; nothing lost; no marks) and logs it, so consoles and agents' replies keep working; the heartbeat
puts this process's entries back once Redis is there again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from faqbot.fleet.redis import REDIS_DOWN, Fleet
from handoff.desk.state import ConnectionCounter

log = logging.getLogger(__name__)


class RedisPresence:
    shared = True

    def __init__(self, fleet: Fleet, ttl_seconds: float = 15.0) -> None:
        self._fleet = fleet
        self._redis = fleet.redis
        self._ttl = ttl_seconds
        self._local = ConnectionCounter()
        self._index = fleet.key("conn-agents")
        self._away = fleet.key("away-by-disconnect")
        self._heartbeat: asyncio.Task | None = None
        self._outage = _Outage()

    def _key(self, agent_id: str) -> str:
        return self._fleet.key("conn", agent_id)

    async def connected(self, agent_id: str) -> bool:
        first_here = self._local.connected(agent_id)
        try:
            return await self._connected(agent_id)
        except REDIS_DOWN as exc:
            self._outage.note(exc)
            return first_here

    async def _connected(self, agent_id: str) -> bool:
        now = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(self._key(agent_id), "-inf", now)
            pipe.zcard(self._key(agent_id))
            pipe.zadd(self._key(agent_id), {self._fleet.process_id: now + self._ttl})
            pipe.sadd(self._index, agent_id)
            _, before, _, _ = await pipe.execute()
        return before == 0

    async def disconnected(self, agent_id: str) -> bool:
        if not self._local.disconnected(agent_id):
            return False
        try:
            return await self._disconnected(agent_id)
        except REDIS_DOWN as exc:
            self._outage.note(exc)
            return True

    async def _disconnected(self, agent_id: str) -> bool:
        now = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._key(agent_id), self._fleet.process_id)
            pipe.zcount(self._key(agent_id), now, "+inf")
            _, elsewhere = await pipe.execute()
        return elsewhere == 0

    async def is_connected(self, agent_id: str) -> bool:
        try:
            return await self._redis.zcount(self._key(agent_id), time.time(), "+inf") > 0
        except REDIS_DOWN as exc:
            self._outage.note(exc)
            return self._local.is_connected(agent_id)

    async def lost(self) -> list[str]:
        try:
            return await self._lost()
        except REDIS_DOWN as exc:
            self._outage.note(exc)
            return []

    async def _lost(self) -> list[str]:
        lost = []
        now = time.time()
        for raw in await self._redis.smembers(self._index):
            agent_id = raw.decode() if isinstance(raw, bytes) else raw
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zcount(self._key(agent_id), now, "+inf")
                pipe.zremrangebyscore(self._key(agent_id), "-inf", now)
                pipe.zcard(self._key(agent_id))
                live, expired, left = await pipe.execute()
            if live == 0 and expired > 0:
                lost.append(agent_id)  # whoever removed the expired entries reports the agent, once
            if left == 0:
                await self._redis.srem(self._index, agent_id)
        return lost

    async def mark_away_by_disconnect(self, agent_id: str) -> None:
        try:
            await self._redis.sadd(self._away, agent_id)
        except REDIS_DOWN as exc:
            self._outage.note(exc)

    async def clear_away_by_disconnect(self, agent_id: str) -> bool:
        try:
            return bool(await self._redis.srem(self._away, agent_id))
        except REDIS_DOWN as exc:
            self._outage.note(exc)
            return False

    # -- heartbeat -------------------------------------------------------------------------------

    async def beat(self) -> None:
        """Refresh this process's entries (and the index, in case a sweep dropped it meanwhile)."""
        agents = self._local.agents()
        if not agents:
            return
        expires = time.time() + self._ttl
        async with self._redis.pipeline(transaction=False) as pipe:
            for agent_id in agents:
                pipe.zadd(self._key(agent_id), {self._fleet.process_id: expires})
                pipe.sadd(self._index, agent_id)
            await pipe.execute()

    async def start(self) -> None:
        self._heartbeat = asyncio.create_task(self._beat_forever())

    async def aclose(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            try:
                await self.beat()
            except Exception as exc:  # noqa: BLE001 - Redis away: try again at the next beat
                log.warning("presence heartbeat failed: %s", exc)


class RedisMarks:
    """The sweep's marks in Redis: a breach is flagged once in the fleet; the queue is told once per interval."""

    BREACH_TTL_SECONDS = 7 * 24 * 3600

    def __init__(self, fleet: Fleet) -> None:
        self._fleet = fleet
        self._redis = fleet.redis
        self._outage = _Outage()

    async def flag_breach(self, handoff_id: str) -> bool:
        return bool(await self._redis.set(self._fleet.key("breach", handoff_id), 1, nx=True,
                                          ex=self.BREACH_TTL_SECONDS))

    async def clear_breach(self, handoff_id: str) -> None:
        try:
            await self._redis.delete(self._fleet.key("breach", handoff_id))
        except REDIS_DOWN as exc:
            self._outage.note(exc)

    async def queue_update_due(self, interval_seconds: float) -> bool:
        return bool(await self._redis.set(self._fleet.key("queue-update"), 1, nx=True,
                                          px=max(1, int(interval_seconds * 1000))))


class _Outage:
    """Logs a Redis outage at most every few seconds."""

    def __init__(self) -> None:
        self._last_warning = 0.0

    def note(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._last_warning > 5:
            self._last_warning = now
            log.warning("presence: Redis unavailable (%s); answering from this process's connections", exc)
