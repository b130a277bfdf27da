"""One abusive client floods while ten ordinary customers chat: do the rate limits keep the others' latency?

    .venv/bin/python -m bench.abuse [--messages 15] [--think 1.0] [--abuser-connections 8] [--abuser-rate 500]
                                    [--via service,nginx]

Starts the real product (Rasa + one web service process, and nginx from Debian in front of it with the
deployment's own deploy/nginx/faqbot.conf) with the default limits. Each way in (`--via`) is measured in the
same run, on the same processes:

- `service`: everyone talks to the service process directly (the one-process layout);
- `nginx`: everyone goes through nginx (the fleet layout), whose per-address limits shed a flood before it
  reaches the service.

Per way in, ten customers, each from its own loopback address, start a conversation and ask knowledge-base
questions with a short pause between them; the round trip of every message is measured. Three phases:
customers alone, the same customers while one client (another address, a separate process) floods at
`--abuser-rate` requests/s over `--abuser-connections` kept-alive connections — new conversations, messages in
its conversation, wrong logins — and customers alone again. Reports the customers' p95 in each phase, the ratio
of the flooded phase's p95 to the quiet phases' mean p95 (target: at most 1.5), what the abuser got (it must
get 429s), the CPU each process spent while flooded, the service's CPU per abusive request (beyond what the
customers cost it alone), and the load average at the start and end of every phase (the machine is shared:
compare ratios within one run).

The flood is sent at a fixed rate (500/s: about what the earlier httpx-based flooder reached on this machine)
so that runs before and after a change face the same flood; 0 sends as fast as the answers come back. The
flooding client writes HTTP/1.1 on raw sockets, to keep its own CPU (reported) small beside the service's: on
a two-core machine the attacker's CPU is taken from the customers too, which a real attacker's is not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import secrets
import statistics
import tempfile
import time
from collections import Counter
from itertools import cycle
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.common import save, summary_ms
from bench.procstat import cpu_seconds, process_tree
from faqbot.launcher import Stack, ensure_model, free_port, nginx_bin, running
from faqbot.settings import REPO_ROOT, Settings

QUESTIONS = ["where is my parcel?", "How long does a refund take?", "how do I reset my password",
             "我的退款什么时候到账？", "怎么查快递？", "Can I change my delivery address?",
             "What payment methods do you accept?", "How do I return an item?"]
# each way in has its own addresses, so the per-address counts of one do not carry over to the next
ADDRESSES = {"service": ([f"127.0.0.{10 + i}" for i in range(10)], "127.0.0.99"),
             "nginx": ([f"127.0.0.{20 + i}" for i in range(10)], "127.0.0.98")}
WARM_UP_ADDRESSES = [f"127.0.0.{30 + i}" for i in range(10)]
FLOOD_LEAD_SECONDS = 5.0


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


async def customers(base_url: str, addresses: list[str], messages: int, think: float) -> list[float]:
    results = await asyncio.gather(*(customer(base_url, address, messages, think, i)
                                     for i, address in enumerate(addresses)))
    return [s for samples in results for s in samples]


class RawConnection:
    """HTTP/1.1 on a kept-alive socket, written and read by hand: a flood costs its sender little."""

    def __init__(self, host: str, port: int, address: str) -> None:
        self.host, self.port, self.address = host, port, address
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: dict, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        body = json.dumps(payload).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\n{head}\r\n").encode() + body
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port,
                                                                         local_addr=(self.address, 0))
            try:
                self.writer.write(request)
                raw_head = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()  # the server closed the kept-alive connection (nginx after keepalive_requests)
                if attempt:
                    raise
                continue
            lines = raw_head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            content = await self.reader.readexactly(int(fields.get("content-length", "0")))
            if fields.get("connection", "").lower() == "close":
                self.close()
            return status, content
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def abuser(base_url: str, address: str, connections: int, rate: float, stop, results) -> None:
    """A separate process: floods from one address (`rate` requests/s in all, 0: as fast as the answers come)
    until `stop` is set, then reports its statuses and CPU."""
    url = urlsplit(base_url)

    async def flood() -> Counter:
        statuses: Counter = Counter()
        first = RawConnection(url.hostname, url.port, address)
        status, body = await first.post("/api/conversations", {})
        assert status == 201, (status, body)
        own = json.loads(body)
        headers = {"Authorization": f"Bearer {own['token']}"}

        async def worker(n: int) -> None:
            http = first if n == 0 else RawConnection(url.hostname, url.port, address)
            kinds = cycle(["conversation", "message", "login"][n % 3:] + ["conversation", "message", "login"])
            interval = connections / rate if rate else 0.0
            due = time.perf_counter() + n * interval / connections
            while not stop.is_set():
                if interval:  # on schedule; a server slower than the rate makes it fall behind, as it would
                    due += interval
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                kind = next(kinds)
                if kind == "conversation":
                    status, _ = await http.post("/api/conversations", {"page_url": "x" * 100})
                elif kind == "message":
                    status, _ = await http.post(f"/api/conversations/{own['conversation_id']}/messages",
                                                {"text": "spam spam spam"}, headers)
                else:
                    status, _ = await http.post("/api/agent/login",
                                                {"username": "admin", "password": secrets.token_hex(4)})
                statuses[f"{kind} {status}"] += 1
            http.close()

        await asyncio.gather(*(worker(n) for n in range(connections)))
        return statuses

    statuses = asyncio.run(flood())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put({"statuses": dict(statuses), "cpu_seconds": usage.ru_utime + usage.ru_stime})


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Cpu:
    """CPU seconds of the stack's processes (by role) between two readings."""

    def __init__(self, stack: Stack) -> None:
        self.pids = {role: process_tree(process.pid) for role, process in stack.processes.items()}
        self.pids["bench"] = [os.getpid()]  # the customers' client

    def read(self) -> dict[str, float]:
        return {role: cpu_seconds(pids) for role, pids in self.pids.items()}

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {role: round(after[role] - before[role], 2) for role in before}


