"""PostgreSQL restarted under the fleet (issue 15: "clear errors while it is down, recovery after, nothing the
customer sent lost").

A PostgreSQL cluster of the test's own (the machine's shared server is never restarted), two service processes
behind nginx and one Rasa instance with its trackers on that cluster, Redis of the test's own: one customer in a
handoff with an agent, another talking to the bot. PostgreSQL is stopped twice — a fast shutdown with a bot turn
in flight, then a `kill -9` of the postmaster — and each time:

- every HTTP call that needs the database gets 503 `database_unavailable` (the one error body, Retry-After)
  within a few seconds, a WebSocket handshake too; `/readyz` answers 503 naming the database, `/livez` 200;
  no process exits;
- once PostgreSQL is back, the same processes are ready again by themselves (pre-ping, reconnect); the refused
  messages sent again (same `client_id`, as the widget does) are stored and answered exactly once, in the
  service and in Rasa's tracker; the turn in flight when it stopped is neither lost nor doubled; the agent kept
  her conversation and stayed online through an outage longer than the grace period; the live sockets opened
  before the outage carry the new messages.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets

from faqbot.launcher import Stack, free_port, running
from faqbot.settings import Settings
from tests.fleet_stack import PrivatePostgres, PrivateRedis
from tests.live import AGENT, TEST_LIMITS, AgentClient, Customer, trained_model

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

GRACE_SECONDS = 4.0  # shorter than the outages: a wrongly judged console would cost the agent her conversation
ERROR_WITHIN_SECONDS = 10.0  # an answer while the database is down comes at once, never after a long hang
RECOVERY_SECONDS = 60.0


def post(client: httpx.Client, path: str, body: dict) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.post(path, json=body)
    return response, time.monotonic() - started


def assert_database_unavailable(response: httpx.Response, took: float) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable", response.text
    assert set(response.json()) == {"error"} and response.json()["error"]["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert took < ERROR_WITHIN_SECONDS, f"the error took {took:.1f} s"


def customer_texts(history: list[dict]) -> list[str]:
    return [m["text"] for m in history if m["sender"] == "customer"]


def answered_once(history: list[dict], text: str) -> None:
    """The customer's `text` is stored once and the bot answered it (a bot message right after it)."""
    seqs = [i for i, m in enumerate(history) if m["sender"] == "customer" and m["text"] == text]
    assert len(seqs) == 1, f"{text!r} stored {len(seqs)} times: {customer_texts(history)}"
    after = history[seqs[0] + 1:]
    assert after and after[0]["sender"] == "bot", f"{text!r} was not answered: {after[:2]}"


async def tracker_user_texts(pg: PrivatePostgres, database: str, conversation_id: str) -> list[str]:
    conn = await asyncpg.connect(f"{pg.url}/{database}_rasa")
    try:
        rows = await conn.fetch("SELECT data FROM events WHERE sender_id = $1 AND type_name = 'user' ORDER BY id",
                                conversation_id)
    finally:
        await conn.close()
    return [json.loads(r["data"]).get("text") for r in rows]


