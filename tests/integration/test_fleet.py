"""Two service processes sharing PostgreSQL and Redis (FAQBOT_DATABASE_URL, FAQBOT_REDIS_URL), one Rasa:
a customer on one process and the agent on the other, live both ways; a publish on one process answered
by the other within 2 s; Redis restarted (losing every key) in the middle of a handoff; one process killed
with SIGKILL in the middle of a handoff, then started again.

Each process has its own data folder (its own index files: no shared disk). The processes are reached on
their own ports here; in the deployed layout nginx spreads clients over them (the `ops` tests).
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import time

import httpx
import pytest

from faqbot.conversations import AGENTS_ONLY
from tests.fleet_stack import PrivateRedis, running_fleet
from tests.live import AgentClient, Customer
from tests.servers import postgres_database, redis_prefix

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

GRACE_SECONDS = 4.0
PRESENCE_TTL_SECONDS = 3.0


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Processes `a` and `b` (b also runs Rasa, whose action calls go to b), on a private Redis."""
    root = tmp_path_factory.mktemp("fleet")
    redis = PrivateRedis(root / "redis")
    redis.start()
    prefix = redis_prefix()
    database = postgres_database()
    loop = asyncio.new_event_loop()
    url = loop.run_until_complete(database.__aenter__())
    try:
        with running_fleet(root, url, redis.url, prefix, kb_poll_seconds=600.0,  # no polling: notifications
                           agent_grace_seconds=GRACE_SECONDS, presence_ttl_seconds=PRESENCE_TTL_SECONDS,
                           sweep_seconds=0.3) as stacks:
            yield {**stacks, "redis": redis}
    finally:
        redis.stop()
        loop.run_until_complete(database.__aexit__(None, None, None))
        loop.close()


def via(customer: Customer, base_url: str) -> Customer:
    """The same customer (same conversation and token), talking to another process."""
    other = Customer.__new__(Customer)
    other.id, other.token = customer.id, customer.token
    other.http = httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {customer.token}"})
    return other


def presence_of(agent: AgentClient) -> str:
    return agent.http.get("/api/agent/me").json()["agent"]["presence"]


def assert_once_in_order(messages: list[dict]) -> None:
    seqs = [m["seq"] for m in messages]
    assert seqs == sorted(set(seqs)), f"duplicated or out of order: {seqs}"


async def test_customer_on_one_process_agent_on_the_other_live_both_ways(fleet):
    a, b = fleet["a"].web_url, fleet["b"].web_url
    agent = AgentClient(b)
    async with agent.console() as console:
        await console.wait_for(lambda e: e.get("type") == "presence" and e["presence"] == "online",
                               what="the agent online")
        customer = Customer(a)
        customer.say("where is my parcel?")
        async with customer.feed(after=customer.history()[-1]["seq"]) as widget:
            turn = customer.say("I want to talk to a person")  # on a
            assert turn["mode"] == "human"
            handoff_id = turn["handoff"]["id"]
            # the queue change made on a reaches the console on b
            await console.wait_for(lambda e: e.get("type") == "handoff" and e.get("handoff_id") == handoff_id
                                   and e["status"] == "queued", what="the new handoff on the other process")

            agent.post(f"/api/agent/handoffs/{handoff_id}/claim")  # on b
            joined = await widget.wait_message(lambda m: m["data"].get("event") == "agent_joined")
            assert "Alice" in joined["text"]

            async with agent.conversation(handoff_id) as desk_view:
                await widget.send({"type": "typing"})  # typing on a ...
                await desk_view.wait_for(lambda e: e.get("type") == "typing" and e["sender"] == "customer")
                await desk_view.send({"type": "typing"})  # ... and on b
                assert await widget.wait_for(lambda e: e.get("type") == "typing") == \
                    {"type": "typing", "sender": "agent", "name": "Alice"}

                agent.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "Alice here, on b."})
                await widget.wait_message(lambda m: m["sender"] == "agent" and m["text"] == "Alice here, on b.")
                for i in range(5):  # several quick messages from a: all of them, once, in order, on b
                    customer.say(f"message {i} from a")
                await desk_view.wait_message(lambda m: m["text"] == "message 4 from a")

                agent.post(f"/api/agent/handoffs/{handoff_id}/resolve", json={"note": "done"})
                ask = await widget.wait_message(lambda m: m["sender"] == "bot" and m["data"].get("rating_request"))
                assert ask["data"]["rating_request"] == handoff_id
                await desk_view.wait_message(lambda m: m["data"].get("event") == "handoff_resolved")

            history = customer.history()
            customer_side = widget.messages()
            assert_once_in_order(customer_side)
            assert_once_in_order(desk_view.messages())
            shown = [m for m in history if m["seq"] >= customer_side[0]["seq"]
                     and m["data"].get("audience") != AGENTS_ONLY]
            assert [m["seq"] for m in customer_side] == [m["seq"] for m in shown]
            texts = [m["text"] for m in desk_view.messages()]
            assert [t for t in texts if t.startswith("message ")] == [f"message {i} from a" for i in range(5)]


