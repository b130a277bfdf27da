"""The shared versions of the desk's state, the hub, the turn locks, the leader lock and the migrations,
against the real Redis and PostgreSQL servers (two `Fleet`s stand for two service processes)."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from faqbot.db import make_engine, migrate, schema_drift
from faqbot.fleet import Fleet, RedisEventHub, RedisLeadership, RedisMarks, RedisPresence, RedisTurnLocks
from knowledge_base.vectors import VectorStore
from tests.servers import REDIS_URL, delete_redis_keys, postgres_database, redis_prefix

pytestmark = [pytest.mark.redis]


@pytest.fixture
async def two_processes():
    """Two processes' views of one Redis (same prefix, different process ids)."""
    prefix = redis_prefix()
    first, second = Fleet(REDIS_URL, prefix, "process-a"), Fleet(REDIS_URL, prefix, "process-b")
    try:
        yield first, second
    finally:
        await first.aclose()
        await second.aclose()
        await delete_redis_keys(REDIS_URL, prefix)


async def _next(subscription, timeout=2.0):
    return await asyncio.wait_for(subscription.get(), timeout)


async def test_an_event_reaches_subscribers_in_every_process_once_and_in_order(two_processes):
    a, b = RedisEventHub(two_processes[0]), RedisEventHub(two_processes[1])
    await a.start()
    await b.start()
    try:
        async with a.subscribe("conversation:c1") as here, b.subscribe("conversation:c1") as there:
            for i in range(20):
                a.publish("conversation:c1", {"type": "typing", "i": i})
            assert [(await _next(here))["i"] for _ in range(20)] == list(range(20))
            assert [(await _next(there))["i"] for _ in range(20)] == list(range(20))
            b.publish("conversation:c1", {"type": "typing", "i": 99})
            assert (await _next(here))["i"] == 99
            assert (await _next(there))["i"] == 99
            with pytest.raises(TimeoutError):  # nothing came twice (a process ignores its own echo)
                await asyncio.wait_for(here.get(), 0.5)
            assert there.queue.empty()
            async with b.subscribe("conversation:other") as elsewhere:
                a.publish("conversation:c1", {"type": "typing", "i": 100})
                assert (await _next(there))["i"] == 100
                assert elsewhere.queue.empty()
    finally:
        await a.aclose()
        await b.aclose()


async def test_a_console_anywhere_counts_and_a_killed_process_s_consoles_expire_once(two_processes):
    a, b = RedisPresence(two_processes[0], ttl_seconds=1.5), RedisPresence(two_processes[1], ttl_seconds=1.5)
    assert await a.connected("alice") is True  # first console anywhere
    assert await b.connected("alice") is False  # a second one, in the other process
    assert await a.is_connected("alice") and await b.is_connected("alice")
    assert await a.disconnected("alice") is False  # still open in b
    assert await b.is_connected("alice")
    # b dies without closing anything: its entry stops being refreshed and expires
    await b.beat()
    assert await a.lost() == []
    await asyncio.sleep(1.7)
    assert not await a.is_connected("alice")
    assert await a.lost() == ["alice"]
    assert await a.lost() == []  # reported once
    assert await b.lost() == []


async def test_a_console_that_moved_to_another_process_before_the_ttl_is_not_lost(two_processes):
    a, b = RedisPresence(two_processes[0], ttl_seconds=1.5), RedisPresence(two_processes[1], ttl_seconds=1.5)
    await a.connected("alice")  # then a is killed
    await b.connected("alice")  # the console reconnects through the other process
    for _ in range(4):
        await asyncio.sleep(0.5)
        await b.beat()  # b is alive
    assert await b.is_connected("alice")
    assert await b.lost() == []


