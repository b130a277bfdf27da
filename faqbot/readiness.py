"""Whether this process can serve: its database, Redis (when configured), Rasa and its knowledge-base index.

`/livez` asks nothing of these (the process answers: it is alive); `/readyz` asks each, at once and with
a short timeout, and names what is not ready, so a load balancer stops sending work to a process that
would fail it, and an operator sees why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.rasa_gateway import RasaGateway
from knowledge_base.service import KnowledgeBase

CHECK_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    ready: bool
    detail: str = ""


class Readiness:
    def __init__(self, engine: AsyncEngine, rasa: RasaGateway, knowledge: KnowledgeBase,
                 redis_url: str = "") -> None:
        self._engine = engine
        self._rasa = rasa
        self._knowledge = knowledge
        self._redis_url = redis_url
        self._redis = None

    async def check(self) -> dict[str, Check]:
        checks: dict[str, Callable[[], Awaitable[Check]]] = {
            "database": self._database, "rasa": self._rasa_instances, "index": self._index}
        if self._redis_url:
            checks["redis"] = self._redis_ping
        results = await asyncio.gather(*(_bounded(c) for c in checks.values()))
        return dict(zip(checks, results, strict=True))

    async def _database(self) -> Check:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return Check(True)

    async def _redis_ping(self) -> Check:
        if self._redis is None:
            from redis.asyncio import Redis

            self._redis = Redis.from_url(self._redis_url, socket_timeout=CHECK_TIMEOUT_SECONDS,
                                         socket_connect_timeout=CHECK_TIMEOUT_SECONDS)
        await self._redis.ping()
        return Check(True)

    async def _rasa_instances(self) -> Check:
        status = await self._rasa.instance_status()
        down = [url for url, ok in status.items() if not ok]
        ready = len(status) - len(down)
        detail = f"{ready} of {len(status)} instances ready" + (f"; not ready: {', '.join(down)}" if down else "")
        return Check(ready > 0, detail)

    async def _index(self) -> Check:
        loaded = self._knowledge.is_loaded
        return Check(loaded, f"{self._knowledge.article_count} articles" if loaded else "not built yet")

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


async def _bounded(check: Callable[[], Awaitable[Check]]) -> Check:
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS + 1)
    except TimeoutError:
        return Check(False, "timed out")
    except Exception as exc:  # a probe reports, never raises: the answer is "not ready, because …"
        return Check(False, f"{exc.__class__.__name__}: {str(exc)[:200]}")
