"""One abusive client floods while ten ordinary customers chat: do the rate limits keep the others' latency?

    .venv/bin/python -m bench.abuse [--messages 15] [--think 1.0] [--abuser-connections 8]

Starts the real product (Rasa + web service) with the default limits. Ten customers, each from its own
loopback address (127.0.0.10-19), start a conversation and ask knowledge-base questions with a short pause
between them; the round trip of every message is measured. Three phases in one run: customers alone, the
same customers while one client (127.0.0.99, a separate process) floods as fast as it can — new
conversations, messages in its conversations, wrong logins — and customers alone again. Reports the
customers' p95 in each phase, the ratio of the flooded phase's p95 to the quiet phases' mean p95 (target:
at most 1.5), and what the abuser got (it must get 429s).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import secrets
import statistics
import tempfile
import time
from collections import Counter
from itertools import cycle
from pathlib import Path

import httpx

from bench.common import save, summary_ms
from faqbot.launcher import ensure_model, free_port, running
from faqbot.settings import REPO_ROOT, Settings

QUESTIONS = ["where is my parcel?", "How long does a refund take?", "how do I reset my password",
             "我的退款什么时候到账？", "怎么查快递？", "Can I change my delivery address?",
             "What payment methods do you accept?", "How do I return an item?"]
CUSTOMER_ADDRESSES = [f"127.0.0.{10 + i}" for i in range(10)]
ABUSER_ADDRESS = "127.0.0.99"


async def customer(base_url: str, address: str, messages: int, think: float, offset: int) -> list[float]:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=60) as http:
        started = await http.post("/api/conversations", json={"page_url": "https://shop.example/"})
        assert started.status_code == 201, started.text
        body = started.json()
        headers = {"Authorization": f"Bearer {body['token']}"}
        url = f"/api/conversations/{body['conversation_id']}/messages"
        await asyncio.sleep(offset * think / 10)  # spread the customers over the pause
        samples = []
        for text, _ in zip(cycle(QUESTIONS[offset % len(QUESTIONS):] + QUESTIONS), range(messages), strict=False):
            t0 = time.perf_counter()
            response = await http.post(url, json={"text": text}, headers=headers)
            samples.append(time.perf_counter() - t0)
            assert response.status_code == 200, (response.status_code, response.text)
            await asyncio.sleep(think)
        return samples


async def customers(base_url: str, messages: int, think: float) -> list[float]:
    results = await asyncio.gather(*(customer(base_url, address, messages, think, i)
                                     for i, address in enumerate(CUSTOMER_ADDRESSES)))
    return [s for samples in results for s in samples]


def abuser(base_url: str, connections: int, stop, results) -> None:
    """A separate process: floods from one address until `stop` is set, then reports its statuses."""

    async def flood() -> Counter:
        statuses: Counter = Counter()
        transport = httpx.AsyncHTTPTransport(local_address=ABUSER_ADDRESS, limits=httpx.Limits(
            max_connections=connections))
        async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=60) as http:
            own = (await http.post("/api/conversations")).json()
            headers = {"Authorization": f"Bearer {own['token']}"}

            async def worker(n: int) -> None:
                kinds = cycle(["conversation", "message", "login"][n % 3:] + ["conversation", "message", "login"])
                while not stop.is_set():
                    kind = next(kinds)
                    if kind == "conversation":
                        response = await http.post("/api/conversations", json={"page_url": "x" * 100})
                    elif kind == "message":
                        response = await http.post(f"/api/conversations/{own['conversation_id']}/messages",
                                                   json={"text": "spam spam spam"}, headers=headers)
                    else:
                        response = await http.post("/api/agent/login",
                                                   json={"username": "admin", "password": secrets.token_hex(4)})
                    statuses[f"{kind} {response.status_code}"] += 1

            await asyncio.gather(*(worker(n) for n in range(connections)))
        return statuses

    results.put(dict(asyncio.run(flood())))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=15, help="per customer and phase")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between a customer's messages")
    parser.add_argument("--abuser-connections", type=int, default=8)
    args = parser.parse_args()

    model = ensure_model(REPO_ROOT / "var" / "models")
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), port=free_port(), bootstrap_agent="admin:bench-admin-pw")
        with running(settings, free_port(), model) as stack:
            asyncio.run(customers(stack.web_url, 2, 0.2))  # warm up (models, caches)
            quiet_before = asyncio.run(customers(stack.web_url, args.messages, args.think))

            spawn = multiprocessing.get_context("spawn")
            queue, stop = spawn.Queue(), spawn.Event()
            flood = spawn.Process(target=abuser, args=(stack.web_url, args.abuser_connections, stop, queue))
            flood.start()
            time.sleep(5)  # the flood is under way
            t0 = time.perf_counter()
            flooded = asyncio.run(customers(stack.web_url, args.messages, args.think))
            flooded_seconds = time.perf_counter() - t0
            stop.set()
            abuser_statuses = queue.get(timeout=120)
            flood.join()
            duration = flooded_seconds + 5
            quiet_after = asyncio.run(customers(stack.web_url, args.messages, args.think))

    quiet_p95 = statistics.fmean([summary_ms(quiet_before)["p95"], summary_ms(quiet_after)["p95"]])
    flooded_p95 = summary_ms(flooded)["p95"]
    abuser_total = sum(abuser_statuses.values())
    refused = sum(n for k, n in abuser_statuses.items() if k.endswith(" 429"))
    save("abuse", {
        "command": "python -m bench.abuse " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
        "customers": len(CUSTOMER_ADDRESSES),
        "customers_alone_before_ms": summary_ms(quiet_before),
        "customers_while_flooded_ms": summary_ms(flooded),
        "customers_alone_after_ms": summary_ms(quiet_after),
        "p95_ratio_flooded_to_alone": round(flooded_p95 / quiet_p95, 3),
        "target_ratio": 1.5,
        "abuser": {"requests": abuser_total, "requests_per_second": round(abuser_total / duration, 1),
                   "refused_429": refused, "by_kind_and_status": dict(sorted(abuser_statuses.items()))},
        "flooded_phase_seconds": round(flooded_seconds, 1),
    })


if __name__ == "__main__":
    main()