def phase(base_url: str, addresses: list[str], messages: int, think: float, cpu: Cpu) -> dict:
    load_before, cpu_before, t0 = load(), cpu.read(), time.perf_counter()
    samples = asyncio.run(customers(base_url, addresses, messages, think))
    seconds = time.perf_counter() - t0
    return {"samples": samples, "seconds": seconds, "cpu": Cpu.spent(cpu_before, cpu.read()),
            "load": [load_before, load()]}


def measure(base_url: str, via: str, args, cpu: Cpu) -> dict:
    addresses, abuser_address = ADDRESSES[via]
    quiet_before = phase(base_url, addresses, args.messages, args.think, cpu)

    spawn = multiprocessing.get_context("spawn")
    queue, stop = spawn.Queue(), spawn.Event()
    flood = spawn.Process(target=abuser, args=(base_url, abuser_address, args.abuser_connections, args.abuser_rate,
                                               stop, queue))
    cpu_before, load_before, t0 = cpu.read(), load(), time.perf_counter()
    flood.start()
    time.sleep(FLOOD_LEAD_SECONDS)  # the flood is under way
    flooded = phase(base_url, addresses, args.messages, args.think, cpu)
    stop.set()
    abuser_report = queue.get(timeout=120)
    flood.join()
    flood_seconds = time.perf_counter() - t0
    flood_cpu = Cpu.spent(cpu_before, cpu.read())
    flooded["load"][0] = load_before
    quiet_after = phase(base_url, addresses, args.messages, args.think, cpu)

    statuses = abuser_report["statuses"]
    requests = sum(statuses.values())
    refused = sum(n for k, n in statuses.items() if k.endswith(" 429"))
    quiet_p95 = statistics.fmean([summary_ms(quiet_before["samples"])["p95"],
                                  summary_ms(quiet_after["samples"])["p95"]])
    flooded_p95 = summary_ms(flooded["samples"])["p95"]
    # the service's CPU for the flood: all it spent while flooded less what the customers' messages cost it alone
    customers_cpu_per_second = statistics.fmean([quiet_before["cpu"]["web"] / quiet_before["seconds"],
                                                 quiet_after["cpu"]["web"] / quiet_after["seconds"]])
    flood_cost = flood_cpu["web"] - customers_cpu_per_second * flooded["seconds"]
    result = {
        "via": via,
        "customers_alone_before_ms": summary_ms(quiet_before["samples"]),
        "customers_while_flooded_ms": summary_ms(flooded["samples"]),
        "customers_alone_after_ms": summary_ms(quiet_after["samples"]),
        "p95_ratio_flooded_to_alone": round(flooded_p95 / quiet_p95, 3),
        "load_average_1_5_15": {"alone_before": quiet_before["load"], "while_flooded": flooded["load"],
                                "alone_after": quiet_after["load"]},
        "abuser": {"requests": requests, "requests_per_second": round(requests / flood_seconds, 1),
                   "refused_429": refused, "by_kind_and_status": dict(sorted(statuses.items())),
                   "own_cpu_ms_per_request": round(abuser_report["cpu_seconds"] * 1000 / requests, 3)},
        "cpu_seconds_while_flooded": {**flood_cpu, "abuser": round(abuser_report["cpu_seconds"], 2)},
        "cpu_seconds_alone_before": quiet_before["cpu"],
        "service_cpu_ms_per_abusive_request": round(flood_cost * 1000 / requests, 3),
        "flooded_seconds": round(flood_seconds, 1),
    }
    print(json.dumps({k: result[k] for k in ("via", "p95_ratio_flooded_to_alone", "load_average_1_5_15",
                                              "service_cpu_ms_per_abusive_request")}), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=15, help="per customer and phase")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between a customer's messages")
    parser.add_argument("--abuser-connections", type=int, default=8)
    parser.add_argument("--abuser-rate", type=float, default=500.0,
                        help="the flood's requests per second (0: as fast as the answers come back)")
    parser.add_argument("--via", default="service,nginx", help="ways in, measured in this order: service, nginx")
    args = parser.parse_args()
    ways = [w.strip() for w in args.via.split(",") if w.strip()]
    assert set(ways) <= set(ADDRESSES), ways
    if "nginx" in ways and not nginx_bin():
        raise SystemExit("nginx is not installed (apt-get install nginx)")

    model = ensure_model(REPO_ROOT / "var" / "models")
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), port=free_port(), bootstrap_agent="admin:bench-admin-pw")
        with running(settings, free_port(), model) as stack:  # one service process, nginx in front on settings.port
            urls = {"service": stack.web_urls[0], "nginx": stack.web_url}
            asyncio.run(customers(urls["service"], WARM_UP_ADDRESSES, 2, 0.2))  # warm up (models, caches)
            cpu = Cpu(stack)
            results = {via: measure(urls[via], via, args, cpu) for via in ways}

    save("abuse", {
        "command": "python -m bench.abuse " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
        "cores": os.cpu_count(),
        "customers": len(ADDRESSES["service"][0]),
        "target_ratio": 1.5,
        "p95_ratio_flooded_to_alone": {via: r["p95_ratio_flooded_to_alone"] for via, r in results.items()},
        "ways_in": results,
    })


if __name__ == "__main__":
    main()