async def test_a_publish_on_one_process_is_answered_by_the_other_within_two_seconds(fleet):
    a, b = fleet["a"].web_url, fleet["b"].web_url
    editor = AgentClient(a)
    before = httpx.get(f"{b}/healthz").json()["published_articles"]
    slug = f"unicorn-club-{secrets.token_hex(3)}-en"
    article = {"id": slug, "status": "published", "title": "Registering a pet unicorn in the loyalty club",
               "questions": ["How do I register my pet unicorn in the loyalty club?",
                             "Can my unicorn join the loyalty club?"],
               "answer": "Unicorns join the loyalty club with form U-42 at any store.", "category": "account",
               "language": "en"}
    response = editor.http.post("/api/kb/articles", json=article)  # on a
    published_at = time.perf_counter()
    assert response.status_code == 201, response.text
    while httpx.get(f"{b}/healthz").json()["published_articles"] != before + 1:
        assert time.perf_counter() - published_at < 2.0, "b did not reload within 2 s"
        await asyncio.sleep(0.05)
    reloaded = time.perf_counter() - published_at
    customer = Customer(b)
    turn = customer.say("how can I register my pet unicorn in the loyalty club?")
    answered = time.perf_counter() - published_at
    answer = next(m for m in turn["messages"] if m["sender"] == "bot")
    assert answer["data"].get("article_id") == slug, answer
    assert "U-42" in answer["text"]
    print(f"\npublish on a -> b's retriever: {reloaded * 1000:.0f} ms; answered on b after {answered:.2f} s")


async def test_redis_restarted_mid_handoff_loses_nothing_and_everyone_carries_on(fleet):
    a, b = fleet["a"].web_url, fleet["b"].web_url
    agent = AgentClient(b)
    customer = Customer(a)
    customer.say("hello")
    async with agent.console() as console:
        await console.wait_for(lambda e: e.get("type") == "presence" and e["presence"] == "online")
        handoff_id = customer.say("I want to talk to a person")["handoff"]["id"]
        agent.post(f"/api/agent/handoffs/{handoff_id}/claim")
        async with customer.feed(after=0) as widget, agent.conversation(handoff_id) as desk_view:
            customer.say("before the Redis restart")
            await desk_view.wait_message(lambda m: m["text"] == "before the Redis restart")

            fleet["redis"].stop()
            customer.say("while Redis is down")  # on a: stored, answered; only the live doorbell is missing
            agent.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "reply while Redis is down"})
            await asyncio.sleep(1.0)
            fleet["redis"].start()  # empty: presence entries, the leader key, the marks are gone

            # the processes reconnect and the streams re-read what they missed from the database
            await desk_view.wait_message(lambda m: m["text"] == "while Redis is down", timeout=15)
            await widget.wait_message(lambda m: m["text"] == "reply while Redis is down", timeout=15)
            customer.say("after the Redis restart")
            await desk_view.wait_message(lambda m: m["text"] == "after the Redis restart")
            agent.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "reply after the restart"})
            await widget.wait_message(lambda m: m["text"] == "reply after the restart")

            # heartbeats put the agent's console back: past the TTL and some sweeps she is still online
            await asyncio.sleep(PRESENCE_TTL_SECONDS + 1.5)
            assert presence_of(agent) == "online"
            assert agent.detail(handoff_id)["handoff"]["agent_id"] == agent.me["id"]

        assert_once_in_order(widget.messages())
        assert_once_in_order(desk_view.messages())
        visible = [m["seq"] for m in customer.history()]
        assert [m["seq"] for m in widget.messages()] == visible  # every message, once, in order
        seen_by_agent = [m["seq"] for m in desk_view.messages()]
        assert seen_by_agent == list(range(1, seen_by_agent[-1] + 1))  # agents see every message


