"""The analytics page's queries at 100,000 conversations and 1,000,000 messages, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.analytics [--conversations 100000] [--messages-per 10] [--db sqlite postgres]

Generates the data straight into the tables (the shapes the stores write: bot outcomes, 👍/👎 on answers,
handoffs with their events, ratings), builds the roll-ups once (timed), then times the page's request — a
catch-up refresh of the roll-ups plus the report (`ReportBuilder.report`) — for several periods and filters.
Also times the incremental refresh after 100 new conversations. PostgreSQL: a database of its own, dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.common import save, summary_ms
from faqbot.agents import AgentStore
from faqbot.analytics import Filters, ReportBuilder, Rollup, TargetStore
from faqbot.analytics.tables import conversation_facts
from faqbot.conversations.store import conversations_table, messages_table
from faqbot.db import make_engine, migrate
from handoff.store import handoff_events_table, handoffs_table

PG_SERVER = os.environ.get("FAQBOT_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432")
CATEGORIES = ["refunds", "shipping", "account", "payments", "orders", "returns", "warranty", "delivery"]
REASONS = ["customer_request", "low_confidence", "frustrated", "bot_unavailable"]
DAYS = 90
TARGET_S = 120.0


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def generate(engine: AsyncEngine, conversations: int, per: int, agents: list[str], seed: int = 7,
                   end: dt.datetime | None = None) -> int:
    """`conversations` conversations of `per` messages each over the DAYS days before `end`."""
    rng = random.Random(seed)
    end = end or dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    chunk = 2000
    written = 0
    for first in range(0, conversations, chunk):
        conv_rows, msg_rows, handoff_rows, event_rows = [], [], [], []
        for _ in range(min(chunk, conversations - first)):
            cid = uuid.uuid4().hex
            start = end - dt.timedelta(seconds=rng.randint(1, DAYS * 86400))
            language = "zh" if rng.random() < 0.35 else "en"
            category = rng.choice(CATEGORIES)
            conv_rows.append({"id": cid, "token_hash": "x", "created_at": start, "last_seq": per, "language": language,
                              "needs_bot_resume": False, "visitor": {}, "tags": [], "contact": {},
                              "last_activity_at": start})
            handed = rng.random() < 0.25
            at = start
            for seq in range(1, per + 1):
                at += dt.timedelta(seconds=rng.randint(5, 60))
                if seq % 2:
                    sender, data = "customer", {"language": language}
                else:
                    outcome = rng.choices(["answer", "clarify", "unsure", "rephrase"], [70, 12, 12, 6])[0]
                    data = {"outcome": outcome}
                    if outcome == "answer":
                        data.update(article_id=f"{category}-{language}", category=category, asks_feedback=True)
                        verdict = rng.random()
                        if verdict < 0.3:
                            data["helpful"] = True
                        elif verdict < 0.4:
                            data["helpful"] = False
                    sender = "bot"
                msg_rows.append({"conversation_id": cid, "seq": seq, "sender": sender, "text": "lorem ipsum " * 3,
                                 "data": data, "created_at": at})
            if handed:
                hid = str(uuid.uuid4())
                opened = at
                path = rng.choices(["resolved", "abandoned", "ticket"], [75, 15, 10])[0]
                agent = rng.choice(agents)
                row = {"id": hid, "conversation_id": cid, "reason": rng.choice(REASONS), "language": language,
                       "priority": 0, "category": category, "details": {}, "created_at": opened, "status": path,
                       "agent_id": None, "assigned_at": None, "first_reply_at": None, "resolved_at": None,
                       "rating": None}
                events = [("queued", opened, None)]
                if path == "resolved":
                    wait = rng.expovariate(1 / 60)
                    reply = wait + rng.expovariate(1 / 30)
                    done = reply + rng.randint(60, 1800)
                    row.update(agent_id=agent, assigned_at=opened + dt.timedelta(seconds=wait),
                               first_reply_at=opened + dt.timedelta(seconds=reply),
                               resolved_at=opened + dt.timedelta(seconds=done))
                    events += [("assigned", row["assigned_at"], agent), ("first_reply", row["first_reply_at"], agent),
                               ("resolved", row["resolved_at"], agent)]
                    if rng.random() < 0.4:
                        row.update(rating=rng.randint(1, 5), rated_at=row["resolved_at"])
                        events.append(("rated", row["resolved_at"], None))
                elif path == "abandoned":
                    row["resolved_at"] = opened + dt.timedelta(seconds=rng.randint(10, 600))
                    events.append(("abandoned", row["resolved_at"], None))
                else:
                    events.append(("ticket", opened + dt.timedelta(seconds=30), None))
                handoff_rows.append(row)
                event_rows += [{"handoff_id": hid, "kind": k, "at": t, "agent_id": a, "detail": {}}
                               for k, t, a in events]
        async with engine.begin() as conn:
            await conn.execute(conversations_table.insert(), conv_rows)
            await conn.execute(messages_table.insert(), msg_rows)
            if handoff_rows:
                for row in handoff_rows:
                    row.setdefault("rated_at", None)
                await conn.execute(handoffs_table.insert(), handoff_rows)
                await conn.execute(handoff_events_table.insert(), event_rows)
        written += len(conv_rows)
    return written


def _builder(engine: AsyncEngine, rollup: Rollup) -> ReportBuilder:
    async def names() -> dict[str, str]:
        return {a.id: a.display_name for a in await AgentStore(engine).all()}

    async def kb() -> set[str]:
        return set(CATEGORIES)

    return ReportBuilder(engine, rollup, TargetStore(engine), names, kb, TARGET_S)


async def run(engine: AsyncEngine, conversations: int, per: int, repeats: int) -> dict:
    await migrate(engine)
    agent_store = AgentStore(engine)
    agents = [(await agent_store.create(f"agent{i}", "bench-secret-pw", display_name=f"Agent {i}")).id
              for i in range(8)]
    started = time.perf_counter()
    await generate(engine, conversations, per, agents)
    generated_s = time.perf_counter() - started
    async with engine.connect() as conn:
        counts = {"conversations": (await conn.execute(select(func.count()).select_from(conversations_table))).scalar(),
                  "messages": (await conn.execute(select(func.count()).select_from(messages_table))).scalar(),
                  "handoffs": (await conn.execute(select(func.count()).select_from(handoffs_table))).scalar()}
    rollup = Rollup(engine, TARGET_S)
    started = time.perf_counter()
    rebuilt = await rollup.refresh()
    build_s = time.perf_counter() - started
    async with engine.connect() as conn:
        counts["rolled_up"] = (await conn.execute(select(func.count()).select_from(conversation_facts))).scalar()
    builder = _builder(engine, rollup)
    today = dt.datetime.now(dt.UTC).date()
    cases = {
        "last_7_days": Filters(today - dt.timedelta(days=6), today),
        "last_30_days": Filters(today - dt.timedelta(days=29), today),
        "last_90_days": Filters(today - dt.timedelta(days=89), today),
        "last_365_days": Filters(today - dt.timedelta(days=364), today),
        "30_days_zh": Filters(today - dt.timedelta(days=29), today, language="zh"),
        "30_days_shipping": Filters(today - dt.timedelta(days=29), today, category="shipping"),
        "90_days_en_refunds": Filters(today - dt.timedelta(days=89), today, language="en", category="refunds"),
    }
    await builder.report(cases["last_7_days"])  # warm the connection pool
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, filters in cases.items():
            started = time.perf_counter()
            report = await builder.report(filters)
            samples[name].append(time.perf_counter() - started)
            assert report.figures[0].value is not None
    everything = [s for values in samples.values() for s in values]
    # incremental: 100 new conversations (1,000 messages), then one page load
    await generate(engine, 100, per, agents, seed=99, end=dt.datetime.now(dt.UTC))
    started = time.perf_counter()
    caught_up = await rollup.refresh()
    incremental_s = time.perf_counter() - started
    return {"counts": counts, "generate_s": round(generated_s, 1), "rollup_build_s": round(build_s, 1),
            "rollup_build_conversations": rebuilt, "page_ms": summary_ms(everything),
            "page_ms_by_case": {name: summary_ms(values) for name, values in samples.items()},
            "incremental_refresh_ms_after_100_conversations": round(incremental_s * 1000, 1),
            "incremental_rebuilt": caught_up, "load_after": load()}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--out", default="analytics")
    args = parser.parse_args()
    result: dict = {"conversations": args.conversations, "messages": args.conversations * args.messages_per,
                    "load_before": load(), "cpus": os.cpu_count(), "target_p95_ms": 300, "databases": {}}
    for kind in args.db:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
                try:
                    result["databases"]["sqlite"] = await run(engine, args.conversations, args.messages_per,
                                                              args.repeats)
                finally:
                    await engine.dispose()
        else:
            name = f"faqbot_bench_analytics_{uuid.uuid4().hex[:8]}"
            admin = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            engine = make_engine(f"{PG_SERVER}/{name}")
            try:
                result["databases"]["postgres"] = await run(engine, args.conversations, args.messages_per,
                                                            args.repeats)
            finally:
                await engine.dispose()
                async with admin.connect() as conn:
                    await conn.execute(text(f'DROP DATABASE "{name}"'))
                await admin.dispose()
        print(kind, result["databases"][kind]["page_ms"], flush=True)
    result["load_after"] = load()
    save(args.out, result)


if __name__ == "__main__":
    asyncio.run(main())
