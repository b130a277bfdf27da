"""The fleet layout on this machine's real servers (issue 15, operations half): PostgreSQL (a database of the
test's own), Redis, nginx, two Rasa instances sharing their trackers and locks, two service processes.

- a Rasa instance `kill -9`ed while customers talk: every turn is answered through the other one, none is
  lost and none reaches Rasa twice (counted in Rasa's own tracker store); a customer's erasure deletes their
  tracker there;
- `/readyz` names what is missing (503 when no Rasa instance is left), `/livez` does no I/O;
- `/metrics` counts the turns, Rasa's latency and the dead instance's errors, and names the process;
- JSON log lines carry the request and conversation ids, Rasa's lines are collected beside them;
- nginx spreads HTTP and WebSockets over two service processes, and skips one that died.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.fleet import fleet, metric, tracker_user_events
from tests.live import Customer

QUESTIONS = ["How long does a refund take?", "How much is shipping?", "How do I reset my password?",
             "Can I change my delivery address?", "What payment methods do you accept?",
             "How do I track my parcel?"]


def bot_replies(body: dict) -> list[dict]:
    return [m for m in body["messages"] if m["sender"] == "bot"]


def test_a_rasa_instance_killed_mid_conversation_loses_and_repeats_nothing(tmp_path: Path):
    # a turn's budget for a loaded machine (a turn that outlives it goes to a person by design, which is not what
    # this test is about): 20 s, so a re-sent turn may take 2 × 20 s + the lock's 21 s
    with fleet(tmp_path, workers=1, rasa_instances=2, log_format="json", rasa_timeout_seconds=20) as (stack, database):
        base = stack.web_url
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["rasa"]["detail"] == "2 of 2 instances ready"
        assert set(ready.json()["checks"]) == {"database", "redis", "rasa", "index"}
        turns_before = metric(httpx.get(f"{base}/metrics").text, "faqbot_turns_total")

        customers = [Customer(base) for _ in range(4)]
        for customer in customers:
            customer.http.timeout = httpx.Timeout(120)
        answered: dict[str, int] = {c.id: 0 for c in customers}  # turns Rasa answered, per conversation
        failures: list[str] = []
        done_after_kill = [0]
        killed = threading.Event()
        lock = threading.Lock()

        def talk(customer: Customer, offset: int) -> None:
            for turn in range(7):
                try:
                    body = customer.say(QUESTIONS[(offset + turn) % len(QUESTIONS)])
                except AssertionError as exc:
                    failures.append(str(exc))
                    return
                handoff = body.get("handoff") or {}
                if handoff.get("reason") == "bot_unavailable":
                    failures.append(f"{customer.id}: turn {turn} went to a person: Rasa unavailable")
                    return
                with lock:
                    if bot_replies(body):
                        answered[customer.id] += 1
                    if killed.is_set():
                        done_after_kill[0] += 1
                if body["mode"] == "human":  # the bot handed over: the rest would go to a person
                    return

        threads = [threading.Thread(target=talk, args=(c, i)) for i, c in enumerate(customers)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while sum(answered.values()) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = stack.processes["rasa-2"]
        os.killpg(victim.pid, signal.SIGKILL)  # mid-conversation, turns in flight on both instances
        killed.set()
        for thread in threads:
            thread.join(timeout=300)
        assert not failures, failures
        assert done_after_kill[0] > 0  # the conversations carried on through the other instance

        # nothing lost, nothing twice: Rasa stored exactly one user event per answered turn
        stored = asyncio.run(tracker_user_events(database))
        assert {c.id: stored.get(c.id, 0) for c in customers} == answered
        # and the service stored each customer message once, each with the bot's answer
        for customer in customers:
            history = customer.history()
            sent = [m for m in history if m["sender"] == "customer"]
            assert len(sent) == len({m["seq"] for m in sent}) and len(sent) >= answered[customer.id]

        # a customer's erasure deletes their Rasa tracker in PostgreSQL too (privacy: retention and erasure)
        erased = customers[0]
        assert erased.http.delete(f"/api/conversations/{erased.id}").status_code == 204
        left = asyncio.run(tracker_user_events(database))
        assert erased.id not in left and all(left.get(c.id) == answered[c.id] for c in customers[1:])

        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200  # one instance is enough to serve
        assert ready.json()["checks"]["rasa"]["detail"] == \
            f"1 of 2 instances ready; not ready: {stack.rasa_urls[1]}"

        text = httpx.get(f"{base}/metrics").text
        assert metric(text, "faqbot_turns_total") - turns_before == sum(answered.values())
        assert metric(text, "faqbot_rasa_request_seconds_count", instance=stack.rasa_urls[0], kind="turn") > 0
        assert metric(text, "faqbot_rasa_errors_total", instance=stack.rasa_urls[1]) > 0
        assert metric(text, "faqbot_turn_seconds_count", stage="total") >= sum(answered.values())
        assert metric(text, "faqbot_process_info", pid=str(stack.processes["web"].pid)) == 1
        assert metric(text, "faqbot_index_articles") > 0

        # JSON lines from the service, with the request's and the conversation's ids
        lines = [json.loads(line) for line in (tmp_path / "logs" / "web.log").read_text().splitlines()
                 if line.startswith("{")]
        down = [line for line in lines if "is down" in line["message"]]
        assert down and down[0]["level"] == "warning" and down[0]["process"] == "web-1"
        assert down[0]["conversation_id"] in answered and len(down[0]["request_id"]) == 32
        # Rasa's lines collected beside them, in the same format
        rasa_lines = (tmp_path / "logs" / "rasa.log").read_text().splitlines()
        assert rasa_lines and all(json.loads(line)["process"] == "rasa-1" for line in rasa_lines)

        os.killpg(stack.processes["rasa"].pid, signal.SIGKILL)
        not_ready = httpx.get(f"{base}/readyz", timeout=10)
        assert not_ready.status_code == 503
        assert not_ready.json()["not_ready"] == ["rasa"]
        assert httpx.get(f"{base}/livez").json() == {"status": "alive"}


def test_nginx_spreads_http_and_websockets_over_two_service_processes(tmp_path: Path):
    with fleet(tmp_path, workers=2, rasa_instances=1) as (stack, _):
        assert stack.behind_nginx and len(stack.web_urls) == 2
        base = stack.web_url  # nginx
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
        customer = Customer(base)
        for question in QUESTIONS[:4]:
            assert bot_replies(customer.say(question))

        async def replayed() -> list[dict]:
            async with customer.feed(0) as feed:  # a WebSocket through nginx
                await feed.wait_for(lambda e: e.get("type") == "message" and e["message"]["seq"] >= 8,
                                    what="the replayed conversation")
                return feed.messages()

        messages = asyncio.run(replayed())
        assert [m["text"] for m in messages if m["sender"] == "customer"] == QUESTIONS[:4]

        # both processes served requests (nginx's access log names the upstream of each)
        access = (stack.settings.data_dir / "nginx" / "access.log").read_text()
        upstreams = {line.split("upstream=")[1].split()[0] for line in access.splitlines()
                     if "upstream=" in line and "/api/" in line}
        assert {f"127.0.0.1:{port}" for port in stack.web_ports} <= upstreams
        assert "token=" not in access and customer.token not in access  # no secrets in nginx's log

        # one /metrics for both processes (multi-process mode)
        text = httpx.get(f"{base}/metrics").text
        pids = {str(stack.processes[name].pid) for name in ("web", "web-2")}
        assert all(metric(text, "faqbot_process_info", pid=pid) == 1 for pid in pids)
        assert metric(text, "faqbot_turns_total") == 4

        # a service process dies: nginx sends the next requests to the other one. A request that reached the
        # dying process gets 502 (nginx does not send a POST twice); the widget sends it again with the same
        # client_id, which the service de-duplicates: each message is stored once
        os.killpg(stack.processes["web-2"].pid, signal.SIGKILL)
        statuses = []
        for i, question in enumerate(QUESTIONS[4:]):
            body = {"text": question, "client_id": f"outbox-{i}"}
            for _ in range(3):
                response = customer.http.post(f"/api/conversations/{customer.id}/messages", json=body)
                statuses.append(response.status_code)
                if response.status_code == 200:
                    break
            assert response.status_code == 200 and bot_replies(response.json()), statuses
        sent = [m["text"] for m in customer.history() if m["sender"] == "customer"]
        assert sent == QUESTIONS, statuses
        assert statuses[-1] == 200 and set(statuses) <= {200, 502}
