"""Database and Redis work per customer turn with two service processes sharing PostgreSQL and Redis.

    .venv/bin/python -m bench.fleet_ops [--turns 30]

Starts the fleet of `tests/fleet_stack.py` (processes a and b, one Rasa) on a database and a redis-server of
its own, then counts, over `--turns` customer messages of each kind sent through process a:
  - Redis commands (INFO commandstats of the private server: only this fleet uses it), by command;
  - PostgreSQL transactions (committed: writes; rolled back: SQLAlchemy's read-only connections) and rows
    (pg_stat_database of the private database);
with the idle background (heartbeats, leader renewals, the sweep's queries) measured over the same time
with no traffic and subtracted. Kinds: a bot turn (through Rasa and the knowledge base) and a customer
message during a handoff (stored, shown live to the agent on process b).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import save
from tests.fleet_stack import PrivateRedis, running_fleet
from tests.live import AgentClient, Customer
from tests.servers import postgres_database, redis_prefix

PG_SETTLE_SECONDS = 1.5  # backends report their statistics at most about once a second


def redis_calls(client: redis.Redis) -> dict[str, int]:
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


async def pg_counts(url: str) -> dict[str, int]:
    """Counters of the database (read from the `postgres` database, so that reading them adds nothing)."""
    server, name = url.rsplit("/", 1)
    engine = create_async_engine(f"{server}/postgres")
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        row = (await conn.execute(text(
            "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched "
            "FROM pg_stat_database WHERE datname = :n"), {"n": name})).one()
    await engine.dispose()
    # SQLAlchemy ends read-only connections with a rollback: those are the reads
    return dict(zip(("write_transactions", "read_transactions", "rows_inserted", "rows_updated", "rows_deleted",
                     "rows_fetched"), row, strict=True))


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)
            if after.get(k, 0) != before.get(k, 0)}


async def measure(r: redis.Redis, url: str, work) -> tuple[dict[str, int], dict[str, int], float]:
    """Counts over `work` (run in a thread: the sockets' event loop keeps running), settling included."""
    await asyncio.sleep(PG_SETTLE_SECONDS)
    redis_before, pg_before = redis_calls(r), await pg_counts(url)
    started = time.perf_counter()
    await asyncio.to_thread(work)
    await asyncio.sleep(PG_SETTLE_SECONDS)
    elapsed = time.perf_counter() - started
    return delta(redis_calls(r), redis_before), delta(await pg_counts(url), pg_before), elapsed


def per_turn(work_counts: dict[str, int], idle_counts: dict[str, int], idle_seconds: float, seconds: float,
             turns: int) -> dict[str, float]:
    out = {}
    for key in set(work_counts) | set(idle_counts):
        value = (work_counts.get(key, 0) - idle_counts.get(key, 0) * seconds / idle_seconds) / turns
        if abs(value) >= 0.05:
            out[key] = round(value, 2)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


async def main(turns: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="fleet-ops-"))
    private = PrivateRedis(root / "redis")
    private.start()
    try:
        async with postgres_database("bench") as url:
            with running_fleet(root, url, private.url, redis_prefix("bench")) as fleet:
                a, b = fleet["a"].web_url, fleet["b"].web_url
                r = redis.Redis.from_url(private.url)
                agent = AgentClient(b)
                async with agent.console():
                    await asyncio.sleep(2)
                    idle_redis, idle_pg, idle_seconds = await measure(r, url, lambda: time.sleep(10))

                    customer = Customer(a)
                    customer.say("hello")

                    def bot_turns() -> None:
                        for _ in range(turns):
                            customer.say("how do I reset my password")

                    bot_redis, bot_pg, bot_seconds = await measure(r, url, bot_turns)

                    handoff_id = customer.say("I want to talk to a person")["handoff"]["id"]
                    agent.post(f"/api/agent/handoffs/{handoff_id}/claim")
                    async with agent.conversation(handoff_id):
                        def handoff_messages() -> None:
                            for i in range(turns):
                                customer.say(f"message {i} for the agent")

                        hand_redis, hand_pg, hand_seconds = await measure(r, url, handoff_messages)
                r.close()
    finally:
        private.stop()
    load = os.getloadavg()
    save("fleet_ops", {
        "setup": "2 service processes (a, b) + 1 Rasa, PostgreSQL + private redis-server; customer on a, "
                 "agent console on b; idle background subtracted",
        "turns_per_kind": turns,
        "machine_load_1_5_15": [round(x, 2) for x in load],
        "idle_per_second": {"redis": {k: round(v / idle_seconds, 2) for k, v in idle_redis.items()},
                            "postgres": {k: round(v / idle_seconds, 2) for k, v in idle_pg.items()}},
        "bot_turn": {"redis_commands": per_turn(bot_redis, idle_redis, idle_seconds, bot_seconds, turns),
                     "postgres": per_turn(bot_pg, idle_pg, idle_seconds, bot_seconds, turns),
                     "seconds_per_turn": round((bot_seconds - PG_SETTLE_SECONDS) / turns, 3)},
        "handoff_message": {"redis_commands": per_turn(hand_redis, idle_redis, idle_seconds, hand_seconds, turns),
                            "postgres": per_turn(hand_pg, idle_pg, idle_seconds, hand_seconds, turns),
                            "seconds_per_message": round((hand_seconds - PG_SETTLE_SECONDS) / turns, 3)},
    })


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=30)
    asyncio.run(main(parser.parse_args().turns))
