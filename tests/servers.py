"""The real PostgreSQL and Redis servers of this machine, used without touching anyone else's data:
a database of our own per test (dropped after) and a random Redis key prefix (its keys deleted after)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

PG_SERVER = os.environ.get("FAQBOT_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("FAQBOT_TEST_REDIS", "redis://127.0.0.1:6379/0")


@contextlib.asynccontextmanager
async def postgres_database(kind: str = "fleet") -> AsyncIterator[str]:
    """The URL of a fresh, empty database, dropped afterwards (connections still open are ended)."""
    name = f"faqbot_{kind}_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            # Rasa's trackers, beside a PostgreSQL database (faqbot/rasa_stores.py), when a test started Rasa
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_rasa" WITH (FORCE)'))
        await admin.dispose()


def redis_prefix(kind: str = "fleet") -> str:
    return f"faqbot-test-{kind}-{uuid.uuid4().hex[:10]}"


async def delete_redis_keys(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