async def test_a_process_killed_mid_handoff_loses_nothing_and_sets_no_agent_offline(fleet):
    a, b = fleet["a"].web_url, fleet["b"].web_url
    agent = AgentClient(a)  # everything starts on a: the agent's console and the customer
    customer = Customer(a)
    customer.say("hello")
    console = agent.console()
    await console.__aenter__()
    await console.wait_for(lambda e: e.get("type") == "presence" and e["presence"] == "online")
    handoff_id = customer.say("I want to talk to a person")["handoff"]["id"]
    agent.post(f"/api/agent/handoffs/{handoff_id}/claim")
    widget = customer.feed(after=0)
    await widget.__aenter__()
    for i in range(3):
        customer.say(f"before the crash {i}")
    agent.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "reply before the crash"})
    await widget.wait_message(lambda m: m["text"] == "reply before the crash")
    seen = widget.messages()[-1]["seq"]

    fleet["a"].stop("web", signal.SIGKILL)  # no goodbye: sockets and presence entries are left behind
    await console.close()
    await widget.close()

    # everyone reconnects through b (what nginx does), the widget from the last message it had
    agent_b, customer_b = AgentClient(b), via(customer, b)
    async with agent_b.console(), customer_b.feed(after=seen) as widget_b, \
            agent_b.conversation(handoff_id) as desk_view:
        customer_b.say("after the crash")
        await desk_view.wait_message(lambda m: m["text"] == "after the crash")
        agent_b.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "reply after the crash"})
        await widget_b.wait_message(lambda m: m["text"] == "reply after the crash")
        assert_once_in_order(widget.messages() + widget_b.messages())
        visible = [m["seq"] for m in customer_b.history() if m["data"].get("audience") != AGENTS_ONLY]
        assert [m["seq"] for m in widget.messages() + widget_b.messages()] == visible  # every one, once

        # past the presence TTL and a few sweeps: the dead process's console entry expired, but the agent's
        # console is open on b, so she is neither away nor offline, and her conversation stayed hers
        await asyncio.sleep(PRESENCE_TTL_SECONDS + 1.5)
        assert presence_of(agent_b) == "online"
        assert agent_b.detail(handoff_id)["handoff"]["agent_id"] == agent_b.me["id"]

        # a starts again: a fresh process does not judge the consoles open on b
        fleet["a"].start_web()
        await asyncio.to_thread(fleet["a"].wait_web)  # the sockets' event loop keeps running meanwhile
        await asyncio.sleep(1.0)
        assert presence_of(agent_b) == "online"
        customer_a = via(customer, a)
        customer_a.say("back on a")
        await desk_view.wait_message(lambda m: m["text"] == "back on a")

    texts = [m["text"] for m in customer_b.history()]
    for text in [*(f"before the crash {i}" for i in range(3)), "reply before the crash", "after the crash",
                 "reply after the crash", "back on a"]:
        assert texts.count(text) == 1, text
    assert_once_in_order(customer_b.history())
