"""The fleet layout's real parts for tests: a PostgreSQL database of the test's own (dropped after), a Redis
database number of its own, and the product started with several processes (faqbot.launcher.running)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from faqbot.launcher import Stack, free_port, running
from faqbot.settings import Settings
from tests.live import AGENT, TEST_LIMITS, trained_model

PG_SERVER = os.environ.get("FAQBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("FAQBOT_TEST_REDIS", "redis://127.0.0.1:6379")


async def _admin(*statements: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def own_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (and the Rasa trackers' `<name>_rasa`), dropped afterwards."""
    name = f"faqbot_ops_{secrets.token_hex(4)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                           f'DROP DATABASE IF EXISTS "{name}_rasa" WITH (FORCE)'))


def own_redis_db() -> int:
    """A Redis database number for this run (1–15, chosen at random: the numbers are shared with others, the
    keys written are per conversation and so never collide)."""
    return 1 + secrets.randbelow(15)


async def tracker_user_events(database: str) -> dict[str, int]:
    """Rasa's stored user messages per conversation, in the trackers' PostgreSQL database."""
    conn = await asyncpg.connect(f"{PG_SERVER}/{database}_rasa")
    try:
        rows = await conn.fetch("SELECT sender_id, count(*) AS n FROM events WHERE type_name = 'user' "
                                "GROUP BY sender_id")
    finally:
        await conn.close()
    return {r["sender_id"]: r["n"] for r in rows}


@contextmanager
def fleet(data_dir: Path, workers: int, rasa_instances: int, **overrides: object) -> Iterator[tuple[Stack, str]]:
    """The product on PostgreSQL + Redis with `workers` service processes (behind nginx when more than one) and
    `rasa_instances` Rasa instances. Yields the stack and the database's name."""
    with own_database() as database:
        settings = Settings(
            data_dir=data_dir, port=free_port(), bootstrap_agent=":".join(AGENT),  # type: ignore[arg-type]
            action_token=secrets.token_urlsafe(16),
            database_url=f"{PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{database}",
            redis_url=f"{REDIS_SERVER}/{own_redis_db()}", **{**TEST_LIMITS, **overrides})
        with running(settings, free_port(), trained_model(), log_dir=data_dir / "logs", workers=workers,
                     rasa_instances=rasa_instances) as stack:
            yield stack, database


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples (those with these labels) in Prometheus' text format."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total
