"""Closed-loop load test of the whole product over real HTTP: many customers at once, real Rasa, real models.

    .venv/bin/python -m bench.load [--seconds 40] [--levels 1,8,32] [--label NAME] [--profile]

Starts Rasa and the web service exactly as `faqbot up` does (fresh data directory, free ports), then:

1. Rasa's bare `POST /model/parse` throughput (closed loop, `--parse-concurrency` clients): the
   machine-independent yardstick the end-to-end numbers are divided by.
2. For each level in `--levels` (1, 8, 32 customers): every customer sends a message, waits for the
   answer and at once sends the next (no think time), in realistic English and Chinese conversations
   (bench/conversations.py: questions, follow-ups, small talk, 👍/👎, rejections, ten turns then a new
   conversation). Messages/s, p50/p95/p99 latency, errors, handoffs, CPU milliseconds per message of
   each process (Rasa, web service, this load generator) and their peak memory.
3. Sustained rate: `--sustained-customers` customers paced to `--sustained-rate` messages/s in total.
4. Long conversations: `--long-conversations` conversations of `--long-turns` turns, one at a time, in a
   fixed 8-turn pattern so turn 2 and turn 50 are the same kind of turn: how a turn's cost grows.

Writes bench/results/load.json (or load_<label>.json with --label). With --profile, py-spy samples both
server processes during the highest level and writes collapsed stacks to bench/results/profile/.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import OPEN_LIMITS, RESULTS, save, summary_ms
from bench.conversations import Say, ScriptedCustomer, parse_texts
from bench.procstat import MemorySampler, Watched, cpu_seconds
from faqbot.launcher import ensure_model, free_port, running
from faqbot.rasa_gateway import RasaServiceAuth
from faqbot.settings import REPO_ROOT, Settings

MB = 1024 * 1024


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    handoffs: Counter = field(default_factory=Counter)
    conversations: int = 0
    first_sent: float | None = None
    last_done: float = 0.0

    @property
    def messages(self) -> int:
        return len(self.latencies)


class Site:
    """The customer API of one running stack, over one pooled HTTP client."""

    def __init__(self, base_url: str, connections: int) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.http = httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits)

    async def start(self) -> tuple[str, dict[str, str]]:
        response = await self.http.post("/api/conversations", json={"page_url": "https://shop.example/sale"})
        response.raise_for_status()
        body = response.json()
        return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}

    async def say(self, conversation: str, auth: dict[str, str], said: Say, tally: Tally) -> dict | None:
        """Send one message; record its latency, or the error. The body on success."""
        started = time.perf_counter()
        tally.first_sent = tally.first_sent or started
        try:
            response = await self.http.post(f"/api/conversations/{conversation}/messages", json=said.body(),
                                            headers=auth)
        except httpx.HTTPError as exc:
            tally.errors[type(exc).__name__] += 1
            return None
        elapsed = time.perf_counter() - started
        tally.last_done = max(tally.last_done, time.perf_counter())
        if response.status_code != 200:
            tally.errors[f"http_{response.status_code}"] += 1
            return None
        body = response.json()
        bots = [m for m in body["messages"] if m["sender"] == "bot"]
        if body["mode"] == "human" and (body.get("handoff") or {}).get("reason") == "bot_unavailable":
            tally.errors["bot_unavailable"] += 1
            return None
        if body["mode"] == "bot" and not bots:
            tally.errors["no_reply"] += 1
            return None
        tally.latencies.append(elapsed)
        tally.by_kind[said.kind].append(elapsed)
        return body


async def customer_loop(site: Site, index: int, deadline: float, tally: Tally, seed: int,
                        period: float | None = None, turns: int = 10) -> None:
    """One customer: conversations of `turns` messages until the deadline; `period` paces its sends."""
    rng = random.Random(seed * 1000 + index)
    customer = ScriptedCustomer(rng, "en" if index % 2 == 0 else "zh")
    next_send = time.perf_counter() + (rng.uniform(0, period) if period else 0.0)
    while time.perf_counter() < deadline:
        try:
            conversation, auth = await site.start()
        except httpx.HTTPError as exc:
            tally.errors[f"start_{type(exc).__name__}"] += 1
            await asyncio.sleep(0.5)
            continue
        tally.conversations += 1
        customer.new_conversation()
        if rng.random() < 0.3:  # some customers switch language between conversations
            customer.language = "zh" if customer.language == "en" else "en"
        for turn in range(turns):
            if period:
                await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
                next_send = max(next_send + period * rng.uniform(0.8, 1.2), time.perf_counter())
            if time.perf_counter() >= deadline:
                return
            body = await site.say(conversation, auth, customer.next(turn, last_turn=turn == turns - 1), tally)
            if body is None:
                break
            if body["mode"] == "human":
                tally.handoffs[body["handoff"]["reason"]] += 1
                break
            customer.heard(body["messages"])


def level_report(tally: Tally, watched: list[Watched], cpu_before: dict[str, float],
                 parse_rate: float | None) -> dict[str, Any]:
    duration = max(tally.last_done - (tally.first_sent or tally.last_done), 1e-9)
    rate = tally.messages / duration
    cpu = {w.name: round((w.cpu() - cpu_before[w.name]) * 1000 / max(tally.messages, 1), 2) for w in watched}
    cpu["bench"] = round((cpu_seconds([os.getpid()]) - cpu_before["bench"]) * 1000 / max(tally.messages, 1), 2)
    return {
        "messages": tally.messages,
        "conversations": tally.conversations,
        "seconds": round(duration, 1),
        "messages_per_second": round(rate, 2),
        "latency_ms": summary_ms(tally.latencies) if tally.latencies else None,
        "p50_ms_by_kind": {k: round(statistics.median(v) * 1000, 1) for k, v in sorted(tally.by_kind.items())},
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "handoffs": dict(tally.handoffs),
        "cpu_ms_per_message": cpu,
        "peak_rss_mb": {w.name: round(w.peak_rss / MB) for w in watched},
        "ratio_to_bare_parse": round(rate / parse_rate, 3) if parse_rate else None,
    }


def cpu_now(watched: list[Watched]) -> dict[str, float]:
    return {**{w.name: w.cpu() for w in watched}, "bench": cpu_seconds([os.getpid()])}


async def run_level(base: str, customers: int, seconds: float, seed: int, watched: list[Watched],
                    sampler: MemorySampler, parse_rate: float | None, period: float | None = None) -> dict:
    site = Site(base, customers + 4)
    sampler.reset_peaks()
    before = cpu_now(watched)
    tally = Tally()
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(customer_loop(site, i, deadline, tally, seed, period) for i in range(customers)))
    await site.http.aclose()
    return {"customers": customers, **level_report(tally, watched, before, parse_rate)}


async def bare_parse(rasa_url: str, concurrency: int, seconds: float, seed: int, rasa: Watched,
                     jwt_secret: str) -> dict:
    """Rasa alone: `POST /model/parse` in a closed loop (NLU only), the yardstick (signed like the service's calls)."""
    texts = parse_texts(random.Random(seed), 5000)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=rasa_url, timeout=30, limits=limits,
                                 auth=RasaServiceAuth(jwt_secret)) as http:
        for text in texts[:20]:  # warm
            await http.post("/model/parse", json={"text": text})
        before = rasa.cpu()
        started = time.perf_counter()
        deadline = started + seconds

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                response = await http.post("/model/parse", json={"text": texts[i % len(texts)]})
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors += 1
                i += concurrency

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"concurrency": concurrency, "parses": len(latencies), "errors": errors,
            "parses_per_second": round(len(latencies) / elapsed, 1), "latency_ms": summary_ms(latencies),
            "rasa_cpu_ms_per_parse": round((rasa.cpu() - before) * 1000 / max(len(latencies), 1), 2)}


