"""The handoff desk under load, against the real product (Rasa + web service).

    .venv/bin/python -m bench.handoff_desk [--handoffs 200]

Measures, in one run on this machine:
  - handoff_to_console: a customer asks for a person over HTTP -> an agent console's WebSocket hears of it
  - claim_to_customer: an agent claims -> the customer's WebSocket shows who joined
  - queue_listing: GET /api/agent/handoffs (views with summaries, contact, breach flags) by the number of
    open handoffs, and its cost per handoff (the ratio of the largest to the smallest queue, per handoff)
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import OPEN_LIMITS, save, summary_ms
from faqbot.launcher import ensure_model, free_port, running
from faqbot.settings import REPO_ROOT, Settings
from tests.live import AgentClient, Customer, Feed

CHECKPOINTS = (10, 50, 100, 200)


def time_listing(agent: AgentClient, rounds: int = 20) -> list[float]:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        response = agent.http.get("/api/agent/handoffs")
        samples.append(time.perf_counter() - t0)
        assert response.status_code == 200
    return samples


async def run(base: str, handoffs: int) -> dict:
    agent = AgentClient(base, "bench", "bench-pw")
    to_console, to_customer, listing = [], [], {}
    async with agent.console() as console:
        while not any(e.get("type") == "presence" for e in console.events):
            await asyncio.sleep(0.05)
        for n in range(1, handoffs + 1):
            customer = Customer(base)
            seen = len(console.events)
            t0 = time.perf_counter()
            customer.say("I want to talk to a person")
            await console.wait_for(lambda e, cid=customer.id: e.get("type") == "handoff" and e.get("new")
                                   and e["conversation_id"] == cid, what="the new handoff")
            to_console.append(time.perf_counter() - t0)
            assert len(console.events) > seen
            if n % 10 == 0:  # every tenth: claim it and time the customer's screen
                handoff_id = customer.say("hello?")["handoff"]["id"]
                async with Feed(customer.events_url(after=customer.history()[-1]["seq"])) as widget:
                    t0 = time.perf_counter()
                    agent.post(f"/api/agent/handoffs/{handoff_id}/claim")
                    await widget.wait_message(lambda m: m["data"].get("event") == "agent_joined")
                    to_customer.append(time.perf_counter() - t0)
                agent.post(f"/api/agent/handoffs/{handoff_id}/resolve")
            if n in CHECKPOINTS:
                listing[len(agent.queue())] = summary_ms(time_listing(agent))
    smallest, largest = min(listing), max(listing)
    per_handoff_growth = (listing[largest]["p50"] / largest) / (listing[smallest]["p50"] / smallest)
    return {
        "handoff_to_console_ms": summary_ms(to_console),
        "claim_to_customer_ms": summary_ms(to_customer),
        "queue_listing_ms_by_open_handoffs": {str(k): v for k, v in listing.items()},
        "queue_listing_p50_ratio_largest_to_smallest": round(listing[largest]["p50"] / listing[smallest]["p50"], 2),
        "queue_listing_per_handoff_ratio_largest_to_smallest": round(per_handoff_growth, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--handoffs", type=int, default=200)
    args = parser.parse_args()
    model = ensure_model(REPO_ROOT / "var" / "models")
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), port=free_port(), bootstrap_agent="bench:bench-pw",
                            action_token=secrets.token_urlsafe(16), **OPEN_LIMITS)
        with running(settings, free_port(), model) as stack:
            httpx.get(f"{stack.web_url}/healthz").raise_for_status()
            result = asyncio.run(run(stack.web_url, args.handoffs))
    save("handoff_desk", {"handoffs": args.handoffs, **result})


if __name__ == "__main__":
    main()
