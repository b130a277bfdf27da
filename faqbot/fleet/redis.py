"""The Redis connection one service process shares with its fleet, and who this process is."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# what a Redis outage looks like to the caller
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


def process_identity() -> str:
    """Unique per process start: host, pid and a random part (a pid may be reused after a crash)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class Fleet:
    """Redis and the key prefix every key and channel of this product starts with."""

    url: str
    prefix: str = "faqbot"
    process_id: str = field(default_factory=process_identity)

    def __post_init__(self) -> None:
        self.redis = aioredis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5,
                                       health_check_interval=10, retry_on_timeout=False)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def aclose(self) -> None:
        await self.redis.aclose()