async def test_the_away_mark_and_breach_flags_are_shared_and_set_once(two_processes):
    a, b = RedisPresence(two_processes[0]), RedisPresence(two_processes[1])
    await a.mark_away_by_disconnect("alice")
    assert await b.clear_away_by_disconnect("alice") is True
    assert await a.clear_away_by_disconnect("alice") is False
    ma, mb = RedisMarks(two_processes[0]), RedisMarks(two_processes[1])
    assert await ma.flag_breach("h1") is True
    assert await mb.flag_breach("h1") is False
    await mb.clear_breach("h1")
    assert await ma.flag_breach("h1") is True
    assert await ma.queue_update_due(0.5) is True
    assert await mb.queue_update_due(0.5) is False
    await asyncio.sleep(0.6)
    assert await mb.queue_update_due(0.5) is True


async def test_one_turn_at_a_time_per_conversation_across_processes(two_processes):
    locks = [RedisTurnLocks(two_processes[0]), RedisTurnLocks(two_processes[1])]
    inside: dict[str, int] = {"c1": 0, "c2": 0}
    most: dict[str, int] = {"c1": 0, "c2": 0}
    order: list[tuple[str, int]] = []

    async def turn(process: int, conversation: str, n: int) -> None:
        async with locks[process].hold(conversation):
            inside[conversation] += 1
            most[conversation] = max(most[conversation], inside[conversation])
            order.append((conversation, n))
            await asyncio.sleep(0.05)
            inside[conversation] -= 1

    started = time.perf_counter()
    await asyncio.gather(*(turn(i % 2, "c1", i) for i in range(8)), *(turn(i % 2, "c2", i) for i in range(8)))
    elapsed = time.perf_counter() - started
    assert most == {"c1": 1, "c2": 1}  # never two turns of one conversation at once, in either process
    assert sorted(n for c, n in order if c == "c1") == list(range(8))
    assert elapsed < 8 * 0.05 * 2 * 0.9 + 1.0  # the two conversations did not wait for each other
    assert locks[0].acquired + locks[1].acquired == 16


async def test_a_turn_lock_left_by_a_killed_process_expires(two_processes):
    dead = two_processes[0].redis.lock(two_processes[0].key("turn", "c1"), timeout=0.5)
    assert await dead.acquire()  # held by a process that never releases it
    started = time.perf_counter()
    async with RedisTurnLocks(two_processes[1]).hold("c1"):
        waited = time.perf_counter() - started
    assert 0.2 < waited < 2.0


async def test_one_leader_at_a_time_and_another_takes_over_when_it_stops(two_processes):
    a, b = RedisLeadership(two_processes[0], ttl_seconds=1.5), RedisLeadership(two_processes[1], ttl_seconds=1.5)
    assert await a.lead() is True
    for _ in range(3):
        assert await b.lead() is False
        await asyncio.sleep(0.3)
        assert await a.lead() is True  # renewed while alive
    await asyncio.sleep(1.7)  # a stops renewing (killed)
    assert await b.lead() is True
    assert await a.lead() is False


@pytest.mark.postgres
async def test_processes_starting_together_never_race_the_migrations():
    async with postgres_database("migrate") as url:
        engines = [make_engine(url) for _ in range(4)]
        try:
            # without the advisory lock the upgrades deadlock or fail on tables created twice
            await asyncio.wait_for(asyncio.gather(*(migrate(e) for e in engines)), 60)
            assert await schema_drift(engines[0]) == []
        finally:
            for e in engines:
                await e.dispose()


@pytest.mark.postgres
async def test_embeddings_cached_in_postgres_come_back_exactly():
    async with postgres_database("vectors") as url:
        engine = make_engine(url)
        try:
            await migrate(engine)
            store = VectorStore(engine)
            vectors = {f"phrasing {i}": np.random.default_rng(i).random(8, dtype=np.float32) for i in range(3)}
            await store.put("model-x", vectors)
            await store.put("model-x", {"phrasing 0": np.zeros(8, np.float32)})  # already there: kept
            found = await store.get("model-x", ["phrasing 0", "phrasing 2", "never seen"])
            assert set(found) == {"phrasing 0", "phrasing 2"}
            assert np.array_equal(found["phrasing 0"], vectors["phrasing 0"])
            assert await store.get("model-y", ["phrasing 0"]) == {}
        finally:
            await engine.dispose()


TTL = 2.0  # long enough for the steps between two heartbeats on a loaded machine


