"""One turn at a time per conversation across processes: a Redis lock per conversation.

Within a process the local lock queues turns first, so only one task per process polls Redis. The lock
expires on its own unless renewed: the holder renews it every third of `timeout_seconds` while the turn
runs, so a process killed mid-turn blocks the conversation for at most `timeout_seconds`. If Redis cannot
be reached the turn goes ahead under the local lock alone (logged): a customer's message is never refused
because the lock service is restarting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.exceptions import LockError

from faqbot.fleet.redis import REDIS_DOWN, Fleet
from faqbot.turn_locks import LocalTurnLocks

log = logging.getLogger(__name__)


class RedisTurnLocks:
    def __init__(self, fleet: Fleet, timeout_seconds: float = 10.0, wait_seconds: float = 90.0) -> None:
        self._fleet = fleet
        self._local = LocalTurnLocks()
        self._timeout = timeout_seconds
        self._wait = wait_seconds
        self.acquired = 0  # for the numbers per turn

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        async with self._local.hold(conversation_id):
            lock = self._fleet.redis.lock(self._fleet.key("turn", conversation_id), timeout=self._timeout,
                                          sleep=0.02, blocking_timeout=self._wait)
            try:
                held = await lock.acquire()
            except REDIS_DOWN as exc:
                log.warning("turn lock unavailable (%s): this turn runs under the process's lock only", exc,
                            extra={"conversation_id": conversation_id})
                held = False
            else:
                if not held:
                    raise TimeoutError(f"conversation {conversation_id} stayed busy for {self._wait:.0f} s")
                self.acquired += 1
            renewal = asyncio.create_task(self._renew(lock)) if held else None
            try:
                yield
            finally:
                if renewal is not None:
                    renewal.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await renewal
                if held:
                    with contextlib.suppress(LockError, *REDIS_DOWN):
                        await lock.release()

    async def _renew(self, lock) -> None:
        while True:
            await asyncio.sleep(self._timeout / 3)
            try:
                await lock.reacquire()
            except (LockError, *REDIS_DOWN) as exc:
                log.warning("could not renew a turn lock: %s", exc)