async def long_conversations(base: str, conversations: int, turns: int, seed: int) -> dict:
    """Turn latency by position in a long conversation (one conversation at a time)."""
    site = Site(base, 2)
    by_turn: list[list[float]] = [[] for _ in range(turns)]
    tally = Tally()
    stopped_early = 0
    for c in range(conversations):
        rng = random.Random(seed * 7 + c)
        customer = ScriptedCustomer(rng, "en" if c % 2 == 0 else "zh")
        conversation, auth = await site.start()
        for turn in range(turns):
            before = tally.messages
            body = await site.say(conversation, auth, customer.patterned(turn), tally)
            if body is None or body["mode"] == "human":
                stopped_early += 1
                if body is not None:
                    tally.handoffs[body["handoff"]["reason"]] += 1
                break
            if tally.messages > before:
                by_turn[turn].append(tally.latencies[-1])
            customer.heard(body["messages"])
    await site.http.aclose()

    def median_ms(values: list[float]) -> float | None:
        return round(statistics.median(values) * 1000, 1) if values else None

    def window(start: int, end: int, step: int = 8) -> list[float]:  # the same pattern slot over cycles
        return [x for t in range(start, min(end, turns), step) for x in by_turn[t]]

    turn2, turn50 = median_ms(by_turn[1]), median_ms(by_turn[49]) if turns >= 50 else None
    last_slot = ((turns - 2) // 8) * 8 + 1  # the last turn of the same pattern slot as turn 2
    early, late = median_ms(window(1, 10)), median_ms(window(last_slot - 8, last_slot + 1))
    return {
        "conversations": conversations, "turns": turns, "stopped_early": stopped_early,
        "handoffs": dict(tally.handoffs), "errors": dict(tally.errors),
        "turn_2_ms": turn2, "turn_50_ms": turn50,
        "ratio_50_to_2": round(turn50 / turn2, 2) if turn2 and turn50 else None,
        "same_slot_early_ms": early, "same_slot_late_ms": late,
        "median_ms_by_turn": [median_ms(v) for v in by_turn],
    }


def start_profiles(py_spy: str, watched: list[Watched], seconds: float, out: Path) -> list[subprocess.Popen]:
    out.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([py_spy, "record", "-p", str(w.pid), "-f", "raw", "-r", "50", "-d", str(int(seconds)),
                              "-o", str(out / f"{w.name}.txt")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for w in watched]


async def run(args: argparse.Namespace, stack) -> dict:
    watched = [Watched("rasa", stack.processes["rasa"].pid), Watched("web", stack.processes["web"].pid)]
    for w in watched:
        w.refresh()
    results: dict[str, Any] = {}
    with MemorySampler(watched) as sampler:
        # warm both processes (models, caches, connections) before measuring anything
        await run_level(stack.web_url, 2, args.warmup, args.seed + 99, watched, sampler, None)
        parse = await bare_parse(stack.rasa_url, args.parse_concurrency, args.parse_seconds, args.seed, watched[0],
                                   stack.settings.rasa_jwt_secret)
        results["bare_parse"] = parse
        print(f"bare /model/parse: {parse['parses_per_second']}/s", flush=True)
        levels = []
        for customers in args.levels:
            profiles = []
            if args.profile and customers == max(args.levels):
                profiles = start_profiles(args.py_spy, watched, args.seconds - 5, RESULTS / "profile")
            level = await run_level(stack.web_url, customers, args.seconds, args.seed, watched, sampler,
                                    parse["parses_per_second"])
            for p in profiles:
                p.wait()
            levels.append(level)
            print(f"{customers:>3} customers: {level['messages_per_second']}/s, p50 "
                  f"{(level['latency_ms'] or {}).get('p50')} ms, p95 {(level['latency_ms'] or {}).get('p95')} ms, "
                  f"errors {level['errors']}, cpu/msg {level['cpu_ms_per_message']}", flush=True)
        results["levels"] = levels
        if args.sustained_rate:
            period = args.sustained_customers / args.sustained_rate
            sustained = await run_level(stack.web_url, args.sustained_customers, args.seconds, args.seed + 1,
                                        watched, sampler, parse["parses_per_second"], period=period)
            results["sustained"] = {"target_messages_per_second": args.sustained_rate, **sustained}
            print(f"sustained {args.sustained_customers} customers at {args.sustained_rate}/s: "
                  f"{sustained['messages_per_second']}/s, p95 {(sustained['latency_ms'] or {}).get('p95')} ms, "
                  f"errors {sustained['errors']}", flush=True)
        if args.long_conversations:
            results["long_conversation"] = await long_conversations(
                stack.web_url, args.long_conversations, args.long_turns, args.seed)
            print(f"turn 2 {results['long_conversation']['turn_2_ms']} ms, turn 50 "
                  f"{results['long_conversation']['turn_50_ms']} ms", flush=True)
        for w in watched:
            w.refresh()
        results["memory_mb"] = {
            "rasa_peak": round(max(w.peak_rss for w in watched if w.name == "rasa") / MB),
            "web_peak": round(max(w.peak_rss for w in watched if w.name == "web") / MB),
            "rasa_end": round(watched[0].rss() / MB), "web_end": round(watched[1].rss() / MB),
        }
        results["memory_mb"]["together_end"] = results["memory_mb"]["rasa_end"] + results["memory_mb"]["web_end"]
    return results


def targets(results: dict) -> dict[str, Any]:
    levels = {lvl["customers"]: lvl for lvl in results["levels"]}
    one = levels.get(1)
    best = max(results["levels"] + ([results["sustained"]] if "sustained" in results else []),
               key=lambda lvl: lvl["messages_per_second"] if lvl["errors"] == 0 and lvl["latency_ms"]
               and lvl["latency_ms"]["p95"] <= 250 else -1)
    long = results.get("long_conversation") or {}
    return {
        "one_customer_p50_le_60ms": bool(one and one["latency_ms"]["p50"] <= 60),
        "one_customer_p95_le_120ms": bool(one and one["latency_ms"]["p95"] <= 120),
        "best_rate_with_p95_le_250ms_and_no_errors": {
            "customers": best["customers"], "messages_per_second": best["messages_per_second"],
            "p95_ms": best["latency_ms"]["p95"] if best["latency_ms"] else None,
            "ratio_to_bare_parse": best["ratio_to_bare_parse"],
            "meets_60_per_second": best["messages_per_second"] >= 60 and best["errors"] == 0
            and best["latency_ms"]["p95"] <= 250,
            "meets_ratio_0_2": (best["ratio_to_bare_parse"] or 0) >= 0.2},
        "turn_50_le_1_2x_turn_2": bool(long.get("ratio_50_to_2") and long["ratio_50_to_2"] <= 1.2),
        "memory_together_mb": results["memory_mb"]["rasa_peak"] + results["memory_mb"]["web_peak"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=40, help="length of each level")
    parser.add_argument("--warmup", type=float, default=8)
    parser.add_argument("--parse-concurrency", type=int, default=8)
    parser.add_argument("--parse-seconds", type=float, default=15)
    parser.add_argument("--sustained-rate", type=float, default=60, help="messages/s in total (0: skip)")
    parser.add_argument("--sustained-customers", type=int, default=32)
    parser.add_argument("--long-conversations", type=int, default=6)
    parser.add_argument("--long-turns", type=int, default=50)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--label", default="", help="saved as load_<label>.json")
    parser.add_argument("--profile", action="store_true", help="py-spy both servers during the highest level")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--keep-logs", type=Path, help="copy both processes' logs here")
    args = parser.parse_args()

    model = ensure_model(REPO_ROOT / "var" / "models")
    load_before = os.getloadavg()  # the machine is shared: ratios within a run count, this says how busy it was
    with tempfile.TemporaryDirectory() as data:
        # every simulated customer comes from this machine's one address: the per-address limits are opened (real
        # customers each have their own), and the per-conversation one for the 50-turn conversations
        settings = Settings(data_dir=Path(data), port=free_port(), action_token=secrets.token_urlsafe(16),
                            **OPEN_LIMITS)
        with running(settings, free_port(), model, log_dir=Path(data) / "logs") as stack:
            results = asyncio.run(run(args, stack))
        if args.keep_logs:
            shutil.copytree(Path(data) / "logs", args.keep_logs, dirs_exist_ok=True)
    results["load_average_1_5_15"] = {"before": [round(x, 2) for x in load_before],
                                      "after": [round(x, 2) for x in os.getloadavg()]}
    results["targets"] = targets(results)
    results["settings"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                           if k not in ("py_spy",)}
    results["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                                           capture_output=True, text=True).stdout.strip()
    save(f"load_{args.label}" if args.label else "load", results)


if __name__ == "__main__":
    main()