async def create_database(pg: PrivatePostgres, name: str) -> None:
    conn = await asyncpg.connect(f"{pg.url}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def readiness(url: str) -> httpx.Response:
    return httpx.get(f"{url}/readyz", timeout=10)


async def wait_until(check, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"{what} not within {timeout:.0f} s"
        await asyncio.sleep(0.25)
    return time.monotonic() - started


def test_postgresql_stopped_and_killed_then_back_errors_clearly_and_loses_nothing(tmp_path: Path):
    pg = PrivatePostgres()
    redis = PrivateRedis(tmp_path / "redis")
    try:
        pg.start()
        redis.start()
        database = "faqbot"
        asyncio.run(create_database(pg, database))
        settings = Settings(  # type: ignore[arg-type]
            data_dir=tmp_path / "data", port=free_port(), bootstrap_agent=":".join(AGENT),
            action_token=secrets.token_urlsafe(16), log_format="json",
            database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{pg.port}/{database}", redis_url=redis.url,
            agent_grace_seconds=GRACE_SECONDS, presence_ttl_seconds=3.0, sweep_seconds=0.3,
            rasa_timeout_seconds=20, **TEST_LIMITS)
        with running(settings, free_port(), trained_model(), log_dir=tmp_path / "data" / "logs", workers=2,
                     rasa_instances=1) as stack:
            asyncio.run(_outages(stack, pg, database))
        # the outages were logged as what they are (warnings), never as errors with stack traces
        for log in (tmp_path / "data" / "logs").glob("web*.log"):
            lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
            assert [line for line in lines if line["level"] in ("error", "critical")] == [], log.name
            assert "Traceback" not in log.read_text(), log.name
            assert any("database unavailable" in line["message"] for line in lines), log.name
    finally:
        redis.stop()
        pg.cleanup()


async def _outages(stack: Stack, pg: PrivatePostgres, database: str) -> None:
    assert stack.behind_nginx
    pids = {name: p.pid for name, p in stack.processes.items()}
    agent = AgentClient(stack.web_urls[1])  # her console on the second process, the customers through nginx
    bob, carol = Customer(stack.web_url), Customer(stack.web_url)
    async with agent.console() as console:
        await console.wait_for(lambda e: e.get("type") == "presence" and e["presence"] == "online",
                               what="the agent online")
        bob.say("hello")
        handoff_id = bob.say("I want to talk to a person")["handoff"]["id"]
        agent.post(f"/api/agent/handoffs/{handoff_id}/claim")
        async with bob.feed(after=0) as widget, agent.conversation(handoff_id) as desk_view:
            bob.say("before the outage")
            await desk_view.wait_message(lambda m: m["text"] == "before the outage")
            assert [m for m in carol.say("How long does a refund take?")["messages"] if m["sender"] == "bot"]

            for round_, (stop, in_flight) in enumerate([(pg.stop, "How much is shipping?"),
                                                        (pg.kill, "How do I reset my password?")]):
                # a bot turn in flight while PostgreSQL goes away (the first time), then the outage itself
                outcome: dict[str, int] = {}
                body = {"text": in_flight, "client_id": f"in-flight-{round_}"}

                def send(body: dict = body, outcome: dict = outcome) -> None:
                    outcome["status"] = carol.http.post(f"/api/conversations/{carol.id}/messages",
                                                        json=body).status_code

                sender = threading.Thread(target=send)
                sender.start()
                await asyncio.sleep(0.3)
                await asyncio.to_thread(stop)
                await asyncio.to_thread(sender.join, 60)
                assert outcome.get("status") in (200, 503), outcome

                await _while_down(stack, agent, bob, carol, handoff_id, round_)
                await asyncio.sleep(GRACE_SECONDS + 1)  # longer than the grace period, with sweeps running

                await asyncio.to_thread(pg.start)
                for url in stack.web_urls:  # the same processes, ready again by themselves
                    took = await wait_until(lambda url=url: readiness(url).status_code == 200, RECOVERY_SECONDS,
                                            f"{url} ready after PostgreSQL came back")
                    print(f"\nround {round_}: {url} ready {took:.1f} s after PostgreSQL was back")
                assert {name: p.pid for name, p in stack.processes.items()} == pids
                assert all(p.poll() is None for p in stack.processes.values())

                # the widget sends its outbox again, with the same client ids
                for body in ({"text": in_flight, "client_id": f"in-flight-{round_}"},
                             {"text": f"while down {round_}", "client_id": f"carol-down-{round_}"}):
                    response = carol.http.post(f"/api/conversations/{carol.id}/messages", json=body)
                    assert response.status_code == 200, response.text
                    assert response.json()["messages"][0]["text"] == body["text"]
                again = carol.http.post(f"/api/conversations/{carol.id}/messages",
                                        json={"text": in_flight, "client_id": f"in-flight-{round_}"})
                assert again.status_code == 200 and again.json()["messages"][0]["text"] == in_flight
                response = bob.http.post(f"/api/conversations/{bob.id}/messages",
                                         json={"text": f"bob while down {round_}", "client_id": f"bob-down-{round_}"})
                assert response.status_code == 200, response.text

                # live events on the sockets opened before the outage, both ways
                await desk_view.wait_message(lambda m, r=round_: m["text"] == f"bob while down {r}", timeout=20)
                agent.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": f"reply after {round_}"})
                await widget.wait_message(lambda m, r=round_: m["text"] == f"reply after {r}", timeout=20)

                # the agent stayed online and kept the conversation; her console was never closed
                me = agent.http.get("/api/agent/me").json()["agent"]
                assert me["presence"] == "online", me
                handoff = agent.detail(handoff_id)["handoff"]
                assert handoff["agent_id"] == agent.me["id"] and handoff["status"] != "resolved", handoff
                assert console._ws.close_code is None and widget._ws.close_code is None

            # nothing the customers sent is lost or doubled, in the service ...
            carol_history = carol.history()
            for text in ["How long does a refund take?", "How much is shipping?", "while down 0",
                         "How do I reset my password?", "while down 1"]:
                answered_once(carol_history, text)
            bob_history = bob.history()
            assert customer_texts(bob_history) == ["hello", "I want to talk to a person", "before the outage",
                                                   "bob while down 0", "bob while down 1"]
            seqs = [m["seq"] for m in bob_history]
            assert seqs == sorted(set(seqs))
            # ... nor in Rasa's tracker: each of carol's messages reached the bot once
            assert await tracker_user_texts(pg, database, carol.id) == customer_texts(carol_history)
            assert [m["seq"] for m in widget.messages()] == sorted({m["seq"] for m in widget.messages()})


async def _while_down(stack: Stack, agent: AgentClient, bob: Customer, carol: Customer, handoff_id: str,
                      round_: int) -> None:
    """What customers, agents and operators get while PostgreSQL is down."""
    for url in stack.web_urls:
        started = time.monotonic()
        ready = readiness(url)
        assert time.monotonic() - started < ERROR_WITHIN_SECONDS
        assert ready.status_code == 503, ready.text
        assert ready.json()["not_ready"] == ["database"], ready.text
        assert not ready.json()["checks"]["database"]["ready"]
        assert httpx.get(f"{url}/livez", timeout=5).json() == {"status": "alive"}

    # a customer message to the bot, one to the agent, an agent's reply, reading the history, a new conversation
    assert_database_unavailable(*post(carol.http, f"/api/conversations/{carol.id}/messages",
                                      {"text": f"while down {round_}", "client_id": f"carol-down-{round_}"}))
    assert_database_unavailable(*post(bob.http, f"/api/conversations/{bob.id}/messages",
                                      {"text": f"bob while down {round_}", "client_id": f"bob-down-{round_}"}))
    assert_database_unavailable(*post(agent.http, f"/api/agent/handoffs/{handoff_id}/messages",
                                      {"text": "reply while down"}))
    started = time.monotonic()
    history = carol.http.get(f"/api/conversations/{carol.id}/messages")
    assert_database_unavailable(history, time.monotonic() - started)
    assert_database_unavailable(*post(httpx.Client(base_url=stack.web_url, timeout=30), "/api/conversations", {}))

    # a WebSocket handshake: refused with the same 503, Retry-After and body
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        async with websockets.connect(carol.events_url(0), open_timeout=ERROR_WITHIN_SECONDS):
            pass
    assert refused.value.status_code == 503 and int(refused.value.headers["Retry-After"]) > 0
    handshake = httpx.get(carol.events_url(0).replace("ws://", "http://"), timeout=ERROR_WITHIN_SECONDS,
                          headers={"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert_database_unavailable(handshake, 0.0)

    assert all(p.poll() is None for p in stack.processes.values()), "a process exited"