@pytest.mark.postgres
async def test_a_fresh_process_leaves_other_processes_agents_alone_and_a_killed_one_s_get_the_grace_period(
        two_processes):
    from faqbot.agents import AgentStore, Presence
    from faqbot.chat import ChatService
    from faqbot.conversations import ConversationStore, EventHub
    from faqbot.messenger import Messenger
    from handoff import HandoffService, HandoffStatus, HandoffStore
    from handoff.desk import DeskPolicy, HandoffDesk
    from tests.factories import fake_detector
    from tests.unit.conftest import ScriptedRasa

    async with postgres_database() as url:
        engine = make_engine(url)
        try:
            await migrate(engine)
            agents, conversations = AgentStore(engine), ConversationStore(engine)
            handoffs = HandoffService(HandoffStore(engine))
            rasa = ScriptedRasa(handoffs)

            presences = [RedisPresence(fleet, ttl_seconds=TTL) for fleet in two_processes]

            def process(i: int) -> HandoffDesk:
                messenger = Messenger(conversations, EventHub())
                return HandoffDesk(handoffs, agents, conversations, messenger, rasa, DeskPolicy(grace_seconds=1.5),
                                   presence=presences[i], marks=RedisMarks(two_processes[i]))

            a, b = process(0), process(1)
            chat = ChatService(conversations, handoffs, rasa, Messenger(conversations, EventHub()), b,
                               fake_detector(), max_message_chars=2000)
            alice = await agents.create("alice", "secret-pw")
            await a.console_connected(alice)  # alice's console is on process a
            conversation, _ = await chat.start(language="en")
            handoff = (await chat.customer_message(conversation.id, "a person please")).handoff
            await a.claim(handoff.id, alice)

            await presences[0].beat()  # a is alive (its heartbeat)
            await b.recover_after_restart()  # b (re)starts: alice's console is elsewhere, she stays online
            await b.sweep()
            assert (await agents.by_id(alice.id)).presence is Presence.ONLINE

            # process a is killed: nothing closes alice's console, its entry stops being refreshed
            await asyncio.sleep(TTL + 0.2)
            await b.sweep()  # the leader notices: away, her conversation waits for her (grace period)
            assert (await agents.by_id(alice.id)).presence is Presence.AWAY
            assert (await handoffs.get(handoff.id)).agent_id == alice.id
            await b.console_connected(alice)  # her console reconnects, through b: online again, nothing moved
            assert (await agents.by_id(alice.id)).presence is Presence.ONLINE
            assert (await handoffs.get(handoff.id)).status is HandoffStatus.ASSIGNED

            await b.console_disconnected(alice)  # closed for good: after the grace period it goes back
            await asyncio.sleep(1.6)
            await b.sweep()
            assert (await agents.by_id(alice.id)).presence is Presence.OFFLINE
            assert (await handoffs.get(handoff.id)).status is HandoffStatus.QUEUED
        finally:
            await engine.dispose()


async def test_a_turn_longer_than_the_lock_s_ttl_keeps_it_renewed(two_processes):
    first, second = RedisTurnLocks(two_processes[0], timeout_seconds=0.3), RedisTurnLocks(two_processes[1])
    events: list[str] = []

    async def long_turn() -> None:
        async with first.hold("c1"):
            events.append("first in")
            await asyncio.sleep(1.0)  # three times the lock's TTL
            events.append("first out")

    async def next_turn() -> None:
        await asyncio.sleep(0.1)
        async with second.hold("c1"):
            events.append("second in")

    await asyncio.gather(long_turn(), next_turn())
    assert events == ["first in", "first out", "second in"]


@pytest.mark.postgres
async def test_db_upgrade_is_a_release_step_on_postgres(tmp_path):
    import os
    import subprocess
    import sys

    async with postgres_database("upgrade") as url:
        env = {**os.environ, "FAQBOT_DATA_DIR": str(tmp_path), "FAQBOT_DATABASE_URL": url}
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "faqbot.cli", "db", "upgrade"],
                                       env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "up to date" in done.stdout
        engine = make_engine(url)
        try:
            assert await schema_drift(engine) == []
        finally:
            await engine.dispose()
