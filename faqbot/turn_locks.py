"""One turn at a time per conversation: a customer's next message waits until the previous one is handled.

Behind a small interface: for one process, `LocalTurnLocks` keeps an asyncio lock per conversation while
anyone holds or waits for it; several processes share `faqbot.fleet.turn_locks.RedisTurnLocks`.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from typing import Protocol


class TurnLocks(Protocol):
    def hold(self, conversation_id: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class LocalTurnLocks:
    """Turn locks of one process (a conversation's lock lives while it is held or awaited)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        async with lock:
            yield
