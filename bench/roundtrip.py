"""Start-up, training and message round-trip times of the real product (Rasa + web service).

    .venv/bin/python -m bench.roundtrip [--messages 200]

Measures, in one run on this machine:
  - training: `rasa train` from scratch into a temporary directory
  - start_to_first_answer: spawning both processes until the first knowledge-base answer arrives
  - message_round_trip: customer message -> bot answer over HTTP (Rasa NLU + action + FAISS + database)
  - agent_to_customer: agent reply over HTTP -> the customer's WebSocket receives it
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import tempfile
import time
from itertools import cycle
from pathlib import Path

import httpx
import websockets

from bench.common import OPEN_LIMITS, save, summary_ms
from faqbot.launcher import ensure_model, free_port, running
from faqbot.rasa_gateway import RasaServiceAuth
from faqbot.settings import REPO_ROOT, Settings

QUESTIONS = ["where is my parcel?", "how long does a refund take?", "我的退款什么时候到账？", "怎么退货",
             "do you accept alipay?", "hello", "my coupon code doesn't work", "发票怎么开",
             "what is the capital of france", "thanks"]


def measure_training() -> float:
    """A cold `rasa train`: new output directory and an empty training cache."""
    with tempfile.TemporaryDirectory() as models, tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        ensure_model(Path(models), cache_dir=Path(cache))
        return time.perf_counter() - started


async def agent_to_customer(base: str, samples: int) -> list[float]:
    http = httpx.AsyncClient(base_url=base, timeout=30)
    started = (await http.post("/api/conversations")).json()
    cid, token = started["conversation_id"], started["token"]
    customer = {"Authorization": f"Bearer {token}"}
    await http.post(f"/api/conversations/{cid}/messages", json={"text": "I want to talk to a person"},
                    headers=customer)
    login = (await http.post("/api/agent/login", json={"username": "bench", "password": "bench-pw"})).json()
    agent = {"Authorization": f"Bearer {login['token']}"}
    queue = (await http.get("/api/agent/handoffs", headers=agent)).json()["handoffs"]
    handoff_id = next(h["id"] for h in queue if h["conversation_id"] == cid)
    await http.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=agent)
    last = (await http.get(f"/api/conversations/{cid}", headers=customer)).json()["last_seq"]
    ws_url = base.replace("http://", "ws://") + f"/api/conversations/{cid}/events?token={token}&after={last}"
    times = []
    async with websockets.connect(ws_url) as ws:
        for i in range(samples):
            text = f"agent reply {i}"
            t0 = time.perf_counter()
            await http.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": text}, headers=agent)
            while True:
                event = json.loads(await ws.recv())
                if event.get("type") == "message" and event["message"]["text"] == text:
                    break
            times.append(time.perf_counter() - t0)
    await http.aclose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--agent-messages", type=int, default=50)
    args = parser.parse_args()

    training_s = measure_training()
    model = ensure_model(REPO_ROOT / "var" / "models")
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), port=free_port(), bootstrap_agent="bench:bench-pw",
                            action_token=secrets.token_urlsafe(16), **OPEN_LIMITS)
        spawn = time.perf_counter()
        with running(settings, free_port(), model) as stack:
            ready_s = time.perf_counter() - spawn
            http = httpx.Client(base_url=stack.web_url, timeout=30)
            started = http.post("/api/conversations").json()
            auth = {"Authorization": f"Bearer {started['token']}"}
            url = f"/api/conversations/{started['conversation_id']}/messages"
            first = http.post(url, json={"text": "where is my parcel?"}, headers=auth).json()
            first_answer_s = time.perf_counter() - spawn
            assert first["messages"][1]["data"].get("article_id") == "track-shipment-en", first

            samples, rasa_samples = [], []
            for text in (q for q, _ in zip(cycle(QUESTIONS), range(args.messages), strict=False)):
                # the same message straight to Rasa (NLU, rules, the custom actions, KB search), for the ratio
                direct_id = http.post("/api/conversations").json()["conversation_id"]  # one the service knows
                t0 = time.perf_counter()
                direct = http.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                                   json={"sender": direct_id, "message": text},
                                   auth=RasaServiceAuth(stack.settings.rasa_jwt_secret))
                rasa_samples.append(time.perf_counter() - t0)
                assert direct.status_code == 200, direct.text
                started = http.post("/api/conversations").json()  # fresh conversation: no handoff in the way
                auth = {"Authorization": f"Bearer {started['token']}"}
                t0 = time.perf_counter()
                response = http.post(f"/api/conversations/{started['conversation_id']}/messages",
                                     json={"text": text}, headers=auth)
                samples.append(time.perf_counter() - t0)
                assert response.status_code == 200 and response.json()["mode"] == "bot", response.text
            agent_samples = asyncio.run(agent_to_customer(stack.web_url, args.agent_messages))

    save("roundtrip", {
        "training_seconds": round(training_s, 2),
        "processes_ready_seconds": round(ready_s, 2),
        "start_to_first_answer_seconds": round(first_answer_s, 2),
        "message_round_trip_ms": summary_ms(samples),
        "rasa_alone_ms": summary_ms(rasa_samples),
        "service_overhead_ratio_p50": round(summary_ms(samples)["p50"] / summary_ms(rasa_samples)["p50"], 2),
        "agent_to_customer_websocket_ms": summary_ms(agent_samples),
    })


if __name__ == "__main__":
    main()
